"""Sessions: a new one on sign-in and sign-up, none left after sign-out or a
password change elsewhere, and cookies the browser keeps to this site."""

import os
import subprocess
import sys

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from conftest import PASSWORD

NEW_PASSWORD = "a brand new long passphrase"


def _store(key: str) -> SessionBase:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(key)


def _signed_in_as(client):
    return client.get(reverse("newsroom-front")).wsgi_request.user


def _sign_in(client, username="alice"):
    response = client.post(
        reverse("accounts-signin"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _planted_session(client) -> str:
    """Give the client an anonymous session, as an attacker could plant one."""
    session = client.session
    session["planted"] = True
    session.save()
    return session.session_key


def test_signing_up_replaces_a_planted_session(client, db):
    planted = _planted_session(client)

    response = client.post(
        reverse("accounts-signup"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert not _store(planted).exists(planted)


def test_signing_in_replaces_a_planted_session(client, alice):
    planted = _planted_session(client)

    key = _sign_in(client)

    assert key != planted
    assert not _store(planted).exists(planted)
    assert _signed_in_as(client) == alice


def test_signing_out_ends_the_session_on_the_server(client, alice):
    key = _sign_in(client)

    client.post(reverse("accounts-signout"))

    assert not _store(key).exists(key)
    # Replaying the old cookie does not sign anyone in.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not _signed_in_as(replay).is_authenticated


def test_changing_the_password_signs_out_other_sessions_only(alice):
    here, elsewhere = Client(), Client()
    _sign_in(here)
    _sign_in(elsewhere)
    old_key = here.cookies[settings.SESSION_COOKIE_NAME].value

    response = here.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert _signed_in_as(here) == alice
    # The session that changed it continues under a new key.
    assert here.cookies[settings.SESSION_COOKIE_NAME].value != old_key
    assert not _signed_in_as(elsewhere).is_authenticated


def test_a_password_reset_signs_out_every_session(client, alice):
    signed_in = Client()
    _sign_in(signed_in)

    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert not _signed_in_as(signed_in).is_authenticated


def test_the_session_cookie_is_httponly_and_same_site(client, alice):
    _sign_in(client)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # Development and tests run over plain HTTP.
    assert not cookie["secure"]


def test_the_csrf_cookie_is_same_site(client, db):
    client.get(reverse("accounts-signin"))

    cookie = client.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"


def test_cookies_are_secure_when_served_over_https(client, alice, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    _sign_in(client)

    assert client.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True


def _production_settings(**env) -> dict[str, str]:
    """Read cookie settings as production would compute them from `env`."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='tribune.settings';"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS)"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECURE_SSL", "DEBUG", "DATABASE_URL", "REDIS_URL")
    }
    environment.update(env)
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    names = ("session", "csrf", "redirect", "httponly", "samesite", "hsts")
    return dict(zip(names, result.stdout.split(), strict=True))


def test_production_cookies_are_secure():
    values = _production_settings(DEBUG="0", TRIBUNE_SECRET_KEY="k" * 50)

    assert values == {
        "session": "True",
        "csrf": "True",
        "redirect": "True",
        "httponly": "True",
        "samesite": "Lax",
        "hsts": "31536000",
    }


def test_plain_http_development_keeps_cookies_usable():
    values = _production_settings(DEBUG="1", SECURE_SSL="0")

    assert values["session"] == "False"
    assert values["httponly"] == "True"


def test_an_expired_session_signs_nobody_in(client, alice):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = _sign_in(client)
    assert _signed_in_as(client) == alice
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    cache_cleared = _store(key)
    if hasattr(cache_cleared, "_cache"):
        cache_cleared._cache.delete(cache_cleared.cache_key)
    assert not _signed_in_as(client).is_authenticated
