import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import actions
from api.actions import MAX_ACTIVE_TOKENS, TokenRefused
from api.models import AccessToken
from api.tests.conftest import Api
from conftest import PASSWORD

TOKEN = re.compile(r'value="(tribune_[A-Za-z0-9_-]{43})"')


def make_token(client, name="Phone app"):
    return client.post(reverse("api-tokens"), {"name": name})


def test_it_shows_a_new_token_once_and_stores_only_its_hash(client, alice):
    client.force_login(alice)
    response = make_token(client)
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    text = TOKEN.search(response.content.decode()).group(1)
    token = AccessToken.objects.get()
    assert (token.user, token.name) == (alice, "Phone app")
    assert token.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text.startswith(token.prefix) and len(token.prefix) == len("tribune_") + 8
    assert text not in str(AccessToken.objects.values().get())
    listing = client.get(reverse("api-tokens")).content.decode()
    assert "Phone app" in listing and token.prefix in listing
    assert text not in listing


def test_it_authenticates_with_the_token_and_notes_its_use(client, alice):
    client.force_login(alice)
    text = TOKEN.search(make_token(client).content.decode()).group(1)
    response = Api(Client(), text)("GET", "/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["can_write"] is True
    assert AccessToken.objects.get().last_used_at is not None


def test_it_notes_use_at_most_once_a_minute(token_of, alice, django_assert_num_queries):
    api = Api(Client(), token_of(alice))
    api("GET", "/me")
    # The token with its reader, and whether the reader moderates.
    with django_assert_num_queries(2):
        api("GET", "/me")
    AccessToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=5))
    with django_assert_num_queries(3):  # and the note of its use
        api("GET", "/me")


def test_it_revokes_a_token(client, token_of, alice):
    text = token_of(alice)
    token = AccessToken.objects.get()
    client.force_login(alice)
    response = client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = Api(Client(), text)("GET", "/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "This access token was revoked."
    assert "revoked" in client.get(reverse("api-tokens")).content.decode()


def test_it_refuses_to_revoke_another_reader_s_token(client, token_of, alice, bob):
    token_of(alice)
    token = AccessToken.objects.get()
    client.force_login(bob)
    response = client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(TokenRefused):
        actions.revoke_token(user=bob, token=token)


def test_it_lists_only_your_own_tokens(client, token_of, alice, bob):
    token_of(alice, "Alice's script")
    client.force_login(bob)
    assert "Alice's script" not in client.get(reverse("api-tokens")).content.decode()


def test_it_sends_an_anonymous_visitor_to_sign_in(db, client):
    assert client.get(reverse("api-tokens")).status_code == 302
    response = make_token(client)
    assert response.status_code == 302
    assert "/accounts/signin/" in response["Location"]
    assert not AccessToken.objects.exists()


def test_it_needs_the_csrf_token_to_make_or_revoke(token_of, alice):
    token_of(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert make_token(client).status_code == 403
    token = AccessToken.objects.get()
    revoke = client.post(reverse("api-token-revoke", args=[token.pk]))
    assert revoke.status_code == 403
    assert AccessToken.objects.active().count() == 1


def test_it_refuses_a_token_without_a_name(client, alice):
    client.force_login(alice)
    response = make_token(client, "   ")
    assert response.status_code == 400
    assert "Name the token" in response.content.decode()
    assert not AccessToken.objects.exists()


def test_it_caps_the_active_tokens_of_a_reader(client, token_of, alice):
    for _ in range(MAX_ACTIVE_TOKENS):
        token_of(alice)
    client.force_login(alice)
    response = make_token(client)
    assert response.status_code == 400
    assert "revoke one" in response.content.decode()
    assert AccessToken.objects.count() == MAX_ACTIVE_TOKENS


def test_a_closed_account_s_token_no_longer_works(token_of, alice):
    api = Api(Client(), token_of(alice))
    alice.is_active = False
    alice.save()
    assert api("GET", "/me").status_code == 401


def test_a_banned_reader_s_token_reads_but_reports_the_ban(token_of, banned):
    data = Api(Client(), token_of(banned))("GET", "/me").json()
    assert data["can_write"] is False
    assert "Insults to other readers" in data["refusal"]


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer tribune_nope", "bearer x y"]
)
def test_it_refuses_malformed_or_unknown_tokens(db, client, header):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_it_lists_and_revokes_tokens_in_the_admin(
    client, token_of, alice, django_user_model
):
    token_of(alice, "Old script")
    boss = django_user_model.objects.create_superuser("boss", "b@example.org", PASSWORD)
    client.force_login(boss)
    listing = client.get(reverse("admin:api_accesstoken_changelist"))
    assert listing.status_code == 200
    assert "Old script" in listing.content.decode()
    assert client.get(reverse("admin:api_accesstoken_add")).status_code == 403
    token = AccessToken.objects.get()
    page = client.get(reverse("admin:api_accesstoken_change", args=[token.pk]))
    assert "token_hash" not in page.content.decode()
    client.post(
        reverse("admin:api_accesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_profile_page_links_to_the_tokens(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts-profile-edit")).content.decode()
    assert reverse("api-tokens") in page


def test_answers_for_a_reader_stay_out_of_shared_caches(
    client, token_of, alice, article
):
    mine = Api(Client(), token_of(alice))("GET", "/me")
    assert "private" in mine["Cache-Control"]
    assert "Authorization" in mine["Vary"]
    public = Api(client)("GET", "/articles")
    assert "private" not in public.get("Cache-Control", "")
    assert "Authorization" in public["Vary"]


def test_it_refuses_the_wrong_method(client, token_of, alice):
    token_of(alice)
    token = AccessToken.objects.get()
    client.force_login(alice)
    assert client.get(reverse("api-token-revoke", args=[token.pk])).status_code == 405
    assert client.put(reverse("api-tokens")).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
