"""Scale-out: two Tribune processes sharing one PostgreSQL and one Redis.

Two `tribune serve` processes on different ports stand for two machines
behind a load balancer. Whatever one process does must be seen at once by
the other: comments (and the anonymous page cache in Redis that would hide
them), sessions, rate limits (the posting limit is read from the database,
the sign-in throttle lives in the "ratelimit" cache, i.e. Redis) and live
updates (published on Redis by the process that took the comment).

The servers are separate processes, so pytest-django's test database is of
no use to them: the module makes its own scratch database on the PostgreSQL
server DATABASE_URL names (dropped afterwards, see tests/servers.py) and uses
a Redis database of its own (flushed before and after). It runs only when
DATABASE_URL is PostgreSQL and REDIS_URL is set, as in CI's second run.
"""

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import servers
from tests.servers import (
    PASSWORD,
    Response,
    free_port,
    hidden,
    run,
    scratch_database,
    stop,
    wait_healthy,
    with_path,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.skipif(
        not (DATABASE_URL.startswith("postgres") and REDIS_URL),
        reason="scale-out tests need DATABASE_URL=postgres://… and REDIS_URL "
        "(two processes cannot share SQLite and local memory)",
    ),
]

READERS = ("alice", "bob", "carol", "dave", "erin")
# One article per test, so each test's comment numbers do not depend on order.
VISIBLE, LIMITS, LIVE = "scaleout-visible", "scaleout-limits", "scaleout-live"
START_TIMEOUT = 20

SEED = """
import json, os
from datetime import timedelta

import django

django.setup()
from django.utils import timezone

from accounts.models import User
from discussion.actions import post_comment
from newsroom.models import Article, Section

password = os.environ["SCALEOUT_PASSWORD"]
users = {
    name: User.objects.create_user(
        username=name, email=f"{name}@example.org", password=password
    )
    for name in os.environ["SCALEOUT_READERS"].split()
}
section = Section.objects.create(name="Politics", slug="politics")
articles = {}
for slug in os.environ["SCALEOUT_ARTICLES"].split():
    articles[slug] = Article.objects.create(
        title=f"Article {slug}",
        slug=slug,
        body="Two processes, one database.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    ).pk
# The live test's reader opens a thread that already has a comment.
post_comment(
    article=Article.objects.get(slug=os.environ["SCALEOUT_LIVE"]),
    author=users["erin"],
    body="The first comment on the live thread.",
)
print(json.dumps(articles))
"""


@contextlib.contextmanager
def _scratch_redis():
    """A Redis database number other than the suite's, flushed before and after."""
    import redis

    parts = urllib.parse.urlsplit(REDIS_URL)
    suite_db = parts.path.strip("/") or "0"
    db = 6 if suite_db == "5" else 5
    url = with_path(REDIS_URL, f"/{db}")
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    client.flushdb()
    try:
        yield url, client
    finally:
        client.flushdb()
        client.close()


