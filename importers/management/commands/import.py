import json
import zoneinfo
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importers.disqus import DisqusReader
from importers.external import (
    ImportSummary,
    build_thread,
    find_article,
    import_threads,
    load_mapping,
    thread_to_json,
)
from importers.wxr import WxrReader
from importers.xmlstream import ImportFormatError


class Command(BaseCommand):
    help = (
        "Import the comments (and WordPress articles) of a WordPress WXR or a "
        "Disqus XML export. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=["wxr", "disqus"])
        parser.add_argument(
            "--map",
            type=Path,
            help="Moved URLs: a CSV of old_url,new_url or a JSON object.",
        )
        parser.add_argument(
            "--section",
            default="News",
            help="Section of articles created without a category (default News).",
        )
        parser.add_argument(
            "--language", default="en", choices=[code for code, _ in settings.LANGUAGES]
        )
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="Zone of WordPress times that come without their GMT time "
            "(default: the site's).",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Make a draft article for each Disqus thread that matches none.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Write nothing.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print JSON: the parsed articles (dry run) or the summary.",
        )

    def handle(self, *args, **options):
        try:
            zone = zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone: {options['timezone']}") from None
        mapping = {}
        if options["map"]:
            try:
                mapping = load_mapping(options["map"])
            except ImportFormatError as e:
                raise CommandError(f"{options['map']}: {e}") from None
        path = options["file"]
        try:
            stream = path.open("rb")
        except OSError as e:
            raise CommandError(f"{path}: cannot read: {e.strerror}") from None
        with stream:
            if options["format"] == "wxr":
                reader = WxrReader(stream, timezone=zone)
            else:
                reader = DisqusReader(stream)
            try:
                if options["dry_run"]:
                    self._dry_run(reader, mapping, json_output=options["json"])
                    return
                summary = import_threads(
                    reader,
                    mapping=mapping,
                    section_name=options["section"],
                    language=options["language"],
                    create_missing=options["create_missing"],
                )
            except ImportFormatError as e:
                raise CommandError(f"{path}: {e}; nothing was imported") from None
        summary.skipped.update(reader.skipped)
        summary.orphans[:0] = getattr(reader, "orphans", [])
        if options["json"]:
            self.stdout.write(json.dumps(_summary_json(summary), ensure_ascii=False))
        else:
            self.stdout.write(_summary_text(path, summary))

    def _dry_run(self, reader, mapping, *, json_output: bool) -> None:
        """Print each thread as it is read, so the output too is streamed."""
        skipped: Counter = Counter()
        orphans: list[str] = []
        unmatched = []
        threads = comments = 0
        if json_output:
            self.stdout.write('{"articles": [', ending="")
        for thread in reader:
            built = build_thread(thread)
            skipped.update(built.skipped)
            orphans.extend(built.orphans)
            target = find_article(thread.url, mapping)
            if target is None and not thread.creates_article and built.nodes:
                unmatched.append([thread.url, len(built.nodes)])
            if json_output:
                text = json.dumps(thread_to_json(built, target), ensure_ascii=False)
                self.stdout.write(("," if threads else "") + "\n" + text, ending="")
            threads += 1
            comments += len(built.nodes)
        skipped.update(reader.skipped)
        orphans[:0] = getattr(reader, "orphans", [])
        if json_output:
            tail = json.dumps(
                {"orphans": orphans, "skipped": dict(skipped), "unmatched": unmatched},
                ensure_ascii=False,
            )
            self.stdout.write("\n], " + tail[1:])
        else:
            self.stdout.write(
                f"{threads} articles with {comments} comments read; "
                f"{len(unmatched)} threads match no article; "
                f"{len(orphans)} orphans; nothing written (dry run)."
            )


def _summary_json(summary: ImportSummary) -> dict:
    return {
        "articles_created": summary.articles_created,
        "articles_matched": summary.articles_matched,
        "comments_added": summary.comments_added,
        "pending_added": summary.pending_added,
        "placeholders_added": summary.placeholders_added,
        "already_present": summary.already_present,
        "accounts_created": summary.accounts_created,
        "skipped": dict(summary.skipped),
        "orphans": summary.orphans,
        "unmatched": [list(pair) for pair in summary.unmatched],
    }


def _summary_text(path: Path, summary: ImportSummary) -> str:
    lines = [
        f"{path}: {summary.articles_created} articles created, "
        f"{summary.articles_matched} matched; {summary.comments_added} comments "
        f"added ({summary.pending_added} pending review, "
        f"{summary.placeholders_added} placeholders), "
        f"{summary.already_present} already present; "
        f"{summary.accounts_created} new unclaimed accounts."
    ]
    if summary.skipped:
        lines.append(
            "Not imported: "
            + ", ".join(f"{n} {what}" for what, n in sorted(summary.skipped.items()))
            + "."
        )
    for orphan in summary.orphans:
        lines.append(f"Orphan: {orphan}")
    if summary.unmatched:
        lines.append(
            f"{len(summary.unmatched)} threads match no article (use --map, or "
            "--create-missing for drafts); their comments were not imported:"
        )
        lines.extend(f"  {url} ({n} comments)" for url, n in summary.unmatched)
    return "\n".join(lines)
