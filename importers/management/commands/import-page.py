import json
import zoneinfo
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from importers.actions import import_page
from importers.reference_page import PageFormatError, page_to_json, parse_page


def read_page(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CommandError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise CommandError(
            f"{path}: line {line}: not UTF-8 text ({e.reason})"
        ) from None


class Command(BaseCommand):
    help = "Import a saved page (article and numbered comments) into Tribune."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--section", default="News", help="Section name.")
        parser.add_argument(
            "--language", default="en", choices=[code for code, _ in settings.LANGUAGES]
        )
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="Zone the page's timestamps are in (default: the site's).",
        )
        parser.add_argument(
            "--published",
            help="Publication time (ISO 8601 date or date-time) if the page has none.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Write nothing.")
        parser.add_argument(
            "--json", action="store_true", help="Print the parsed page as JSON."
        )

    def handle(self, *args, **options):
        try:
            zone = zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone: {options['timezone']}") from None
        published = self._published(options["published"], zone)
        path = options["file"]
        try:
            page = parse_page(read_page(path), timezone=zone)
        except PageFormatError as e:
            raise CommandError(f"{path}: {e}") from None

        if options["json"]:
            data = page_to_json(page, published_at=published)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        if options["dry_run"]:
            if not options["json"]:
                self.stdout.write(
                    f"{path}: {page.title!r} with {len(page.comments)} comments "
                    "parsed; nothing written (dry run)."
                )
            return
        result = import_page(
            page,
            section_name=options["section"],
            language=options["language"],
            published_at=published,
        )
        if not options["json"]:
            verb = "Imported" if result.created else "Already present:"
            self.stdout.write(
                f"{verb} {result.article.title!r} at "
                f"{result.article.get_absolute_url()}: {result.comments_added} new "
                f"comments, {result.accounts_created} new unclaimed accounts."
            )

    def _published(self, value, zone) -> datetime | None:
        if not value:
            return None
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise CommandError(
                    f"--published: {value!r} is not a date (YYYY-MM-DD) "
                    "or date-time (YYYY-MM-DDTHH:MM[+03:00])"
                ) from None
            moment = datetime(day.year, day.month, day.day)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment
