import logging
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import PASSWORD

URL = reverse("accounts-signin")
THROTTLED = re.compile(
    r"Too many failed sign-in attempts\. Try again in \d+ (minutes?|seconds?)\."
)


def _signed_in_as(client):
    return client.get(reverse("newsroom-front")).wsgi_request.user


def _sign_in(client, username, password=PASSWORD, **extra):
    return client.post(URL, {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_it_shows_the_form_with_links_that_keep_next(client):
    response = client.get(URL, {"next": "/articles/kursk/"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Sign in</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">' in html
    assert '<input type="hidden" name="next" value="/articles/kursk/">' in html
    assert f'href="{reverse("accounts-signup")}?next=/articles/kursk/"' in html
    assert f'href="{reverse("accounts-password-reset")}?next=/articles/kursk/"' in html


def test_it_signs_in_and_rotates_the_session(client, alice):
    # A session that existed before signing in (perhaps planted) is replaced.
    anonymous_session = client.session
    anonymous_session["seen"] = True
    anonymous_session.save()
    before = client.cookies["sessionid"].value

    response = _sign_in(client, "alice")

    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")
    assert client.cookies["sessionid"].value != before
    assert _signed_in_as(client) == alice


def test_it_accepts_the_username_in_any_case(client, alice):
    response = _sign_in(client, "ALICE")

    assert response.status_code == 302
    assert _signed_in_as(client) == alice


@pytest.mark.django_db
def test_it_accepts_a_cyrillic_username_in_any_case(client, django_user_model):
    reader = django_user_model.objects.create_user(
        "Волжский казак", "v@example.org", PASSWORD
    )

    response = _sign_in(client, "Волжский казак".upper())

    assert response.status_code == 302
    assert _signed_in_as(client) == reader


def test_it_refuses_a_wrong_password_and_keeps_the_username(client, alice):
    response = _sign_in(client, "alice", "wrong password")

    assert response.status_code == 200
    html = response.content.decode()
    assert "That username and password do not match an account." in html
    assert 'value="alice"' in html
    assert "wrong password" not in html
    assert not _signed_in_as(client).is_authenticated


@pytest.mark.django_db
def test_it_refuses_an_unclaimed_imported_account(client, django_user_model):
    imported = django_user_model(username="avg-mgn", is_claimed=False)
    # Even with a password somehow set, the backend refuses the account.
    imported.set_password(PASSWORD)
    imported.save()

    response = _sign_in(client, "avg-mgn")

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert not _signed_in_as(client).is_authenticated


@override_settings(TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT=3)
def test_it_throttles_failures_per_account(client, alice):
    for username in ["alice", "ALICE", "\uff41\uff4c\uff49\uff43\uff45"]:
        _sign_in(client, username, "wrong", REMOTE_ADDR=f"10.0.0.{len(username)}")

    response = _sign_in(client, "alice")

    assert response.status_code == 200
    assert THROTTLED.search(response.content.decode())
    assert not _signed_in_as(client).is_authenticated


@override_settings(TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT=3)
def test_it_does_not_throttle_other_accounts_for_one(client, alice, bob):
    for _ in range(3):
        _sign_in(client, "alice", "wrong")

    response = _sign_in(client, "bob")

    assert response.status_code == 302


@override_settings(TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS=3)
def test_it_throttles_failures_per_address_across_usernames(client, alice):
    for username in ["bob", "mallory", "nobody at all"]:
        _sign_in(client, username, "wrong")

    response = _sign_in(client, "alice")

    assert THROTTLED.search(response.content.decode())
    assert not _signed_in_as(client).is_authenticated
    # Another address may still sign in.
    assert _sign_in(client, "alice", REMOTE_ADDR="10.0.0.9").status_code == 302


@override_settings(TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT=3)
def test_it_resets_the_account_counter_on_success(client, alice):
    for _ in range(2):
        _sign_in(client, "alice", "wrong")
    assert _sign_in(client, "alice").status_code == 302
    for _ in range(2):
        _sign_in(client, "alice", "wrong")

    assert _sign_in(client, "alice").status_code == 302


@override_settings(
    TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS=3, TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT=100
)
def test_it_keeps_the_address_counter_on_success(client, alice, bob):
    for _ in range(2):
        _sign_in(client, "bob", "wrong")
    assert _sign_in(client, "alice").status_code == 302
    _sign_in(client, "bob", "wrong")

    response = _sign_in(client, "alice")

    assert THROTTLED.search(response.content.decode())


def test_it_logs_success_and_failure_without_the_password(client, alice, caplog):
    with caplog.at_level(logging.INFO, logger="tribune.security"):
        _sign_in(client, "alice", "hunter2 secret")
        _sign_in(client, "alice", REMOTE_ADDR="10.1.2.3")

    records = [r for r in caplog.records if r.name == "tribune.security"]
    messages = [r.getMessage() for r in records]
    assert len(records) == 2
    assert "failed" in messages[0]
    assert "alice" in messages[0]
    assert "127.0.0.1" in messages[0]
    assert "succeeded" in messages[1]
    assert "10.1.2.3" in messages[1]
    assert not any("hunter2" in m or PASSWORD in m for m in messages)


def test_it_follows_a_next_on_this_site(client, alice):
    response = client.post(
        URL, {"username": "alice", "password": PASSWORD, "next": "/articles/kursk/"}
    )

    assert response.url == "/articles/kursk/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example"])
def test_it_ignores_a_next_elsewhere(client, alice, next_url):
    page = client.get(URL, {"next": next_url})
    response = client.post(
        URL, {"username": "alice", "password": PASSWORD, "next": next_url}
    )

    # The sign-in form carries no next; the language switcher's next is this
    # page's own path.
    assert f'name="next" value="{next_url}"' not in page.content.decode()
    assert 'name="next" value="/accounts/signin/?' in page.content.decode()
    assert response.url == reverse("newsroom-front")


def test_it_enforces_csrf(alice):
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert not _signed_in_as(client).is_authenticated


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    assert client.put(URL).status_code == 405


def test_it_tells_a_signed_in_reader_who_they_are(client, alice, bob):
    client.force_login(alice)

    page = client.get(URL)
    response = _sign_in(client, "bob")

    assert "You are signed in as alice." in page.content.decode()
    assert response.status_code == 302
    assert _signed_in_as(client) == bob
