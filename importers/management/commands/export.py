import os
import sys
import time
from pathlib import Path

from django.core.management.base import CommandError

from importers.backup import export_site
from lib.commands import ExplainedCommand

HELP = """Write the whole site as one JSON document (to standard output, or FILE).

The document holds the site's name and mode, groups, readers (reputation,
roles, bans, moderation state), sections, tags, authors, articles (bylines,
sources, tags, translations), error reports, comments with their numbers,
revisions, quotes and votes, readers' reports, the audit log, word lists,
notification settings, follows and notifications, unsent e-mail, and the
admin log. It is read in one snapshot, so a site that keeps taking comments
meanwhile exports consistently.

Left out: sessions (readers sign in again), rate-limit counters, e-mail
already sent, and password hashes unless --with-password-hashes is given:
without them, restored readers must set a new password ("Forgot your
password?"). A file written with hashes is as secret as the database.
"""


class _Out:
    """Passes text through the command's stdout without added line endings."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")


class Command(ExplainedCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", type=Path, help="Write to this file (default: stdout)."
        )
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="Include password hashes, so readers keep their passwords.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        hashes = options["with_password_hashes"]
        path = options["output"]
        if path is None:
            counts = export_site(_Out(self.stdout), include_password_hashes=hashes)
            where = "standard output"
        else:
            # Written beside the target and renamed at the end, so a failed
            # export never leaves a truncated file under the expected name.
            partial = path.with_name(f".{path.name}.partial")
            try:
                with open(partial, "w", encoding="utf-8") as stream:
                    if hashes:
                        os.chmod(partial, 0o600)
                    counts = export_site(stream, include_password_hashes=hashes)
                os.replace(partial, path)
            except OSError as e:
                partial.unlink(missing_ok=True)
                raise CommandError(f"{path}: cannot write: {e.strerror}") from None
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            where = str(path)
        summary = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in counts.items())
        elapsed = time.perf_counter() - started
        # The document may be on stdout: the summary goes to stderr.
        (self.stderr if path is None else self.stdout).write(
            f"Exported {summary} to {where} in {elapsed:.1f} s."
        )
        if path is None:
            sys.stdout.flush()
