"""Live updates streamed by a real `tribune serve --live` (granian, ASGI).

The module starts the live server on a free port over a scratch database
(SQLite in a temporary directory, or a new database beside DATABASE_URL's on
PostgreSQL), opens an article's event stream with a raw socket, posts a
comment from another process through discussion.actions, and reads the
`comments` event from the open stream: through Redis pub/sub when REDIS_URL
is set, by the stream's database poll otherwise. Closing the client must end
the server's stream: its socket closed, and with Redis its subscription gone.

It runs in both CI legs. With REDIS_URL it uses that Redis database as it is
(nothing is flushed); pub/sub channels are shared by every database of a
Redis server, so the article gets a random id to have a channel of its own.
"""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port, run, scratch_database, stop, wait_healthy

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
SLUG = "live-server"
# Without Redis the stream polls this often; an event must arrive within 2 s.
POLL_SECONDS = 1
START_TIMEOUT = 20

SEED = """
import json, os
from datetime import timedelta

import django

django.setup()
from django.core.management import call_command
from django.utils import timezone

call_command("migrate", verbosity=0)
from accounts.models import User
from discussion.actions import post_comment
from newsroom.models import Article, Section

erin = User.objects.create_user(username="erin", email="erin@example.org")
User.objects.create_user(username="frank", email="frank@example.org")
article = Article.objects.create(
    pk=int(os.environ["LIVE_ARTICLE_ID"]),
    title="Live",
    slug=os.environ["LIVE_SLUG"],
    body="Read while it is discussed.",
    section=Section.objects.create(name="Politics", slug="politics"),
    status=Article.Status.PUBLISHED,
    published_at=timezone.now() - timedelta(hours=1),
)
first = post_comment(article=article, author=erin, body="The first comment.")
print(json.dumps({"article": article.pk, "first": first.pk}))
"""

POST = """
import json, os, secrets

import django

django.setup()
from accounts.models import User
from discussion.actions import post_comment
from newsroom.models import Article

comment = post_comment(
    article=Article.objects.get(slug=os.environ["LIVE_SLUG"]),
    author=User.objects.get(username="frank"),
    body=f"Frank's comment, posted while the page is open ({secrets.token_hex(4)}).",
)
print(json.dumps({"id": comment.pk, "number": comment.number}))
"""


@dataclass
class LiveServer:
    port: int
    article: int  # its id
    first: int  # the id of its comment
    env: dict[str, str]  # of the server, for the posting process


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A running `tribune serve --live` and the article it has."""
    tmp = tmp_path_factory.mktemp("live")
    with contextlib.ExitStack() as stack:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GRANIAN_", "TRIBUNE_", "SQLITE_", "DATABASE_"))
            and k != "REDIS_URL"
        }
        if DATABASE_URL.startswith("postgres"):
            env["DATABASE_URL"] = stack.enter_context(scratch_database(DATABASE_URL))
        else:
            env["SQLITE_PATH"] = str(tmp / "live.sqlite3")
        if REDIS_URL:
            env["REDIS_URL"] = REDIS_URL
        env.update(
            DJANGO_SETTINGS_MODULE="tribune.settings",
            DEBUG="0",
            TRIBUNE_SECRET_KEY=f"live-{secrets.token_hex(32)}",
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL="0",
            TRIBUNE_NEW_ACCOUNT_SECONDS="0",
            # Frank posts once per test.
            TRIBUNE_COMMENT_MIN_INTERVAL="0",
            TRIBUNE_LIVE_POLL_SECONDS=str(POLL_SECONDS),
            TRIBUNE_LIVE_MAX_SECONDS="60",
            LIVE_SLUG=SLUG,
            LIVE_ARTICLE_ID=str(secrets.randbelow(10**9) + 10**9),
        )
        tribune = [sys.executable, "-m", "tribune.cli"]
        seeded = json.loads(run([sys.executable, "-c", SEED], env))

        port = free_port()
        log = tmp / "live.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 (our own command line)
                [*tribune, "serve", "--live", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            # /healthz is a synchronous view: Django runs it in a thread
            # under ASGI.
            wait_healthy(server, base, log, time.monotonic() + START_TIMEOUT)
            yield LiveServer(port, seeded["article"], seeded["first"], env)
        finally:
            stop(server)
            print(f"--- live.log\n{log.read_text(errors='replace')[-4000:]}")


class Stream:
    """One EventSource's connection, read with a plain socket."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.local_port = self.sock.getsockname()[1]
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.buffer = b""
        head = self._until(b"\r\n\r\n", time.monotonic() + 10)
        status, *lines = head.decode("latin-1").split("\r\n")
        self.status = int(status.split()[1])
        self.headers = {
            name.lower(): value
            for name, value in (line.split(": ", 1) for line in lines)
        }
        # Streamed: no length known in advance.
        assert self.headers.get("transfer-encoding") == "chunked", self.headers

    def _read(self, deadline: float) -> None:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"nothing more in time: {self.buffer!r}") from None
        assert data, f"the server ended the stream: {self.buffer!r}"
        self.buffer += data

    def _until(self, separator: bytes, deadline: float) -> bytes:
        while separator not in self.buffer:
            self._read(deadline)
        found, self.buffer = self.buffer.split(separator, 1)
        return found

    def block(self, deadline: float) -> str:
        """The next event block, out of its chunks, by `deadline`."""
        text = b""
        while not text.endswith(b"\n\n"):
            size = int(self._until(b"\r\n", deadline), 16)
            while len(self.buffer) < size + 2:  # the chunk and its CRLF
                self._read(deadline)
            text += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
        return text.decode()

    def close(self) -> None:
        self.sock.close()


