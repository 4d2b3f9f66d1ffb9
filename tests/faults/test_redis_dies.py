"""Redis killed under a running site: it keeps serving, and says so.

A redis-server of the test's own (no persistence) is the cache, session
cache and rate-limit store of a real `tribune serve` (on a scratch SQLite
file, or a scratch PostgreSQL database beside DATABASE_URL's). It is killed
with SIGKILL: pages must still be served, signed-in readers stay signed in,
posting works, a new sign-in works, the sign-in throttle still refuses
(counted in the database meanwhile) and /healthz answers 200 "degraded".
Started again on the same port, Redis is taken back into use without
restarting Tribune: /healthz says "ok" again within seconds.
"""

import contextlib
import os
import time

import pytest

from tests.faults.servers import (
    PrivateRedis,
    api_post,
    prepare_site,
    redis_missing,
    serving,
    tribune_env,
)
from tests.servers import Browser, hidden, scratch_database

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
SLUG = "cache-gone"
READERS = ("alice", "bob", "carol", "wanda")
# lib.cache.RETRY_SECONDS (5 s) between attempts, and some slack.
RECOVERY_LIMIT = 12.0
# Requests while Redis is gone must not wait on it (each Redis call could
# wait out its 1 s socket timeout). A sign-in, hashing with Argon2 on a busy
# machine, takes up to about half of this by itself.
SLOW = 3.0


@contextlib.contextmanager
def _database(tmp):
    if DATABASE_URL.startswith("postgres"):
        with scratch_database(DATABASE_URL) as url:
            yield url
    else:
        yield str(tmp / "tribune.sqlite3")


def _post_comment(browser: Browser, base: str, body: str):
    page = browser.get(f"{base}/articles/{SLUG}/")
    assert page.status == 200, page.text
    return browser.post(
        f"{base}/articles/{SLUG}/comments/",
        {
            "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
            "client_token": hidden(page.text, "client_token"),
            "body": body,
        },
    )


class Timed:
    """Calls through a Browser, noting the slowest answer."""

    def __init__(self):
        self.slowest = 0.0
        self.which = ""

    def __call__(self, call, *args):
        started = time.monotonic()
        response = call(*args)
        took = time.monotonic() - started
        if took > self.slowest:
            self.slowest, self.which = took, f"{call.__name__}{args[1:]}"
        return response


def _health(base: str) -> dict:
    response = Browser().get(f"{base}/healthz")
    assert response.status == 200, response.text
    return response.json()


def test_the_site_keeps_serving_while_redis_is_dead(static_root, tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        with _database(tmp_path) as database:
            env = tribune_env(database, static_root, REDIS_URL=redis.url)
            tokens = prepare_site(env, READERS, [SLUG])
            with serving(env, tmp_path) as base:
                _check_outage(base, redis, tokens)
    finally:
        redis.kill()


def _check_outage(base: str, redis: PrivateRedis, tokens: dict) -> None:
    article = f"{base}/articles/{SLUG}/"
    health = _health(base)
    assert health["status"] == "ok", health
    assert health["cache"] == {**health["cache"], "backend": "redis", "ok": True}

    alice = Browser()
    assert alice.sign_in(base, "alice").status == 302
    assert _post_comment(alice, base, "Before the outage.").status == 302
    reader = Browser()
    before = reader.get(article)
    assert before.status == 200 and "Before the outage." in before.text
    # Read again: now from the page cache in Redis.
    assert "Before the outage." in reader.get(article).text

    redis.kill()
    timed = Timed()

    health = timed(_health, base)
    assert health["status"] == "degraded", health
    assert health["cache"]["ok"] is False
    assert health["database"]["ok"] is True

    # Pages: the anonymous reader's and the signed-in reader's.
    page = timed(reader.get, article)
    assert page.status == 200, page.text
    assert "Before the outage." in page.text
    assert timed(reader.get, f"{base}/").status == 200
    own = timed(alice.get, article)
    assert own.status == 200
    assert "Sign out" in own.text, "alice lost her session with Redis"

    # Posting, through the form and through the API, shows at once.
    posted = timed(_post_comment, alice, base, "During the outage, by form.")
    assert posted.status == 302, posted.text
    api = timed(
        api_post, Browser(tokens["wanda"]), base, SLUG, "During, by API.", "w-1"
    )
    assert api.status == 201, api.text
    page = timed(reader.get, article)
    assert "During the outage, by form." in page.text
    assert "During, by API." in page.text

    # A new sign-in works; the throttle still refuses, counted in the database.
    bob = Browser()
    assert timed(bob.sign_in, base, "bob").status == 302
    assert bob.cookie("sessionid")
    assert "Sign out" in timed(bob.get, article).text
    carol = Browser()
    for _ in range(3):  # TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT
        refused = timed(carol.sign_in, base, "carol", "not her password at all")
        assert refused.status == 200
        assert "do not match an account" in refused.text
    throttled = timed(carol.sign_in, base, "carol")
    assert throttled.status == 200, "signed in after 3 failures while Redis was away"
    assert "Too many failed sign-in attempts" in throttled.text
    assert carol.cookie("sessionid") is None
    assert timed.slowest < SLOW, f"{timed.which} took {timed.slowest:.2f} s"

    # Redis again, same port, empty: taken back without restarting Tribune.
    redis.start()
    restarted = time.monotonic()
    while _health(base)["status"] != "ok":
        if time.monotonic() - restarted > RECOVERY_LIMIT:
            pytest.fail(f"/healthz not ok {RECOVERY_LIMIT} s after Redis came back")
        time.sleep(0.1)
    recovery = time.monotonic() - restarted

    assert _post_comment(alice, base, "After the outage.").status == 302
    for _ in range(2):  # rendered, then from the page cache in Redis
        page = reader.get(article)
        assert page.status == 200
        for text in (
            "Before the outage.",
            "During the outage, by form.",
            "During, by API.",
            "After the outage.",
        ):
            assert text in page.text
    assert "Sign out" in alice.get(article).text
    print(
        f"Redis outage figures: slowest answer while away {timed.slowest:.3f} s "
        f"({timed.which}), "
        f"healthz ok again {recovery:.2f} s after Redis restarted"
    )
