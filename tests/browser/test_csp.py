"""No page breaks the Content-Security-Policy in a real browser.

Chromium reports every blocked script, style or connection as a
`securitypolicyviolation` event, a console error, and a report to
/csp-report. A listener added before any page script runs turns the events
into console messages; the test walks the site as a visitor, a reader (who
posts, votes and opens an inline reply through htmx) and a moderator (who
uses the queue's keyboard script), and finds none of the three. A last page
breaks the policy on purpose, to show that each of them would have been seen.
"""

import logging
import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.warn("securitypolicyviolation " + event.effectiveDirective + " "
    + event.blockedURI + " " + event.sourceFile + ":" + event.lineNumber);
});
"""


def _collect(watched) -> list[str]:
    """Messages about the policy on this page, from the listener or Chromium."""
    seen: list[str] = []
    watched.page.add_init_script(LISTENER)

    def on_console(message):
        text = message.text
        if "securitypolicyviolation" in text or "Content Security Policy" in text:
            seen.append(f"{message.type}: {text}")

    watched.page.on("console", on_console)
    return seen


def _reports(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "csp violation" in r.getMessage()]


def _own(page, number: str):
    return page.locator("li#c" + number.replace(".", "\\.")).locator("> article")


def test_the_sites_own_pages_break_no_policy(
    new_page, reference_article, alice, maude, sign_in, no_rate_limit, caplog
):
    caplog.set_level(logging.WARNING, logger="tribune.security")
    url = reference_article.get_absolute_url()
    violations = []

    # A visitor: front page, the article (twice: the second comes from the
    # anonymous page cache), sign-in and sign-up.
    visitor = new_page()
    violations += _collect(visitor)
    page = visitor.page
    for path in ("/", url, url, "/accounts/signin/", "/accounts/signup/"):
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        assert "script-src 'self';" in response.headers["content-security-policy"]

    # A reader posts, votes and opens an inline reply (htmx swaps).
    reader = new_page()
    violations += _collect(reader)
    page = reader.page
    sign_in(page, "alice", next_url=url)
    page.goto(url)
    form = page.locator("form.comment-form").first
    form.locator("textarea").fill("A comment under a strict policy.")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    vote = _own(page, "1").locator(".vote")
    before = vote.locator(".score").inner_text()
    vote.locator("button").first.click()
    expect(vote.locator(".score")).not_to_have_text(before)
    _own(page, "7.1").locator("a[hx-get]").first.click()
    expect(_own(page, "7.1").locator("form.reply-form")).to_be_visible()
    page.goto(f"/accounts/readers/{alice.username}/")
    page.goto("/accounts/profile/")
    page.goto("/notifications/")
    page.wait_for_load_state("networkidle")

    # A moderator's queue runs moderation.js; j and k move through it.
    moderator = new_page()
    violations += _collect(moderator)
    page = moderator.page
    sign_in(page, "maude", next_url="/moderation/")
    page.goto("/moderation/")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.goto("/moderation/log/")
    page.wait_for_load_state("networkidle")

    for watched in (visitor, reader, moderator):
        watched.assert_clean()
    assert violations == []
    # Reports are sent in the background; give any stragglers a moment.
    time.sleep(0.5)
    assert _reports(caplog) == []


def test_a_broken_policy_would_be_seen(new_page, reference_article, caplog):
    """The control: an inline script is blocked, and all three signals fire."""
    caplog.set_level(logging.WARNING, logger="tribune.security")
    watched = new_page()
    seen = _collect(watched)
    page = watched.page
    page.goto("/")

    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.head.append(s); }"
    )

    assert page.evaluate("window.ran === undefined")
    expect(page.locator("body")).to_be_visible()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (_reports(caplog) and len(seen) >= 2):
        page.wait_for_timeout(100)
    assert any("securitypolicyviolation script-src" in s for s in seen), seen
    assert any("Content Security Policy" in s for s in seen), seen
    assert any(re.search(r"script-src", r) for r in _reports(caplog)), _reports(caplog)
