"""Content-Security-Policy and the other security headers, on every kind of page.

The policy allows scripts and styles from this site's files only, so no
template or rendered page may carry an inline script, an inline event
handler, an htmx hx-on attribute or an inline style: the scans below fail
when one appears.
"""

import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from discussion.actions import post_comment
from tribune import csp

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class _InlineCode(HTMLParser):
    """Collect what a script-src/style-src 'self' policy would refuse."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
        for name in ("href", "src", "action", "formaction"):
            if (attrs.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            kind = (attrs.get("type") or "").lower()
            # JSON data blocks (json_script, JSON-LD) are not run; anything
            # else must come from a file.
            data = ("application/json", "application/ld+json")
            if "src" not in attrs and kind not in data:
                self.found.append("<script> without src")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def _inline_code(markup: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(markup)
    parser.close()
    return parser.found


def test_it_finds_what_it_looks_for():
    found = _inline_code(
        '<script>alert(1)</script><a onclick="x()" href="javascript:x()">'
        '<p style="color:red"><button hx-on:click="x()"><style>p{}</style>'
        '<script src="/static/a.js"></script>'
    )

    assert found == [
        "<script> without src",
        "<a onclick=…>",
        "<a href=javascript:…>",
        "<p style=…>",
        "<button hx-on:click=…>",
        "<style>",
    ]


@pytest.mark.parametrize(
    "path",
    sorted(TEMPLATES.rglob("*.html")),
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_no_template_has_inline_code(path):
    # Template tags inside attributes ({% if %}…) are left for the parser to
    # read as text; what matters is the markup around them.
    source = re.sub(r"{%.*?%}|{{.*?}}", "x", path.read_text(encoding="utf-8"))
    assert _inline_code(source) == []


def test_no_static_script_evaluates_strings():
    for path in STATIC.rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|\.innerHTML\s*=", source), path
        # setAttribute("style") and <style> elements need 'unsafe-inline'.
        assert not re.search(
            r"setAttribute\(\s*['\"]style|createElement\(\s*['\"]style", source
        ), path


@pytest.fixture
def thread(article, alice, bob, maude, no_rate_limit, settings):
    settings.TRIBUNE_LINKS_MIN_TRUST = 0
    first = post_comment(
        article=article, author=alice, body="First, with a [link](https://example.org)."
    )
    post_comment(article=article, author=bob, body="A reply.", parent=first)
    return first


def _pages(article, alice, maude):
    """(user, path) for the site's main pages; None is the anonymous visitor."""
    return [
        (None, reverse("newsroom-front")),
        (None, article.get_absolute_url()),
        (None, reverse("newsroom-section", args=[article.section.slug])),
        (None, reverse("accounts-signin")),
        (None, reverse("accounts-signup")),
        (None, reverse("accounts-password-reset")),
        (None, reverse("accounts-profile", args=[alice.username])),
        (alice, article.get_absolute_url()),
        (alice, reverse("accounts-profile-edit")),
        (alice, reverse("accounts-password-change")),
        (alice, reverse("accounts-signout")),
        (alice, reverse("notifications-list")),
        (alice, reverse("notifications-settings")),
        (maude, article.get_absolute_url()),
        (maude, reverse("moderation-queue")),
        (maude, reverse("moderation-log")),
        (maude, reverse("moderation-words")),
        (maude, reverse("moderation-site")),
    ]


def test_every_main_page_is_free_of_inline_code_and_has_the_headers(
    client, article, alice, maude, thread
):
    for user, path in _pages(article, alice, maude):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(path)

        assert response.status_code == 200, path
        assert _inline_code(response.content.decode()) == [], path
        assert response["Content-Security-Policy"] == csp.POLICY, path
        for name, value in SECURITY_HEADERS.items():
            assert response[name] == value, (path, name)


def test_the_policy_allows_only_this_site():
    directives = dict(part.strip().split(" ", 1) for part in csp.POLICY.split(";"))

    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["report-uri"] == reverse("tribune-csp-report")
    assert "unsafe" not in csp.POLICY and "nonce" not in csp.POLICY


def test_a_cached_page_carries_the_headers_too(client, article, thread):
    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())

    assert first.content == second.content  # served from the page cache
    for response in (first, second):
        assert response["Content-Security-Policy"] == csp.POLICY
        for name, value in SECURITY_HEADERS.items():
            assert response[name] == value, name


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client, db):
    html = client.get(reverse("newsroom-front")).content.decode()

    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match is not None
    assert json.loads(match.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }


def test_the_admin_relaxes_styles_only(admin_client):
    response = admin_client.get(reverse("admin:index"))

    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy


def test_report_only_mode_sends_the_other_header(client, db, settings):
    settings.TRIBUNE_CSP_REPORT_ONLY = True

    response = client.get(reverse("newsroom-front"))

    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == csp.POLICY


# --- the report endpoint -------------------------------------------------------

REPORT_URL = reverse("tribune-csp-report")
REPORT = {
    "csp-report": {
        "document-uri": "http://testserver/articles/x/?token=secret-token",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "source-file": "http://testserver/articles/x/",
        "line-number": 12,
    }
}


def _report(client, body, content_type="application/csp-report", **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(REPORT_URL, data, content_type=content_type, **extra)


@pytest.mark.django_db
def test_it_logs_a_report_without_the_query_string(client, caplog):
    with caplog.at_level(logging.WARNING, logger="tribune.security"):
        response = _report(client, REPORT)

    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "tribune.security"]
    message = record.getMessage()
    assert "csp violation" in message
    assert "script-src-elem" in message
    assert "'http://testserver/articles/x/'" in message
    assert "secret-token" not in message


@pytest.mark.django_db
def test_it_reads_the_reporting_api_format(client, caplog):
    body = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "http://testserver/",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
            },
        }
    ]
    with caplog.at_level(logging.WARNING, logger="tribune.security"):
        response = _report(client, body, content_type="application/reports+json")

    assert response.status_code == 204
    assert "style-src-attr" in caplog.text


@pytest.mark.django_db
def test_it_takes_reports_without_a_csrf_token(caplog):
    from django.test import Client

    response = _report(Client(enforce_csrf_checks=True), REPORT)

    assert response.status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["not json", "[]", '{"other": 1}', b"\xff\xfe"])
def test_it_refuses_what_is_not_a_report(client, body, caplog):
    with caplog.at_level(logging.WARNING, logger="tribune.security"):
        response = _report(client, body)

    assert response.status_code == 400
    assert "csp violation" not in caplog.text


@pytest.mark.django_db
def test_it_refuses_a_large_body_unread(client, caplog):
    big = {"csp-report": {"document-uri": "x" * csp.MAX_REPORT_BYTES}}
    with caplog.at_level(logging.WARNING, logger="tribune.security"):
        response = _report(client, big)

    assert response.status_code == 413
    assert "csp violation" not in caplog.text


@pytest.mark.django_db
def test_it_stops_logging_a_flood_from_one_address(client, caplog, monkeypatch):
    # One instant, so the burst cannot straddle two of the limit's windows.
    monkeypatch.setattr("lib.ratelimit.time.time", lambda: 1_800_000_000.0)
    with caplog.at_level(logging.WARNING, logger="tribune.security"):
        for _ in range(csp.REPORTS_PER_MINUTE + 5):
            assert _report(client, REPORT).status_code == 204

    logged = [r for r in caplog.records if "csp violation" in r.getMessage()]
    assert len(logged) == csp.REPORTS_PER_MINUTE


@pytest.mark.django_db
def test_it_answers_only_post(client):
    assert client.get(REPORT_URL).status_code == 405
