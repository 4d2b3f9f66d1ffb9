"""Moderation decisions. Nothing is ever deleted: each decision changes a
status, is recorded in the audit log with the state before and after, and
can be reversed by another decision.

Every function checks that the actor may moderate (PermissionDenied if not)
and raises ModerationRefused with a message for anything else it refuses.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from discussion.models import MODERATE_PERMISSION, Comment
from lib import ratelimit
from moderation import policy
from moderation.models import AuditEntry, Report, SiteMode
from newsroom.pagecache import bump_thread

MODERATE = MODERATE_PERMISSION
REPORTS_PER_HOUR = ratelimit.Limit("reports", 20, 3600)


class ModerationRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _require_moderator(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.has_perm(MODERATE)):
        raise PermissionDenied("Only moderators can do that.")


def _comment_state(comment: Comment) -> dict:
    return {"status": comment.status, "number": comment.number}


def _reader_state(reader: User) -> dict:
    return {
        "banned_at": reader.banned_at.isoformat() if reader.banned_at else None,
        "suspended_until": (
            reader.suspended_until.isoformat() if reader.suspended_until else None
        ),
        "ban_reason": reader.ban_reason,
        "premoderated": reader.premoderated,
        "reputation": reader.reputation,
    }


def _audit(
    actor, action, *, comment=None, reader=None, reason="", before=None, after=None
):
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        comment=comment,
        reader=reader,
        reason=reason,
        before=before or {},
        after=after or {},
    )


# Reports


def report_comment(
    *, reporter: User, comment: Comment, reason: str, detail: str = ""
) -> Report:
    """File a reader's report; one open report per reader and comment."""
    if not reporter.is_authenticated:
        raise ModerationRefused(_("Sign in to report a comment."))
    refusal = policy.account_refusal(reporter)
    if refusal:
        raise ModerationRefused(refusal)
    if reason not in Report.Reason.values or reason == Report.Reason.SUSPECT_WORDS:
        raise ModerationRefused(_("Choose a reason for the report."))
    # NUL means nothing in text, and PostgreSQL refuses to store it.
    detail = detail.replace("\x00", "").strip()
    if reason == Report.Reason.OTHER and not detail:
        raise ModerationRefused(_("Say in a few words what is wrong with the comment."))
    if len(detail) > 1000:
        raise ModerationRefused(_("Keep the explanation under 1,000 characters."))
    if comment.author_id == reporter.pk:
        raise ModerationRefused(
            _("You cannot report your own comment; delete it instead.")
        )
    if comment.status != Comment.Status.PUBLISHED:
        raise ModerationRefused(_("That comment is no longer shown."))
    if ratelimit.retry_after(REPORTS_PER_HOUR, str(reporter.pk)):
        raise ModerationRefused(
            _(
                "You have filed many reports in the last hour; moderators will get to "
                "them. Try again later."
            )
        )
    if Report.objects.filter(
        comment=comment, reporter=reporter, status=Report.Status.OPEN
    ).exists():
        raise ModerationRefused(_("You have already reported this comment."))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                comment=comment, reporter=reporter, reason=reason, detail=detail
            )
            from notifications.actions import report_filed

            report_filed(report)
    except IntegrityError:
        raise ModerationRefused(_("You have already reported this comment.")) from None
    ratelimit.hit(REPORTS_PER_HOUR, str(reporter.pk))
    return report


def flag_suspect_words(comment: Comment, words: list[str]) -> Report:
    """Report a published comment that contains suspect words (no reporter)."""
    return Report.objects.create(
        comment=comment,
        reporter=None,
        reason=Report.Reason.SUSPECT_WORDS,
        detail=", ".join(words)[:1000],
    )


def _resolve_reports(comment: Comment, actor: User, status: str, now: datetime) -> int:
    return Report.objects.filter(comment=comment, status=Report.Status.OPEN).update(
        status=status, resolved_at=now, resolved_by=actor
    )


# Decisions on comments