def _event(block: str) -> tuple[str, dict]:
    fields = dict(line.split(": ", 1) for line in block.strip().splitlines())
    return fields["event"], json.loads(fields["data"])


def _server_side_open(port: int, client_port: int) -> bool:
    """Whether the server still holds its end of the client's connection.

    Once the client closes, the server's socket waits in CLOSE_WAIT until the
    server closes it too, i.e. until the response has ended.
    """
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, remote = line.split()[1:3]
                if (
                    int(local.rsplit(":", 1)[1], 16) == port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    return True
    return False


def _subscribers(redis_client, article_id: int) -> int:
    from discussion.live import channel

    [(_, count)] = redis_client.pubsub_numsub(channel(article_id, REDIS_URL))
    return count


def _eventually(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def redis_client():
    if not REDIS_URL:
        yield None
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    yield client
    client.close()


def test_it_streams_a_new_comment_to_an_open_page_and_ends_when_it_closes(
    live, redis_client
):
    stream = Stream(live.port, f"/articles/{SLUG}/live/?after={live.first}")
    try:
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.headers["cache-control"] == "no-cache"
        assert stream.headers["x-accel-buffering"] == "no"
        # The stream's own reconnection delay; a WSGI poll would say 2000.
        assert stream.block(time.monotonic() + 5) == "retry: 5000\n\n"
        if redis_client is not None:
            # Listening before the comment is posted, so it is pub/sub that
            # brings it, not the stream's first query.
            subscribed = _eventually(
                lambda: _subscribers(redis_client, live.article), 5
            )
            assert subscribed, "the stream did not subscribe to the article's channel"

        posted = json.loads(run([sys.executable, "-c", POST], live.env))
        posted_at = time.monotonic()
        # Nothing came before it: the page was up to date.
        # Without Redis the server looks every second; allow for a busy machine.
        event, data = _event(stream.block(posted_at + 3))
        heard_after = time.monotonic() - posted_at
        assert event == "comments"
        assert data == {
            "count": 1,
            "after": posted["id"],
            "first": posted["number"],
            "latest": posted["number"],
            "url": f"/articles/{SLUG}/comments/{posted['number']}/",
            # In the reader's language: English, the default (no cookie sent).
            "text": "1 new comment",
        }
        assert heard_after < 3
        assert _server_side_open(live.port, stream.local_port)
    finally:
        stream.close()

    # The server notices the reader left and ends the response: its socket
    # is closed, and with Redis the stream's subscription too (the
    # generator's finally ran).
    ended = _eventually(lambda: not _server_side_open(live.port, stream.local_port), 5)
    assert ended, "the server still holds the connection the reader closed"
    if redis_client is not None:
        gone = _eventually(lambda: _subscribers(redis_client, live.article) == 0, 5)
        assert gone, "the stream's subscription outlived the reader"


def test_it_tells_a_page_behind_at_once(live):
    stream = Stream(live.port, f"/articles/{SLUG}/live/?after=0")
    try:
        assert stream.block(time.monotonic() + 5) == "retry: 5000\n\n"
        event, data = _event(stream.block(time.monotonic() + 5))
        assert event == "comments"
        # At least the seeded comment (and the other test's, if it ran first).
        assert data["count"] >= 1
        assert data["first"] == "1"
    finally:
        stream.close()


def test_the_streams_of_a_worker_share_one_redis_subscription(live, redis_client):
    """Three pages of the article open on the one live worker: one connection
    subscribes to its channel, and each page hears the new comment."""
    if redis_client is None:
        pytest.skip("needs REDIS_URL")
    streams = [
        Stream(live.port, f"/articles/{SLUG}/live/?after={live.first}")
        for _ in range(3)
    ]
    try:
        for stream in streams:
            assert stream.block(time.monotonic() + 5) == "retry: 5000\n\n"
        assert _eventually(lambda: _subscribers(redis_client, live.article) == 1, 5)
        time.sleep(0.3)  # a second subscriber would show by now
        assert _subscribers(redis_client, live.article) == 1
        # The events so far were the state before the comment below.
        posted = json.loads(run([sys.executable, "-c", POST], live.env))
        for stream in streams:
            while True:
                event, data = _event(stream.block(time.monotonic() + 3))
                assert event == "comments"
                if data.get("latest") == posted["number"]:
                    break
    finally:
        for stream in streams:
            stream.close()
    assert _eventually(lambda: _subscribers(redis_client, live.article) == 0, 5)
