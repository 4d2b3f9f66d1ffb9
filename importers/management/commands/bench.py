"""`tribune bench`: the benchmark against Isso and nginx (see bench/run.py)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Measure Tribune against Isso and nginx; write bench/results/latest.json."

    def run_from_argv(self, argv):
        # bench.run parses its own options (--quick, --skip-isso …).
        from bench.run import main

        raise SystemExit(main(argv[2:]))
