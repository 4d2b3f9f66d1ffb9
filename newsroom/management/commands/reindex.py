from django.core.management.base import BaseCommand

from newsroom import search


class Command(BaseCommand):
    help = "Rebuild the search index of articles and comments from scratch."

    def handle(self, *args, **options):
        total = search.rebuild()
        self.stdout.write(f"Indexed {total} articles and comments.")
