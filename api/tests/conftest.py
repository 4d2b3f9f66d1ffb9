import json

import pytest
from django.test import Client
from django.utils import timezone

from api import actions as token_actions
from discussion import actions as discussion


class Api:
    """Calls the API as a client would, with a token or the test's session."""

    def __init__(self, client: Client, token: str | None = None, **headers):
        self.client = client
        self.token = token
        self.headers = headers

    def __call__(self, method: str, path: str, data=None, **headers):
        headers = {**self.headers, **headers}
        if self.token is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        kwargs = {}
        if data is not None:
            kwargs = {"data": json.dumps(data), "content_type": "application/json"}
        return getattr(self.client, method.lower())(
            f"/api/v1{path}", **kwargs, **headers
        )


@pytest.fixture
def token_of(db):
    """token_of(user) makes a personal access token and returns its text."""

    def make(user, name="test client"):
        return token_actions.create_token(user=user, name=name)[1]

    return make


@pytest.fixture
def as_user(client, token_of):
    """as_user(user) calls the API with a fresh token of `user`."""
    return lambda user: Api(client, token_of(user))


@pytest.fixture
def anonymous(client):
    return Api(client)


@pytest.fixture
def comment(article, alice):
    return discussion.post_comment(article=article, author=alice, body="A first view")


@pytest.fixture
def banned(mallory):
    mallory.banned_at = timezone.now()
    mallory.ban_reason = "Insults to other readers"
    mallory.save()
    return mallory


def signed_in_without_csrf(user) -> Api:
    """A browser session that does not send the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return Api(client)


def signed_in_with_csrf(user) -> Api:
    """A browser session sending the CSRF cookie's value in X-CSRFToken."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/api/tokens/")  # sets the csrftoken cookie
    return Api(client, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