@dataclass
class Site:
    a: str  # http://127.0.0.1:<port of process A>
    b: str
    articles: dict[str, int]
    redis_url: str
    logs: list[Path] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scaleout")
    with (
        scratch_database(DATABASE_URL) as database_url,
        _scratch_redis() as (redis_url, _),
    ):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GRANIAN_", "TRIBUNE_", "SQLITE_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="tribune.settings",
            DATABASE_URL=database_url,
            DATABASE_CONN_MAX_AGE="0",
            REDIS_URL=redis_url,
            DEBUG="0",
            TRIBUNE_SECRET_KEY=f"scaleout-{secrets.token_hex(32)}",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL="0",
            STATIC_ROOT=str(tmp / "static"),
            # Readers made a moment ago are treated as established ones.
            TRIBUNE_NEW_ACCOUNT_SECONDS="0",
            TRIBUNE_COMMENT_MIN_INTERVAL="20",
            TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT="3",
        )
        tribune = [sys.executable, "-m", "tribune.cli"]
        # DEBUG off means hashed static names, read from collectstatic's manifest.
        collect = subprocess.Popen(  # noqa: S603
            [*tribune, "collectstatic", "--noinput", "-v0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            run([*tribune, "migrate", "-v0"], env)
            seed_env = {
                **env,
                "SCALEOUT_PASSWORD": PASSWORD,
                "SCALEOUT_READERS": " ".join(READERS),
                "SCALEOUT_ARTICLES": " ".join((VISIBLE, LIMITS, LIVE)),
                "SCALEOUT_LIVE": LIVE,
            }
            articles = json.loads(run([sys.executable, "-c", SEED], seed_env))
            output, _ = collect.communicate(timeout=120)
            if collect.returncode:
                pytest.fail(f"collectstatic failed:\n{output}")
        finally:
            if collect.poll() is None:
                collect.kill()
                collect.wait()

        servers, bases, logs = [], [], []
        try:
            for name in ("a", "b"):
                port = free_port()
                log = tmp / f"serve-{name}.log"
                with log.open("wb") as out:
                    servers.append(
                        subprocess.Popen(  # noqa: S603
                            [*tribune, "serve", "--port", str(port), "--workers", "1"],
                            env=env,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
                bases.append(f"http://127.0.0.1:{port}")
                logs.append(log)
            deadline = time.monotonic() + START_TIMEOUT
            for server, base, log in zip(servers, bases, logs, strict=True):
                health = wait_healthy(server, base, log, deadline)
                assert health["cache"]["backend"] != "locmem", health
            yield Site(*bases, articles=articles, redis_url=redis_url, logs=logs)
        finally:
            for server in servers:
                stop(server)
            # Shown with a failing test's captured output.
            for log in logs:
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")


class Browser(servers.Browser):
    def post_comment(self, base: str, slug: str, body: str) -> Response:
        # The form the reader's page shows, from whichever process served it.
        page = self.get(f"{base}/articles/{slug}/")
        assert page.status == 200, page.text
        return self.post(
            f"{base}/articles/{slug}/comments/",
            {
                "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
                "client_token": hidden(page.text, "client_token"),
                "body": body,
            },
        )


def _signed_in(browser: Browser, base: str, username: str) -> None:
    response = browser.sign_in(base, username)
    assert response.status == 302, response.text
    assert browser.cookie("sessionid"), "no session cookie after signing in"


def _events(stream: str) -> list[tuple[str, dict]]:
    found = []
    for block in stream.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line
        )
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_a_comment_posted_through_one_process_shows_at_once_through_the_other(site):
    reader = Browser()
    # An anonymous reader of B caches the page (in Redis) before the comment.
    before = reader.get(f"{site.b}/articles/{VISIBLE}/")
    assert before.status == 200
    assert 'id="c1"' not in before.text

    alice = Browser()
    _signed_in(alice, site.a, "alice")
    text = f"Posted through A, read through B {secrets.token_hex(4)}."
    posted = alice.post_comment(site.a, VISIBLE, text)
    assert posted.status == 302, posted.text
    assert posted.headers["Location"].endswith(f"/articles/{VISIBLE}/#c1")

    after = reader.get(f"{site.b}/articles/{VISIBLE}/")
    assert after.status == 200
    # No sleep: a stale page from B's cache, or B not seeing A's commit, fails.
    assert text in after.text, "B served the page without A's comment"
    assert 'id="c1"' in after.text


def test_the_posting_limit_holds_across_processes(site):
    bob = Browser()
    _signed_in(bob, site.a, "bob")
    first = bob.post_comment(site.a, LIMITS, "Bob's first, through A.")
    assert first.status == 302, first.text
    # Same session on B (sessions are shared too), at once: too fast.
    second = bob.post_comment(site.b, LIMITS, "Bob's second, through B.")
    assert second.status == 400, second.text
    assert "posting too fast" in second.text

    page = Browser().get(f"{site.a}/articles/{LIMITS}/")
    assert "first, through A." in page.text
    assert "second, through B." not in page.text


def test_the_sign_in_throttle_is_shared_by_the_processes(site):
    carol = Browser()
    refused = "That username and password do not match an account."
    for base in (site.a, site.a, site.b):
        attempt = carol.sign_in(base, "carol", "wrong password")
        assert attempt.status == 200
        assert refused in attempt.text
    # Three failures in all, though neither process saw three: both refuse,
    # even the right password.
    for base in (site.a, site.b):
        attempt = carol.sign_in(base, "carol")
        assert attempt.status == 200, f"signed in through {base} after 3 failures"
        assert "Too many failed sign-in attempts" in attempt.text
        assert carol.cookie("sessionid") is None


def test_live_updates_reach_readers_connected_to_the_other_process(site):
    import redis

    from discussion.live import channel

    reader = Browser()
    page = reader.get(f"{site.b}/articles/{LIVE}/")
    after = re.search(r'id="live-comments"[^>]*data-after="(\d+)"', page.text)
    assert after, "the page has no live-comments element"
    live = f"{site.b}/articles/{LIVE}/live/?after={after.group(1)}"

    quiet = reader.get(live)
    assert quiet.status == 200
    assert quiet.headers["Content-Type"].startswith("text/event-stream")
    assert _events(quiet.text) == []

    dave = Browser()
    # Signed in through B, posting through A: one session for both.
    _signed_in(dave, site.b, "dave")
    client = redis.Redis.from_url(site.redis_url, socket_timeout=5)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel(site.articles[LIVE], site.redis_url))
        # Read the confirmation: from here on nothing published is missed.
        pubsub.get_message(timeout=2)
        posted = dave.post_comment(site.a, LIVE, "Dave, through A, heard on B.")
        assert posted.status == 302, posted.text
        deadline = time.monotonic() + 2
        message = None
        while message is None and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=deadline - time.monotonic())
    finally:
        pubsub.close()
        client.close()
    assert message is not None, "nothing was published on Redis within 2 s"
    published = json.loads(message["data"])
    assert published["article"] == site.articles[LIVE]
    assert published["number"] == "2"

    heard = reader.get(live)
    assert heard.status == 200
    [(event, data)] = _events(heard.text)
    assert event == "comments"
    assert data["count"] == 1
    assert data["latest"] == data["first"] == "2"
    assert data["after"] == published["id"]
    assert data["url"] == f"/articles/{LIVE}/comments/2/"
