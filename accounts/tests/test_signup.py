import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from accounts.validators import UsernameValidator
from conftest import PASSWORD

URL = reverse("accounts-signup")


def _data(**overrides):
    data = {
        "username": "Volga Cossack",
        "email": "volga@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def _signed_in_as(client):
    return client.get(reverse("newsroom-front")).wsgi_request.user


@pytest.mark.django_db
def test_it_shows_the_form(client):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Sign up</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">' in html
    assert 'name="password2"' in html


@pytest.mark.django_db
def test_it_creates_an_account_and_signs_the_reader_in(client):
    response = client.post(URL, _data())

    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")
    user = get_user_model().objects.get(username="Volga Cossack")
    assert user.email == "volga@example.org"
    assert user.is_claimed
    assert user.check_password(PASSWORD)
    assert _signed_in_as(client) == user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username",
    ["Volga Cossack", "serge siberian", "avg-mgn", "Aleksandr72", "Волжский казак"],
)
def test_it_accepts_real_readers_names(client, username):
    response = client.post(URL, _data(username=username))

    assert response.status_code == 302
    assert get_user_model().objects.filter(username=username).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username", ["<script>alert(1)</script>", "🙂 smiley", "Volga 🚀"]
)
def test_it_refuses_markup_and_emoji_usernames(client, username):
    response = client.post(URL, _data(username=username))

    assert response.status_code == 200
    assert str(UsernameValidator.message) in response.content.decode()
    assert not get_user_model().objects.filter(email="volga@example.org").exists()
    # The email is kept so the reader only fixes the name; the markup is escaped.
    assert 'value="volga@example.org"' in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_double_spaces(client):
    response = client.post(URL, _data(username="Volga  Cossack"))

    assert response.status_code == 200
    assert "two in a row" in response.content.decode()


def test_it_refuses_a_username_taken_in_another_case(client, alice):
    response = client.post(URL, _data(username="ALICE"))

    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()
    assert get_user_model().objects.filter(username__iexact="alice").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_cyrillic_username_taken_in_another_case(
    client, django_user_model
):
    django_user_model.objects.create_user("Волжский казак", "v@example.org", "x")

    response = client.post(URL, _data(username="Волжский казак".upper()))

    assert "That username is taken." in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_the_username_of_an_unclaimed_imported_account(
    client, django_user_model
):
    imported = django_user_model(username="serge siberian", is_claimed=False)
    imported.set_unusable_password()
    imported.save()

    response = client.post(URL, _data(username="Serge Siberian"))

    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()
    imported.refresh_from_db()
    assert not imported.is_claimed
    assert not imported.has_usable_password()


def test_it_refuses_an_email_in_use_in_another_case(client, alice):
    response = client.post(URL, _data(email="ALICE@example.org"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "An account with that email address already exists." in html
    assert 'value="Volga Cossack"' in html
    assert not get_user_model().objects.filter(username="Volga Cossack").exists()


@pytest.mark.django_db
def test_it_requires_an_email(client):
    response = client.post(URL, _data(email=""))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        (PASSWORD, PASSWORD + "!", "The two password fields didn"),
        ("password", "password", "This password is too common."),
        ("x1", "x1", "This password is too short."),
    ],
)
def test_it_refuses_bad_passwords(client, password1, password2, message):
    response = client.post(URL, _data(password1=password1, password2=password2))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Volga Cossack"' in html
    assert PASSWORD not in html
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_it_follows_a_next_on_this_site(client):
    response = client.post(URL, {**_data(), "next": "/articles/kursk/#c7"})

    assert response.status_code == 302
    assert response.url == "/articles/kursk/#c7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example", "/\\evil.example"]
)
def test_it_ignores_a_next_elsewhere(client, next_url):
    page = client.get(URL, {"next": next_url})
    response = client.post(URL, {**_data(), "next": next_url})

    # The sign-up form carries no next; the language switcher's next is this
    # page's own path.
    assert f'name="next" value="{next_url}"' not in page.content.decode()
    assert 'name="next" value="/accounts/signup/?' in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")


@pytest.mark.django_db
def test_it_keeps_next_in_the_form(client):
    response = client.get(URL, {"next": "/articles/kursk/"})

    assert 'name="next" value="/articles/kursk/"' in response.content.decode()


@pytest.mark.django_db
@override_settings(TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR=2)
def test_it_limits_sign_ups_per_address(client, django_user_model):
    for number in range(2):
        client.post(URL, _data(username=f"reader{number}", email=f"r{number}@e.org"))
        client.post(reverse("accounts-signout"))

    response = client.post(URL, _data(username="reader3", email="r3@example.org"))

    assert response.status_code == 200
    html = response.content.decode()
    # The hour's window may end within a minute, when the wait is in seconds.
    assert re.search(r"Try again in \d+ (minute|second)s?", html)
    assert 'value="reader3"' in html
    assert 'value="r3@example.org"' in html
    assert django_user_model.objects.count() == 2
    # Another address is not affected.
    other = client.post(
        URL, _data(username="reader4", email="r4@e.org"), REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


@pytest.mark.django_db
@override_settings(TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR=1)
def test_it_does_not_count_refused_sign_ups(client, django_user_model):
    client.post(URL, _data(password2="mismatch"))

    response = client.post(URL, _data())

    assert response.status_code == 302
    assert django_user_model.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    response = client.put(URL)

    assert response.status_code == 405


def test_it_sends_a_signed_in_reader_on(client, alice):
    client.force_login(alice)

    response = client.post(URL, _data())

    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")
    assert not get_user_model().objects.filter(username="Volga Cossack").exists()
