import pytest
from django.core.cache import caches
from django.urls import reverse

from tribune import health

pytestmark = pytest.mark.django_db


def _get(client):
    return client.get(reverse("tribune-healthz"))


def test_it_reports_ok_with_the_database_and_the_cache_up(client, settings):
    response = _get(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert isinstance(body["database"]["ms"], float)
    assert body["cache"]["ok"] is True
    assert isinstance(body["cache"]["ms"], float)
    expected = "redis" if settings.REDIS_URL else "locmem"
    assert body["cache"]["backend"] == expected


def test_it_leaves_no_key_behind(client, monkeypatch):
    cache = caches["default"]
    keys = []
    real_set = cache.set

    def recording_set(key, *args, **kwargs):
        keys.append(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    _get(client)
    assert len(keys) == 1
    assert cache.get(keys[0]) is None


def test_it_is_degraded_but_serving_when_the_cache_raises(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(caches["default"], "set", broken)
    response = _get(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["cache"]["ok"] is False


def test_it_is_degraded_when_the_cache_loses_what_it_was_given(client, monkeypatch):
    # A cache that swallows errors answers every read with a miss.
    monkeypatch.setattr(caches["default"], "get", lambda *args, **kwargs: None)
    body = _get(client).json()
    assert body["status"] == "degraded"
    assert body["cache"]["ok"] is False


def test_it_is_down_with_503_when_the_database_fails(client, monkeypatch):
    def broken(alias="default"):
        raise health.connections[alias].Database.OperationalError("gone")

    monkeypatch.setattr(health, "check_database", broken)
    response = _get(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    assert body["cache"]["ok"] is True


def test_it_needs_no_sign_in_and_answers_head(client):
    assert client.head(reverse("tribune-healthz")).status_code == 200


def test_it_refuses_post(client):
    assert client.post(reverse("tribune-healthz")).status_code == 405
