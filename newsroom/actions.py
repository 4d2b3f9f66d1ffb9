from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from lib import ratelimit
from newsroom.models import Article, ErrorReport

ERROR_REPORTS_PER_HOUR = ratelimit.Limit("error-reports", 10, 3600)


class ErrorReportRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def report_error(
    *, reporter: User, article: Article, detail: str, passage: str = ""
) -> ErrorReport:
    """File a factual-error report; it goes to editors, not to moderators."""
    if not reporter.is_authenticated:
        raise ErrorReportRefused(_("Sign in to report an error."))
    detail = detail.strip()
    if len(detail) < 10:
        raise ErrorReportRefused(
            _("Say what is wrong in a sentence or two, with a source if you can.")
        )
    if len(detail) > 3000 or len(passage) > 3000:
        raise ErrorReportRefused(_("Keep the report under 3,000 characters."))
    if ratelimit.retry_after(ERROR_REPORTS_PER_HOUR, str(reporter.pk)):
        raise ErrorReportRefused(_("You have sent many reports this hour; try later."))
    with transaction.atomic():
        report = ErrorReport.objects.create(
            article=article, reporter=reporter, detail=detail, passage=passage.strip()
        )
    ratelimit.hit(ERROR_REPORTS_PER_HOUR, str(reporter.pk))
    return report
