"""Every URL refuses a cookie-authenticated write without a CSRF token.

The walk covers every pattern of the project's URLconf (the admin's
included), so a new URL is checked the day it is added: its arguments are
filled from real objects by name, or from the converter. A signed-in reader
whose browser holds the CSRF cookie posts (and deletes) without the token,
as a forged form on another site would; each answer must be Django's CSRF
refusal (the site's csrf_failure page with status 403), before any view runs.

The only exceptions are in EXEMPT, each with its reason. A view that turns
csrf_exempt without being listed there fails test_only_listed_views_are_exempt.
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from discussion.actions import post_comment
from notifications.unsubscribe import make_token

EXEMPT = {
    # Browsers send Content-Security-Policy reports without cookies or tokens;
    # the view only logs, size- and rate-limited (tribune/csp.py).
    "tribune-csp-report",
    # RFC 8058 one-click unsubscribe: mail clients POST without a session; the
    # signed token in the URL is the credential and it only turns e-mail off.
    "notifications-unsubscribe",
    # The language switcher is on anonymous pages served from the page cache,
    # which carry no per-reader token; all a forged post can do is set the
    # visitor's language cookie (tribune/urls.py).
    "set_language",
}


def _patterns(patterns=None, prefix=""):
    """Yield (route, name, callback) for every pattern, includes flattened."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name, pattern.callback


ROUTES = list(_patterns())
_PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@pytest.fixture
def values(article, alice, no_rate_limit):
    """Real objects' identifiers by argument name."""
    comment = post_comment(article=article, author=alice, body="A comment.")
    return {
        "slug": article.slug,
        "article_id": str(article.pk),
        "pk": str(comment.pk),
        "id": str(comment.pk),
        "number": comment.number,
        "username": alice.username,
        "name": "reported",
        "decision": "approve",
        "action": "warn",
        "token": make_token(alice.pk, ["email_replies"]),
        "uidb64": urlsafe_base64_encode(force_bytes(alice.pk)),
        "object_id": str(alice.pk),
        "content_type_id": str(ContentType.objects.get_for_model(User).pk),
        "app_label": "accounts",
        "url": "anything/",
    }


def _fill(route: str, values: dict[str, str]) -> str:
    def value(match):
        converter, name = match.group(1), match.group(2) or match.group(3)
        if name in values:
            return values[name]
        # An argument nobody named above: any value its converter accepts.
        return "1" if converter == "int" else "x"

    return "/" + _PLACEHOLDER.sub(value, route)


def _forger(user) -> Client:
    """A signed-in browser that holds the CSRF cookie but sends no token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("accounts-signin"))
    assert "csrftoken" in client.cookies
    return client


def _refused_by_csrf(response) -> bool:
    return response.status_code == 403 and "csrf_failure.html" in [
        template.name for template in response.templates
    ]


def test_the_walk_sees_the_whole_site():
    names = {name for _, name, _ in ROUTES}
    for name in (
        "accounts-signin",
        "discussion-post",
        "discussion-vote",
        "moderation-bulk",
        "notifications-follow",
        "accounts_user_change",
    ):
        assert name in names
    assert len(ROUTES) > 100


def test_every_url_refuses_a_write_without_a_token(values, maude):
    maude.is_staff = maude.is_superuser = True
    maude.save()
    forger = _forger(maude)
    checked, unreached = [], []

    for route, name, callback in ROUTES:
        if name in EXEMPT or route.startswith(API):
            continue
        path = _fill(route, values)
        if resolve(path).func is not callback:
            unreached.append(route)
            continue
        for method in (forger.post, forger.delete):
            response = method(path, {"body": "Forged."})
            assert _refused_by_csrf(response), (
                f"{method.__name__.upper()} {path} ({name}) answered "
                f"{response.status_code} without a CSRF token"
            )
        checked.append(route)

    # Every pattern's filled path reaches that pattern's own view.
    assert unreached == []
    assert len(checked) == len(ROUTES) - len(EXEMPT) - len(API_ROUTES)


# The API (django-ninja) checks CSRF itself, for requests authenticated by the
# session cookie only (a bearer token is no ambient credential): its views
# are exempt from Django's middleware, so its writes are walked from its own
# OpenAPI document, every operation that is not a read.
API = "api/v1/"
API_ROUTES = [route for route, _, _ in ROUTES if route.startswith(API)]


def test_every_api_write_refuses_a_session_without_a_token(values, alice):
    forger = _forger(alice)
    schema = Client().get("/api/v1/openapi.json").json()
    checked = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if method in ("get", "head", "options"):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
            response = forger.generic(
                method.upper(),
                url,
                '{"body": "Forged.", "value": 1}',
                content_type="application/json",
            )
            assert response.status_code == 403, (method, url, response.content)
            assert "CSRF" in response.json()["detail"], (method, url)
            checked.append((method, path))
    # Post, edit, delete, vote and report at least.
    assert len(checked) >= 5


def test_the_same_write_with_the_token_goes_through(values, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("accounts-signin"))
    token = client.cookies["csrftoken"].value

    response = client.post(reverse("accounts-signout"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_token_from_another_origin_is_refused(values, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("accounts-signin"))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse("accounts-signout"),
        {"csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )

    assert _refused_by_csrf(response)


def test_htmx_writes_need_the_token_too(values, alice, article):
    forger = _forger(alice)

    response = forger.post(
        reverse("discussion-vote", args=[values["pk"]]),
        {"value": "1"},
        HTTP_HX_REQUEST="true",
    )

    assert _refused_by_csrf(response)


def test_only_listed_views_are_exempt():
    """Outside the API, which checks CSRF itself (walked above)."""
    exempt = {
        name
        for route, name, callback in ROUTES
        if getattr(callback, "csrf_exempt", False) and not route.startswith(API)
    }

    assert exempt == EXEMPT


def test_exempt_views_act_on_no_cookie(values, alice):
    """The exempt views do not use the session: signed in or not, the same."""
    forger = _forger(alice)

    report = forger.post(
        reverse("tribune-csp-report"),
        '{"csp-report": {"blocked-uri": "inline"}}',
        content_type="application/csp-report",
    )
    bad_token = forger.post(reverse("notifications-unsubscribe", args=["forged"]))

    assert report.status_code == 204
    assert bad_token.status_code == 400
