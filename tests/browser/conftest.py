"""Playwright against Debian's Chromium and pytest-django's live server.

Every test here gets a fresh browser context (no cookies, no storage) and a
page that records console errors, uncaught exceptions and failed requests;
`watched.assert_clean()` fails the test if anything went wrong loading the
CSS, htmx or tribune.js.
"""

import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in the main thread; Django sees
# it and refuses ORM calls from the test body unless told this is fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps dialling Google on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # Not a skip: CI installs chromium, and a silently skipped browser
        # suite would look like a passing one.
        pytest.fail(
            f"{CHROMIUM} is missing; install Debian's chromium package "
            "(apt-get install chromium) to run the browser tests.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class Watched:
    """A page with everything that went wrong on it so far."""

    page: object
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def _watch(page, problems: list[str]) -> None:
    def on_console(message):
        if message.type != "error":
            return
        if "Failed to load resource" in message.text:
            url = message.location.get("url", "")
            # Chromium logs every 4xx document as a console error; refused
            # form posts answer 400 on purpose, so only subresources count.
            # The browser asks for /favicon.ico on its own (base.html names
            # no icon); that is not the page's doing.
            if url == page.url or url.endswith("/favicon.ico"):
                return
        problems.append(f"console error: {message.text} ({message.location})")

    def on_response(response):
        request = response.request
        if (
            response.status >= 400
            and request.resource_type != "document"
            and not response.url.endswith("/favicon.ico")
        ):
            problems.append(f"{response.status} for {request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_request_failed(request):
        # Leaving a page cancels what the browser fetches on its own in the
        # background (the live-updates EventSource, the favicon, images such
        # as the admin's calendar icon, which its script adds late) if it is
        # still in flight: the browser's doing, not a fault of the page. A
        # missing image still counts, by its 404 above.
        background = (
            "/live/" in request.url
            or request.url.endswith("favicon.svg")
            or request.resource_type == "image"
        )
        if background and request.failure == "net::ERR_ABORTED":
            return
        problems.append(
            f"request failed: {request.method} {request.url} ({request.failure})"
        )

    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts: `new_page(java_script_enabled=False)`."""
    contexts = []

    def open_page(**options) -> Watched:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        _watch(page, watched.problems)
        return watched

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def watched(new_page) -> Watched:
    return new_page()


@pytest.fixture
def page(watched):
    return watched.page


@pytest.fixture
def reference_article(transactional_db):
    """The reference page imported as the demo does, its site name included."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    from importers.actions import import_page
    from importers.management.commands.demo import REFERENCE_PAGE
    from importers.reference_page import parse_page

    parsed = parse_page(
        REFERENCE_PAGE.read_text(encoding="utf-8"),
        timezone=zoneinfo.ZoneInfo("Europe/Moscow"),
    )
    article = import_page(parsed, section_name="Politics").article
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": "localhost", "name": parsed.site}
    )
    Site.objects.clear_cache()
    yield article
    Site.objects.clear_cache()


@pytest.fixture
def no_rate_limit(settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    return settings


@pytest.fixture
def sign_in(live_server):
    """Sign `page` in through the real form: `sign_in(page, "alice")`."""
    from conftest import PASSWORD

    def do_sign_in(page, username, next_url="/"):
        page.goto(f"/accounts/signin/?next={next_url}")
        form = page.locator("form.account-form")
        form.get_by_label("Username").fill(username)
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return do_sign_in


@pytest.fixture
def screenshot():
    """Save the whole page, and also in screen-sized parts that stay legible."""

    def take(page, name: str, part_height: int = 1600) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        width, height = page.evaluate(
            "[document.documentElement.scrollWidth,"
            " document.documentElement.scrollHeight]"
        )
        for old in ARTIFACTS.glob(f"{name}-part*.png"):
            old.unlink()
        for index, top in enumerate(range(0, height, part_height), start=1):
            clip = {
                "x": 0,
                "y": top,
                "width": width,
                "height": min(part_height, height - top),
            }
            page.screenshot(
                path=str(ARTIFACTS / f"{name}-part{index}.png"),
                full_page=True,
                clip=clip,
            )
        return path

    return take
