from pathlib import Path

from django.core.management.base import CommandError

from importers.backup import RestoreError, restore_site
from lib.commands import ExplainedCommand

HELP = """Load a document written by `tribune export` into an empty database.

Run `tribune migrate` on a new database first; a database that already holds
readers, articles or comments is refused. Everything is restored in one
transaction: a broken document is refused with the record and the problem,
and nothing is written. Ids, comment numbers and counters are kept; nothing
is notified and no reputation or audit entry changes. Readers exported
without password hashes get unusable passwords and set new ones with "Forgot
your password?". The cache is emptied afterwards (with Redis: the database
REDIS_URL names), since nothing in it describes the restored site.
"""


class Command(ExplainedCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The exported JSON document.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, encoding="utf-8") as stream:
                counts = restore_site(stream)
        except OSError as e:
            raise CommandError(f"{path}: cannot read: {e.strerror}") from None
        except RestoreError as e:
            raise CommandError(f"{path}: nothing restored: {e}") from None
        summary = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in counts.items())
        self.stdout.write(f"Restored {summary} from {path}.")
