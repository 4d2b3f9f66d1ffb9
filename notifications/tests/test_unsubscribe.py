import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Preference
from notifications.unsubscribe import make_token, read_token, unsubscribe_url

pytestmark = pytest.mark.urls("notifications.tests.urls")


def url_for(user, *fields):
    return reverse("notifications-unsubscribe", args=[make_token(user.pk, fields)])


def test_it_asks_before_unsubscribing(client, alice):
    response = client.get(url_for(alice, "email_replies"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "emails about replies to your comments" in page
    assert "<strong>alice</strong>" in page
    assert 'method="post"' in page
    assert not Preference.objects.exists()


def test_it_unsubscribes_on_post_without_a_session(alice):
    # The confirm form has no CSRF token: the signed link is the credential.
    client = Client(enforce_csrf_checks=True)
    response = client.post(url_for(alice, "email_follows"))
    assert response.status_code == 200
    assert "We will no longer send" in response.content.decode()
    preference = Preference.objects.get(user=alice)
    assert preference.email_follows == "off"
    assert preference.email_replies == "immediately"


def test_it_takes_a_mail_clients_one_click_post(maude):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url_for(maude, "moderator_digest"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Preference.objects.get(user=maude).moderator_digest is False


def test_it_unsubscribes_from_every_field_of_a_digest(client, alice):
    client.post(url_for(alice, "email_replies", "email_follows"))
    preference = Preference.objects.get(user=alice)
    assert (preference.email_replies, preference.email_follows) == ("off", "off")


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_a_tampered_token(client, alice, bob, method):
    token = make_token(alice.pk, ["email_replies"])
    _, rest = token.split(":", 1)
    forged = make_token(bob.pk, ["email_replies"]).split(":", 1)[0] + ":" + rest
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = getattr(client, method)(
            reverse("notifications-unsubscribe", args=[bad])
        )
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not Preference.objects.exists()


def test_it_refuses_an_expired_token(client, alice, settings):
    settings.TRIBUNE_UNSUBSCRIBE_MAX_AGE = -1
    response = client.post(url_for(alice, "email_replies"))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Preference.objects.exists()


def test_it_refuses_a_token_signed_for_something_else(client, alice):
    from django.core import signing

    # Validly signed, but with another salt (another feature's token).
    other = signing.dumps({"u": alice.pk, "f": ["email_replies"]}, salt="other")
    response = client.post(reverse("notifications-unsubscribe", args=[other]))
    assert response.status_code == 400


def test_it_refuses_other_methods(client, alice):
    response = client.put(url_for(alice, "email_replies"))
    assert response.status_code == 405


def test_it_builds_absolute_links(alice, settings):
    settings.SITE_URL = "https://tribune.example"
    link = unsubscribe_url(alice.pk, ["email_follows"])
    assert link.startswith("https://tribune.example/notifications/unsubscribe/")
    assert read_token(link.rstrip("/").rsplit("/", 1)[1]) == (
        alice.pk,
        ["email_follows"],
    )
