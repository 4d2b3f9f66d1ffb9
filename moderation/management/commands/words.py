import json

from django.core.management.base import BaseCommand, CommandError

from moderation import words
from moderation.models import WordEntry


class Command(BaseCommand):
    help = "Show, change and try the banned and suspect word lists."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{add,remove,list,test}"
        )

        add = actions.add_parser(
            "add", help="Add entries (a trailing * matches any ending)."
        )
        kind = add.add_mutually_exclusive_group(required=True)
        kind.add_argument(
            "--banned",
            dest="kind",
            action="store_const",
            const=WordEntry.Kind.BANNED,
            help="Comments containing them are refused.",
        )
        kind.add_argument(
            "--suspect",
            dest="kind",
            action="store_const",
            const=WordEntry.Kind.SUSPECT,
            help="Comments containing them are flagged for review.",
        )
        add.add_argument("words", nargs="+", metavar="WORD")

        remove = actions.add_parser("remove", help="Remove entries.")
        remove.add_argument("words", nargs="+", metavar="WORD")

        listing = actions.add_parser("list", help="Print every entry.")
        listing.add_argument(
            "--json", action="store_true", help="Print a JSON list of objects."
        )
        listing.add_argument(
            "--kind", choices=WordEntry.Kind.values, help="Only entries of this kind."
        )

        test = actions.add_parser("test", help="Print the hits in a text as JSON.")
        test.add_argument("text")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _add(self, options):
        try:
            entries = words.add_words(options["words"], options["kind"], actor=None)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"{len(entries)} {options['kind']} entries: ", ending="")
        self.stdout.write(", ".join(entry.text for entry in entries))

    def _remove(self, options):
        removed = words.remove_words(options["words"], actor=None)
        self.stdout.write(f"Removed {removed} of {len(options['words'])}.")

    def _list(self, options):
        entries = WordEntry.objects.order_by("text")
        if options["kind"]:
            entries = entries.filter(kind=options["kind"])
        rows = list(entries.values_list("kind", "text"))
        if options["json"]:
            data = [{"text": text, "kind": kind} for kind, text in rows]
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for kind, text in rows:
            self.stdout.write(f"{kind}\t{text}")

    def _test(self, options):
        hits = [
            {"entry": hit.entry, "kind": hit.kind, "match": hit.match}
            for hit in words.check_text(options["text"])
        ]
        self.stdout.write(json.dumps(hits, ensure_ascii=False))
