from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.core.management.base import BaseCommand

REFERENCE_PAGE = (
    Path(__file__).resolve().parents[2]
    / "pages"
    / "military-review-2016-05-25-joint-operations.txt"
)

# Demo sign-ins, printed on every start. Never used outside the demo.
DEMO_ACCOUNTS = [
    ("reader", "reader@example.org", "demo-reader-pass", None, False),
    ("editor", "editor@example.org", "demo-editor-pass", "Editors", True),
    ("moderator", "moderator@example.org", "demo-moderator-pass", "Moderators", False),
]


class Command(BaseCommand):
    help = (
        "Set up the demo site (migrate, import the reference page, create demo "
        "accounts) and serve it. Safe to run again on the same database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up the data, then exit."
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        page_url = self._import_reference_page()
        self._name_site(options["host"], options["port"])
        accounts = self._demo_accounts()

        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS("\nTribune demo is ready."))
        self.stdout.write(f"  Database:       {settings.DATABASES['default']['NAME']}")
        self.stdout.write(f"  Front page:     {base}/")
        self.stdout.write(f"  Reference page: {base}{page_url}")
        self.stdout.write("  Sign in as (username / password):")
        for role, username, password in accounts:
            self.stdout.write(f"    {role:<10} {username} / {password}")
        self.stdout.write(f"  Newsroom admin: {base}/admin/ (as editor)\n")
        if not options["no_serve"]:
            call_command(
                "runserver",
                f"{options['host']}:{options['port']}",
                use_reloader=False,
            )

    def _import_reference_page(self) -> str:
        import zoneinfo

        from importers.actions import import_page
        from importers.reference_page import parse_page

        page = parse_page(
            REFERENCE_PAGE.read_text(encoding="utf-8"),
            timezone=zoneinfo.ZoneInfo("Europe/Moscow"),
        )
        result = import_page(page, section_name="Politics")
        self.page_site_name = page.site
        return result.article.get_absolute_url()

    def _name_site(self, host: str, port: int) -> None:
        site = Site.objects.get_current()
        # Only a site nobody has named yet becomes the reference site.
        if site.name in ("Tribune", "example.com"):
            site.domain = f"{host}:{port}"
            site.name = self.page_site_name
            site.save()

    def _demo_accounts(self):
        User = get_user_model()
        rows = []
        for username, email, password, group, staff in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": email}
            )
            user.is_staff = staff
            user.set_password(password)
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            rows.append((group[:-1].lower() if group else "reader", username, password))
        return rows
