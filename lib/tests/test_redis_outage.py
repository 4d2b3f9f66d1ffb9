"""Redis away: pages still served, rate limits still hold, /healthz says so."""

import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from conftest import PASSWORD
from lib import cache as tolerant
from lib import ratelimit

# Nothing listens on port 1: every connection is refused at once.
DEAD = "redis://127.0.0.1:1/0"
OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = DEAD
    settings.CACHES = {
        "default": {
            "BACKEND": "lib.cache.TolerantRedisCache",
            "LOCATION": DEAD,
            "OPTIONS": OPTIONS,
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD,
            "OPTIONS": OPTIONS,
        },
        "ratelimit-fallback": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tribune_ratelimit",
        },
    }
    ratelimit._down_until[0] = 0.0
    yield
    ratelimit._down_until[0] = 0.0


def test_the_tolerant_cache_misses_instead_of_raising(redis_down):
    cache = caches["default"]
    assert cache.get("k", "default") == "default"
    assert cache.available is False
    # Left alone meanwhile: no connection attempt, no error.
    started = time.monotonic()
    for _ in range(100):
        cache.set("k", "v")
        assert cache.get("k") is None
        assert cache.add("k", "v") is False
        assert cache.get_many(["k"]) == {}
        cache.delete("k")
    assert time.monotonic() - started < 0.5
    with pytest.raises(ValueError):
        cache.incr("k")


def test_it_tries_redis_again_after_a_while(redis_down, monkeypatch):
    cache = caches["default"]
    cache.get("k")
    assert not cache.available
    clock = time.monotonic() + tolerant.RETRY_SECONDS + 1
    monkeypatch.setattr(tolerant.time, "monotonic", lambda: clock)
    assert cache.available


def test_pages_are_served_while_redis_is_away(redis_down, client, article, alice):
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get("/").status_code == 200
    client.force_login(alice)
    assert client.get(article.get_absolute_url()).status_code == 200


def test_healthz_says_the_cache_is_down(redis_down, client, db):
    response = client.get(reverse("tribune-healthz"))
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"]["ok"] is False


def test_rate_limits_hold_in_the_database_meanwhile(redis_down, db):
    limit = ratelimit.Limit("outage-test", 3, 60)
    counts = [ratelimit.hit(limit, "reader") for _ in range(4)]
    assert counts == [1, 2, 3, 4]
    assert ratelimit.retry_after(limit, "reader") > 0
    # Counted in the database table, where every process sees them.
    assert (
        caches["ratelimit-fallback"].get(
            ratelimit._key(limit, "reader", time.time())[0]
        )
        == 4
    )


def test_sign_in_is_still_throttled_while_redis_is_away(redis_down, client, alice):
    from django.conf import settings

    url = reverse("accounts-signin")
    for _ in range(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT):
        client.post(url, {"username": "alice", "password": "wrong password!"})
    response = client.post(url, {"username": "alice", "password": PASSWORD})
    assert response.status_code != 302
    assert "Too many failed sign-in attempts" in response.content.decode()