def _set_status(comment: Comment, new: str) -> None:
    """Change the status, keeping counts, reputation and thread version true."""
    old = comment.status
    if old == new:
        return
    delta_visible = (new == Comment.Status.PUBLISHED) - (
        old == Comment.Status.PUBLISHED
    )
    Comment.objects.filter(pk=comment.pk).update(status=new)
    comment.status = new
    bump_thread(comment.article_id, comment_delta=delta_visible)
    reputation = 0
    if new == Comment.Status.REMOVED:
        reputation = settings.TRIBUNE_REPUTATION_REMOVED
    elif old == Comment.Status.REMOVED:
        reputation = -settings.TRIBUNE_REPUTATION_REMOVED
    if old == Comment.Status.PENDING and new == Comment.Status.PUBLISHED:
        reputation += settings.TRIBUNE_REPUTATION_APPROVED
    if reputation and comment.author_id:
        User.objects.filter(pk=comment.author_id).update(
            reputation=F("reputation") + reputation
        )


def approve_comment(*, actor: User, comment: Comment, reason: str = "") -> Comment:
    """Publish a pending comment, or keep a reported one (dismissing its reports)."""
    _require_moderator(actor)
    if comment.status not in (Comment.Status.PENDING, Comment.Status.PUBLISHED):
        raise ModerationRefused(
            _("Only pending or published comments can be approved.")
        )
    now = timezone.now()
    with transaction.atomic():
        before = _comment_state(comment)
        was_pending = comment.status == Comment.Status.PENDING
        _set_status(comment, Comment.Status.PUBLISHED)
        dismissed = _resolve_reports(comment, actor, Report.Status.DISMISSED, now)
        _audit(
            actor,
            AuditEntry.Action.APPROVE,
            comment=comment,
            reader=comment.author,
            reason=reason,
            before=before,
            after={**_comment_state(comment), "reports_dismissed": dismissed},
        )
        if was_pending:
            from discussion.actions import comment_became_visible

            comment_became_visible(comment)
    return comment


