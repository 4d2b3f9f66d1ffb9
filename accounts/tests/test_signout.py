import pytest
from django.test import Client
from django.urls import reverse

URL = reverse("accounts-signout")


def _signed_in_as(client):
    return client.get(reverse("newsroom-front")).wsgi_request.user


def test_it_asks_for_confirmation_on_get(client, alice):
    client.force_login(alice)

    response = client.get(URL, {"next": "/articles/kursk/"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Sign out</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/articles/kursk/">' in html
    # Merely visiting the page (or an <img> pointing at it) signs no one out.
    assert _signed_in_as(client) == alice


def test_it_signs_out_on_post(client, alice):
    client.force_login(alice)

    response = client.post(URL)

    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")
    assert not _signed_in_as(client).is_authenticated


def test_it_follows_a_next_on_this_site(client, alice):
    client.force_login(alice)

    response = client.post(URL, {"next": "/articles/kursk/"})

    assert response.url == "/articles/kursk/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example"])
def test_it_ignores_a_next_elsewhere(client, alice, next_url):
    client.force_login(alice)

    response = client.post(URL, {"next": next_url})

    assert response.url == reverse("newsroom-front")
    assert not _signed_in_as(client).is_authenticated


@pytest.mark.django_db
def test_it_lets_an_anonymous_visitor_post(client):
    response = client.post(URL)

    assert response.status_code == 302
    assert response.url == reverse("newsroom-front")


@pytest.mark.django_db
def test_it_tells_an_anonymous_visitor_they_are_not_signed_in(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "You are not signed in." in response.content.decode()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_refuses_other_methods(client, alice, method):
    client.force_login(alice)

    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert _signed_in_as(client) == alice


def test_it_enforces_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(URL)

    assert response.status_code == 403
    assert _signed_in_as(client) == alice
