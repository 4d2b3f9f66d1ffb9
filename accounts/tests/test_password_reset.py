import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

URL = reverse("accounts-password-reset")
NEW_PASSWORD = "a brand new long passphrase"
LINK = re.compile(r"https?://\S+/accounts/password/reset/\S+/\S+/")


def _link(message):
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(0)


@pytest.mark.django_db
def test_it_shows_the_form_in_the_sites_look(client):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Reset your password</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_email">' in html
    assert "Django administration" not in html
    assert "site-header" in html


def test_it_emails_a_link_that_resets_the_password(client, alice, mailoutbox):
    response = client.post(URL, {"email": "ALICE@example.org"})

    assert response.status_code == 302
    assert response.url == reverse("accounts-password-reset-done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.org"]
    assert "Reset your password" in message.subject
    link = _link(message)
    assert link.startswith("http://testserver/")

    # Django swaps the token for a session marker, then shows the form.
    form_page = client.get(link, follow=True)
    assert "<h1>Choose a new password</h1>" in form_page.content.decode()
    assert 'name="new_password1"' in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert done.url == reverse("accounts-password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not alice.check_password(PASSWORD)
    complete = client.get(done.url)
    assert "<h1>Password changed</h1>" in complete.content.decode()


def test_it_builds_the_link_with_the_requests_host(client, alice, mailoutbox):
    client.post(URL, {"email": "alice@example.org"}, HTTP_HOST="localhost")

    assert _link(mailoutbox[0]).startswith("http://localhost/accounts/")


def test_it_refuses_a_link_used_twice(client, alice, mailoutbox):
    client.post(URL, {"email": "alice@example.org"})
    link = _link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = Client().get(link, follow=True)

    assert "This link has expired or was already used." in again.content.decode()


def test_it_refuses_mismatched_new_passwords(client, alice, mailoutbox):
    client.post(URL, {"email": "alice@example.org"})
    form_page = client.get(_link(mailoutbox[0]), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": "something else"},
    )

    assert response.status_code == 200
    assert "The two password fields didn" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.django_db
def test_it_does_not_say_whether_an_address_has_an_account(client, mailoutbox):
    response = client.post(URL, {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response.url == reverse("accounts-password-reset-done")
    assert mailoutbox == []


@pytest.mark.django_db
def test_it_sends_nothing_for_an_unclaimed_account(
    client, django_user_model, mailoutbox
):
    imported = django_user_model(
        username="Aleksandr72", email="a72@example.org", is_claimed=False
    )
    imported.set_unusable_password()
    imported.save()

    client.post(URL, {"email": "a72@example.org"})

    assert mailoutbox == []


@pytest.mark.django_db
def test_it_refuses_a_bad_address_and_keeps_it(client, mailoutbox):
    response = client.post(URL, {"email": "not an address"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="not an address"' in html
    assert mailoutbox == []


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    assert client.put(URL).status_code == 405


def test_it_enforces_csrf(alice, mailoutbox):
    response = Client(enforce_csrf_checks=True).post(
        URL, {"email": "alice@example.org"}
    )

    assert response.status_code == 403
    assert mailoutbox == []


# Changing the password while signed in.

CHANGE_URL = reverse("accounts-password-change")


@pytest.mark.django_db
def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(CHANGE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-signin") + "?next=")


def test_it_changes_the_password(client, alice):
    client.force_login(alice)
    page = client.get(CHANGE_URL)

    response = client.post(
        CHANGE_URL,
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert "<h1>Change your password</h1>" in page.content.decode()
    assert "Django administration" not in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("accounts-password-change-done")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The session survives the change.
    done = client.get(response.url)
    assert done.wsgi_request.user == alice
    assert "<h1>Password changed</h1>" in done.content.decode()


def test_it_refuses_a_wrong_old_password(client, alice):
    client.force_login(alice)

    response = client.post(
        CHANGE_URL,
        {
            "old_password": "wrong",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_refuses_put_on_the_change_form(client, alice):
    client.force_login(alice)

    assert client.put(CHANGE_URL).status_code == 405