def remove_comment(*, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment behind "removed by a moderator"; its text stays stored."""
    _require_moderator(actor)
    reason = reason.strip()
    if not reason:
        raise ModerationRefused(_("Give a reason for removing the comment."))
    if comment.status in (Comment.Status.REMOVED, Comment.Status.DELETED):
        raise ModerationRefused(_("That comment is not shown already."))
    now = timezone.now()
    with transaction.atomic():
        before = _comment_state(comment)
        _set_status(comment, Comment.Status.REMOVED)
        upheld = _resolve_reports(comment, actor, Report.Status.UPHELD, now)
        _audit(
            actor,
            AuditEntry.Action.REMOVE,
            comment=comment,
            reader=comment.author,
            reason=reason,
            before=before,
            after={**_comment_state(comment), "reports_upheld": upheld},
        )
    return comment


def restore_comment(*, actor: User, comment: Comment, reason: str = "") -> Comment:
    """Undo a removal."""
    _require_moderator(actor)
    if comment.status != Comment.Status.REMOVED:
        raise ModerationRefused(_("Only removed comments can be restored."))
    with transaction.atomic():
        before = _comment_state(comment)
        _set_status(comment, Comment.Status.PUBLISHED)
        _audit(
            actor,
            AuditEntry.Action.RESTORE,
            comment=comment,
            reader=comment.author,
            reason=reason,
            before=before,
            after=_comment_state(comment),
        )
    return comment


BULK_ACTIONS = {
    "approve": approve_comment,
    "remove": remove_comment,
    "restore": restore_comment,
}


def bulk(*, actor: User, action: str, comments: list[Comment], reason: str = ""):
    """Apply one decision to many comments; return (done, refused messages).

    Each comment is its own transaction, so one refusal does not undo the rest.
    """
    _require_moderator(actor)
    if action not in BULK_ACTIONS:
        raise ModerationRefused(_("Choose approve, remove or restore."))
    if action == "remove" and not reason.strip():
        raise ModerationRefused(_("Give a reason for removing the comments."))
    done, refused = 0, []
    for comment in comments:
        try:
            BULK_ACTIONS[action](actor=actor, comment=comment, reason=reason)
            done += 1
        except ModerationRefused as e:
            refused.append(f"{comment.number}: {e.message}")
    return done, refused


# Decisions on readers


def _require_can_act_on(actor: User, reader: User) -> None:
    _require_moderator(actor)
    if reader.pk == actor.pk:
        raise ModerationRefused(_("You cannot take moderation action on yourself."))
    if reader.is_superuser or reader.has_perm(MODERATE):
        raise ModerationRefused(
            _(
                "Moderators and administrators can only be restricted by an "
                "administrator in the admin."
            )
        )


def note_reader(*, actor: User, reader: User, text: str) -> AuditEntry:
    """A note for other moderators; the reader does not see it."""
    _require_moderator(actor)
    if not text.strip():
        raise ModerationRefused(_("Write the note."))
    return _audit(actor, AuditEntry.Action.NOTE, reader=reader, reason=text.strip())


def warn_reader(*, actor: User, reader: User, text: str) -> AuditEntry:
    """A warning the reader is told about."""
    _require_can_act_on(actor, reader)
    if not text.strip():
        raise ModerationRefused(_("Write the warning the reader will see."))
    with transaction.atomic():
        entry = _audit(
            actor, AuditEntry.Action.WARN, reader=reader, reason=text.strip()
        )
        from notifications.actions import reader_warned

        reader_warned(reader, text.strip())
    return entry


def _restrict(actor, reader, action, reason, **fields) -> User:
    with transaction.atomic():
        reader = User.objects.select_for_update().get(pk=reader.pk)
        before = _reader_state(reader)
        for name, value in fields.items():
            setattr(reader, name, value)
        reader.save(update_fields=list(fields))
        _audit(
            actor,
            action,
            reader=reader,
            reason=reason,
            before=before,
            after=_reader_state(reader),
        )
    return reader


def suspend_reader(*, actor: User, reader: User, until: datetime, reason: str) -> User:
    """Stop the reader posting and voting until `until`."""
    _require_can_act_on(actor, reader)
    if until <= timezone.now():
        raise ModerationRefused(_("A suspension must end in the future."))
    if not reason.strip():
        raise ModerationRefused(_("Give a reason for the suspension."))
    return _restrict(
        actor,
        reader,
        AuditEntry.Action.SUSPEND,
        reason.strip(),
        suspended_until=until,
        ban_reason=reason.strip()[:300],
    )


def ban_reader(*, actor: User, reader: User, reason: str) -> User:
    """Stop the reader posting and voting until the ban is lifted."""
    _require_can_act_on(actor, reader)
    if not reason.strip():
        raise ModerationRefused(_("Give a reason for the ban."))
    return _restrict(
        actor,
        reader,
        AuditEntry.Action.BAN,
        reason.strip(),
        banned_at=timezone.now(),
        ban_reason=reason.strip()[:300],
    )


def lift_restrictions(*, actor: User, reader: User, reason: str = "") -> User:
    """End a ban or suspension."""
    _require_moderator(actor)
    if reader.banned_at is None and reader.suspended_until is None:
        raise ModerationRefused(_("This reader is neither banned nor suspended."))
    return _restrict(
        actor,
        reader,
        AuditEntry.Action.UNBAN,
        reason,
        banned_at=None,
        suspended_until=None,
        ban_reason="",
    )


def set_premoderation(*, actor: User, reader: User, on: bool, reason: str = "") -> User:
    """Hold (or stop holding) every comment of this reader for review."""
    _require_can_act_on(actor, reader)
    return _restrict(
        actor, reader, AuditEntry.Action.PREMODERATE, reason, premoderated=on
    )


def set_site_mode(
    *, actor: User, read_only: bool, premoderate_all: bool, message: str = ""
) -> SiteMode:
    _require_moderator(actor)
    with transaction.atomic():
        mode = SiteMode.current()
        before = {"read_only": mode.read_only, "premoderate_all": mode.premoderate_all}
        mode.read_only = read_only
        mode.premoderate_all = premoderate_all
        mode.message = message.strip()[:300]
        mode.save()
        _audit(
            actor,
            AuditEntry.Action.SITE_MODE,
            reason=mode.message,
            before=before,
            after={"read_only": read_only, "premoderate_all": premoderate_all},
        )
    return mode
