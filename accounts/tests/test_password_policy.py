"""Passwords: at least 12 characters, none from the bundled breached list.

The list is accounts/data/common-passwords.txt.gz (40,101 entries: Django's
20,000 merged with zxcvbn's 30,000; accounts/data/README.md). Sign-up,
password change and password reset all go through the same validators.
"""

import gzip
from pathlib import Path

import django.contrib.auth
import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import PASSWORD

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
TOO_COMMON = "This password is too common."
ELEVEN = "vq7-lumen-o"
TWELVE = "vq7-lumen-ox"
# 12 characters or more, and in the breached list.
BREACHED = ["qwerty123456", "password1234", "1q2w3e4r5t6y", "QWERTY123456"]
LIST = Path(settings.BASE_DIR) / "accounts" / "data" / "common-passwords.txt.gz"


def _messages(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


@pytest.mark.django_db
def test_it_refuses_eleven_characters_and_accepts_twelve():
    assert len(ELEVEN) == 11 and len(TWELVE) == 12
    assert _messages(ELEVEN) == [TOO_SHORT]
    assert _messages(TWELVE) == []


@pytest.mark.django_db
@pytest.mark.parametrize("password", BREACHED)
def test_it_refuses_a_long_breached_password(password):
    assert _messages(password) == [TOO_COMMON]


def test_the_bundled_list_includes_djangos_and_more():
    with gzip.open(LIST, "rt", encoding="utf-8") as bundled:
        ours = {line.strip() for line in bundled}
    django_list = Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz"
    with gzip.open(django_list, "rt", encoding="utf-8") as shipped:
        theirs = {line.strip() for line in shipped}

    assert len(ours) == 40101
    assert theirs <= ours
    assert sum(len(word) >= 12 for word in ours) == 351


def test_argon2_hashes_new_passwords():
    # The conftest swaps hashers for speed; the setting itself must lead with
    # Argon2 (test_password_hashing.py checks a real hash).
    from tribune import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _signup(client, password):
    return client.post(
        reverse("accounts-signup"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"), [(ELEVEN, TOO_SHORT), ("qwerty123456", TOO_COMMON)]
)
def test_sign_up_enforces_the_policy(client, django_user_model, password, message):
    response = _signup(client, password)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not django_user_model.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_sign_up_accepts_twelve_characters(client, django_user_model):
    response = _signup(client, TWELVE)

    assert response.status_code == 302
    assert django_user_model.objects.get(username="newcomer").check_password(TWELVE)


@pytest.mark.parametrize(
    ("password", "message"), [(ELEVEN, TOO_SHORT), ("password1234", TOO_COMMON)]
)
def test_password_change_enforces_the_policy(client, alice, password, message):
    client.force_login(alice)

    response = client.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": password,
            "new_password2": password,
        },
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
