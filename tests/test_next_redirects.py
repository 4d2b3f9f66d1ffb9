"""`next=` sends readers only to this site's own paths, in every view taking it.

Each hostile value goes to sign-in, sign-up, sign-out, the password-reset
form and the moderation decisions; the redirect goes to the view's own
fallback and the page never repeats the value in a link or hidden field.
"""

import pytest
from django.urls import reverse

from conftest import PASSWORD

HOSTILE = [
    "//evil.example",
    "//evil.example/articles/x/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "http:evil.example",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "\\\\evil",
    "articles/x/",
    "evil.example",
]
# Still this site (a path), but with characters that must not split the
# Location header or reach it raw.
INJECTION = "/articles/x/\r\nSet-Cookie: planted=1"


def _evil_free(response):
    # The header's own "Sign in" link and the footer's language switcher carry
    # the current URL, escaped, as a path on this site; the page's own forms
    # and links are what must not.
    text = response.content.decode().split('<main id="main"', 1)[1]
    text = text.split("</main>", 1)[0]
    for marker in ("evil", "javascript:", "vbscript:", "data:text"):
        assert marker not in text.lower(), marker


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_ignores_a_next_elsewhere(client, alice, target):
    form = client.get(reverse("accounts-signin"), {"next": target})
    _evil_free(form)

    response = client.post(
        reverse("accounts-signin"),
        {"username": "alice", "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("newsroom-front")


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE)
def test_sign_up_ignores_a_next_elsewhere(client, target):
    form = client.get(reverse("accounts-signup"), {"next": target})
    _evil_free(form)

    response = client.post(
        reverse("accounts-signup"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": target,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("newsroom-front")


@pytest.mark.parametrize("target", HOSTILE)
def test_a_signed_in_reader_on_sign_up_is_not_sent_away(client, alice, target):
    client.force_login(alice)

    response = client.get(reverse("accounts-signup"), {"next": target})

    assert response["Location"] == reverse("newsroom-front")


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_out_ignores_a_next_elsewhere(client, alice, target):
    client.force_login(alice)
    _evil_free(client.get(reverse("accounts-signout"), {"next": target}))

    response = client.post(reverse("accounts-signout"), {"next": target})

    assert response["Location"] == reverse("newsroom-front")


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE)
def test_the_password_reset_form_drops_a_next_elsewhere(client, target):
    _evil_free(client.get(reverse("accounts-password-reset"), {"next": target}))


@pytest.mark.parametrize("target", HOSTILE)
def test_moderation_decisions_ignore_a_next_elsewhere(
    client, maude, article, alice, target
):
    from discussion.actions import post_comment

    comment = post_comment(article=article, author=alice, body="Fine words.")
    client.force_login(maude)

    response = client.post(
        reverse("moderation-decide", args=[comment.pk, "approve"]), {"next": target}
    )

    assert response["Location"] == reverse("moderation-queue")


def test_a_newline_cannot_split_the_location_header(client, alice):
    response = client.post(
        reverse("accounts-signin"),
        {"username": "alice", "password": PASSWORD, "next": INJECTION},
    )

    assert response.status_code == 302
    assert "\n" not in response["Location"] and "\r" not in response["Location"]
    assert response["Location"].startswith("/articles/x/")
    assert "planted" not in response.cookies


def test_a_path_on_this_site_is_followed(client, alice):
    target = "/articles/x/?sort=new#c-7.1"

    response = client.post(
        reverse("accounts-signin"),
        {"username": "alice", "password": PASSWORD, "next": target},
    )

    assert response["Location"] == target
