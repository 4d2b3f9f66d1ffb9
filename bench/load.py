"""A load test of readers and writers, with a SIGKILL of the server mid-run.

    uv run --frozen python -m bench.load [--seconds 60] [--database sqlite|postgres]
        [--readers 300] [--writers 30] [--kill] [--postgres URL] [--redis URL]

Builds a scratch database (a SQLite file in a temporary directory, or a new
PostgreSQL database beside --postgres's, dropped afterwards), seeds four
articles of 300 comments and the writers' accounts (a session and an access
token each), starts `tribune serve --workers 2` on a free loopback port and
runs, for --seconds, from one asyncio event loop (raw HTTP/1.1, no client
library; see `Client` for why each request has a connection of its own):

- readers (anonymous) fetching article pages, comment permalinks, search and
  feeds, with 1-4 s of think time between requests;
- writers posting comments and replies (most through the article page's form
  with its session cookie, CSRF token and client_token; every fifth writer
  through the API with a Bearer token and a client_token of its own), voting
  and reporting, 0.5-2 s apart. One comment in ten is first sent twice at
  once, as a double click does.

With --kill the server's process group gets SIGKILL halfway through (once a
few comments are on their way) and is started again on the same database;
the load goes on for at least a quarter of --seconds once it is back. A
writer whose POST got no answer (the connection refused or cut) sends the
same submission again, same client_token, until it is answered. Afterwards
an anonymous visitor looks up every acknowledged comment, and the database
is checked (`durability_figures`): every acknowledged comment is stored
exactly once with the number and text its answer gave, no client_token or
text is stored twice, each article's top-level numbers are 1..n and each
comment's replies p.1..p.k with neither gaps nor repeats, and the comment
counts and scores agree with the rows. The posting limits are lifted in the
scratch server's environment only (the same variables as `tribune bench`).

Prints requests, req/s, error rate (no answer, or a status other than 2xx,
3xx and 429) and p50/p99 per kind of request, overall and outside the outage,
and writes bench/results/load-<database>.json; exits 1 if a check failed.
The load generator and the server share the machine's cores.
"""

# ruff: noqa: S311 - random choices of a load generator, not secrets

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench import servers
from tribune.management.commands.serve import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:55432/postgres"
ARTICLES = 4
COMMENTS_PER_ARTICLE = 300
# Every fifth writer posts, votes and reports through the API.
API_EVERY = 5
REPORTS_PER_WRITER = 15  # below the 20 an hour a reader may file
# Unanswered submissions are retried for this long after the load ends.
GRACE_SECONDS = 30
# A writer whose comment got no answer sends it again after 0.25 s, then
# waiting twice as long each time, up to 2 s.
RETRY_FIRST, RETRY_MAX = 0.25, 2.0
# Share of comments sent twice at once first, as a double click does.
TWIN_SHARE = 0.1
REQUEST_TIMEOUT = 30
# Lifted for the scratch server only: the load posts faster than a person.
LIMITS_LIFTED = {
    "TRIBUNE_COMMENT_MIN_INTERVAL": "0",
    "TRIBUNE_COMMENTS_PER_HOUR": "1000000",
    "TRIBUNE_DUPLICATE_WINDOW": "0",
    "TRIBUNE_NEW_ACCOUNT_SECONDS": "0",
}
# Writers' comments are made of these words, and readers search for them.
WORDS = [
    "budget",
    "harbour",
    "election",
    "council",
    "railway",
    "minister",
    "treaty",
    "summit",
    "drought",
    "tariff",
    "pension",
    "strike",
    "ceasefire",
    "vaccine",
    "bridge",
    "refinery",
    "senate",
    "inflation",
    "wildfire",
    "shipyard",
    "airport",
    "reservoir",
    "subsidy",
    "frontier",
    "cabinet",
    "verdict",
    "protest",
    "mayor",
    "tunnel",
    "festival",
]
NOTE = (
    "The load generator (one Python process) and the server (granian, 2 "
    f"workers x {DEFAULT_THREADS} thread(s)) share the machine's 2 cores, on "
    "127.0.0.1."
)


def run_async(coroutine):
    """asyncio.run(), also called from a thread whose event loop is running.

    The test suite can have one running in its main thread (Playwright's
    sync API keeps one there for the whole session): the coroutine then runs
    on a loop of its own in another thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def say(message: str) -> None:
    print(message, flush=True)


# --- a small HTTP/1.1 client -------------------------------------------------


class TransportError(Exception):
    """No complete answer: connection refused, cut or timed out."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """The cookies of one visitor, and their connection to the server.

    By default each request opens a connection of its own (Connection:
    close), as requests reach the app server from nginx's short queue rather
    than from hundreds of idle browsers: granian's --backpressure counts
    open connections, not requests in progress, so 300 kept-alive idle
    readers would hold most of the connections `tribune serve`'s workers
    take (WSGI_CONNECTIONS each) and leave the others in the backlog.
    """

    def __init__(
        self,
        port: int,
        cookies: dict[str, str] | None = None,
        *,
        keep_alive: bool = False,
    ):
        self.port = port
        self.keep_alive = keep_alive
        self.cookies = dict(cookies or {})
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._answered = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        json_body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = None
        headers = dict(headers or {})
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        for _attempt in range(2):
            reused = self.writer is not None
            try:
                if not reused:
                    self.reader, self.writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", self.port),
                        REQUEST_TIMEOUT,
                    )
                return await asyncio.wait_for(
                    self._exchange(method, path, headers, body), REQUEST_TIMEOUT
                )
            except (OSError, EOFError, ValueError, TimeoutError) as error:
                answered = self._answered
                self.close()
                # A kept connection the server had closed: as browsers do,
                # send once more on a new one if no byte of an answer came.
                if reused and not answered and not isinstance(error, TimeoutError):
                    continue
                raise TransportError(str(error) or type(error).__name__) from None
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, headers, body) -> Response:
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        if not self.keep_alive:
            lines.append("Connection: close")
        if self.cookies:
            lines.append(
                "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            )
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self._answered = False
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise EOFError("connection closed before an answer")
        self._answered = True
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        while True:
            line = await self.reader.readline()
            if not line:
                raise EOFError("connection closed in the headers")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._set_cookie(value)
            else:
                found[name] = value
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif "content-length" in found:
            content = await self.reader.readexactly(int(found["content-length"]))
        elif found.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self.reader.read()
            found["connection"] = "close"
        if not self.keep_alive or found.get("connection", "").lower() == "close":
            self.close()
        return Response(status, found, content)

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append((await self.reader.readexactly(size + 2))[:-2])

    def _set_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.partition("=")
        name, value = name.strip(), value.strip().strip('"')
        if not value or "max-age=0" in attributes.lower().replace(" ", ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


def hidden_field(html: str, name: str) -> str:
    """The value of the first hidden input called `name` in `html`."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            if value:
                return value.group(1)
    raise ValueError(f"no {name} field in the page")


# --- the run -------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (TransportError)
    seconds: float
    at: float  # since the start of the load


@dataclass
class Submission:
    """One comment a writer sends, and sends again until it is answered."""

    author: str
    via: str  # "form" or "api"
    article: str
    parent: str
    client_token: str
    body: str
    attempts: int = 0
    unanswered: int = 0  # attempts that got no answer (server gone)
    number: str | None = None  # from the answer that acknowledged it
    comment_id: int | None = None
    answered_at: float | None = None  # seconds since the start
    # Numbers given to the same submission sent twice at once beforehand.
    twin_numbers: list[str] = field(default_factory=list)
    refused: str | None = None


@dataclass
class Run:
    port: int
    seed: dict
    start: float
    end: float
    samples: list[Sample] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    # Per article slug: numbers one may reply to; comment ids to vote on.
    parents: dict[str, list[str]] = field(default_factory=dict)
    targets: list[tuple[int, str]] = field(default_factory=list)  # (id, author)
    kill: dict = field(default_factory=dict)
    posts_in_flight: int = 0
    api_every: int = API_EVERY
    # The load goes on at least this long once the killed server is back.
    after_restart: float = 0.0

    def now(self) -> float:
        return time.monotonic() - self.start

    async def timed(self, client: Client, kind: str, method: str, path: str, **kw):
        """Send a request and record it; the Response, or None if unanswered."""
        started = time.monotonic()
        try:
            response = await client.request(method, path, **kw)
        except TransportError:
            self.samples.append(
                Sample(kind, 0, time.monotonic() - started, started - self.start)
            )
            return None
        self.samples.append(
            Sample(
                kind,
                response.status,
                time.monotonic() - started,
                started - self.start,
            )
        )
        return response


async def reader(run: Run, index: int) -> None:
    rng = random.Random(f"reader{index}")
    client = Client(run.port)
    articles = run.seed["articles"]
    words = run.seed["search_words"]
    # Readers arrive over the first seconds rather than all at once.
    await asyncio.sleep(rng.uniform(0, 3))
    try:
        while time.monotonic() < run.end:
            article = rng.choice(articles)
            roll = rng.random()
            if roll < 0.55:
                page = rng.choice(["", "", "", "?page=2", "?page=3"])
                await run.timed(
                    client, "article", "GET", f"/articles/{article['slug']}/{page}"
                )
            elif roll < 0.75:
                number = rng.choice(article["numbers"])
                path = f"/articles/{article['slug']}/comments/{number}/"
                await run.timed(client, "permalink", "GET", path)
            elif roll < 0.87:
                query = urlencode({"q": rng.choice(words)})
                await run.timed(client, "search", "GET", f"/search/?{query}")
            else:
                path = rng.choice(
                    [
                        "/feeds/rss/",
                        "/feeds/atom/",
                        f"/articles/{article['slug']}/comments/feed/rss/",
                    ]
                )
                await run.timed(client, "feed", "GET", path)
            await asyncio.sleep(rng.uniform(1.0, 4.0))
    finally:
        client.close()


async def writer(run: Run, index: int) -> None:
    rng = random.Random(f"writer{index}")
    account = run.seed["writers"][index]
    via = "api" if index % run.api_every == run.api_every - 1 else "form"
    client = Client(run.port, {"sessionid": account["sessionid"]})
    bearer = {"Authorization": f"Bearer {account['token']}"}
    reportable = run.seed["report_targets"][index :: len(run.seed["writers"])]
    reportable = reportable[:REPORTS_PER_WRITER]
    await asyncio.sleep(rng.uniform(0, 2))
    try:
        if via == "form":
            # The first page a reader opens sets the CSRF cookie their votes
            # and reports send back.
            article = rng.choice(run.seed["articles"])
            await run.timed(
                client, "article-signed-in", "GET", f"/articles/{article['slug']}/"
            )
        first = True
        while time.monotonic() < run.end:
            # A writer comes to post: the first thing they do.
            roll = 0.0 if first else rng.random()
            first = False
            if roll < 0.6:
                await post(run, rng, client, account["username"], via, bearer)
            elif roll < 0.9 or not reportable:
                await vote(run, rng, client, account["username"], via, bearer)
            else:
                await report(run, rng, client, via, bearer, reportable.pop())
            await asyncio.sleep(rng.uniform(0.5, 2.0))
    finally:
        client.close()


async def post(run: Run, rng, client: Client, username: str, via: str, bearer):
    article = rng.choice(run.seed["articles"])
    slug = article["slug"]
    parent = rng.choice(run.parents[slug]) if rng.random() < 0.4 else ""
    if via == "api":
        token = secrets.token_hex(16)
        csrf = ""
    else:
        # The page the reader writes in: the article's form, or a reply form.
        path = (
            f"/articles/{slug}/comments/{parent}/reply/"
            if parent
            else f"/articles/{slug}/"
        )
        kind = "reply-form-page" if parent else "article-signed-in"
        page, pause = None, RETRY_FIRST
        while page is None or page.status != 200:
            if time.monotonic() > run.end + GRACE_SECONDS:
                return
            page = await run.timed(client, kind, "GET", path)
            if page is None or page.status != 200:
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
        token = hidden_field(page.text, "client_token")
        csrf = hidden_field(page.text, "csrfmiddlewaretoken")
    body = (
        f"{username} writes {token[:12]}: "
        + " ".join(rng.choice(run.seed["search_words"]) for _ in range(12))
        + "."
    )
    sub = Submission(username, via, slug, parent, token, body)
    run.submissions.append(sub)
    pause = RETRY_FIRST
    if rng.random() < TWIN_SHARE:
        # A double click: the same form twice at once, on two connections.
        # Both answers, and the one the loop below gets, must give one number.
        twin = Client(run.port, client.cookies)
        try:
            answers = await asyncio.gather(
                send(run, client, sub, csrf, bearer), send(run, twin, sub, csrf, bearer)
            )
        finally:
            twin.close()
        for response in answers:
            if response is not None and (ack := acknowledgement(via, response)):
                sub.twin_numbers.append(ack[0])
    while sub.number is None and sub.refused is None:
        if sub.attempts and time.monotonic() > run.end + GRACE_SECONDS:
            return
        sub.attempts += 1
        run.posts_in_flight += 1
        try:
            response = await send(run, client, sub, csrf, bearer)
        finally:
            run.posts_in_flight -= 1
        if response is None:
            sub.unanswered += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX)
            continue
        if ack := acknowledgement(via, response):
            sub.number, sub.comment_id = ack
        elif response.status >= 500:
            # The same form sent again, as a reader would: same token.
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX)
            continue
        else:
            sub.refused = f"{response.status}: {response.text[:300]}"
        sub.answered_at = run.now()
    if sub.number is not None and sub.number.count(".") < 3:
        run.parents[slug].append(sub.number)
    if sub.comment_id is not None:
        run.targets.append((sub.comment_id, username))


def acknowledgement(via: str, response: Response) -> tuple[str, int | None] | None:
    """(number, id or None) if `response` says the comment was taken."""
    if via == "api" and response.status == 201:
        answer = json.loads(response.body)
        return answer["number"], answer["id"]
    location = response.headers.get("location", "")
    if via == "form" and response.status == 302 and "#c" in location:
        return location.rpartition("#c")[2], None
    return None


async def send(run: Run, client: Client, sub: Submission, csrf: str, bearer):
    """POST the submission once, through the API or the page's form."""
    if sub.via == "api":
        data = {"body": sub.body, "client_token": sub.client_token}
        if sub.parent:
            data["parent"] = sub.parent
        return await run.timed(
            client,
            "reply-api" if sub.parent else "comment-api",
            "POST",
            f"/api/v1/articles/{sub.article}/comments",
            json_body=data,
            headers=bearer,
        )
    return await run.timed(
        client,
        "reply-form" if sub.parent else "comment-form",
        "POST",
        f"/articles/{sub.article}/comments/",
        form={
            "csrfmiddlewaretoken": csrf,
            "client_token": sub.client_token,
            "parent": sub.parent,
            "body": sub.body,
            "website": "",
        },
    )


async def vote(run: Run, rng, client: Client, username: str, via: str, bearer):
    candidates = [t for t in rng.sample(run.targets, 5) if t[1] != username]
    if not candidates:
        return
    comment_id = candidates[0][0]
    value = rng.choice([1, 1, -1])
    if via == "api":
        await run.timed(
            client,
            "vote-api",
            "POST",
            f"/api/v1/comments/{comment_id}/vote",
            json_body={"value": value},
            headers=bearer,
        )
    else:
        await run.timed(
            client,
            "vote-form",
            "POST",
            f"/comments/{comment_id}/vote/",
            form={
                "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
                "value": value,
            },
        )


async def report(run: Run, rng, client: Client, via: str, bearer, comment_id: int):
    if via == "api":
        await run.timed(
            client,
            "report-api",
            "POST",
            f"/api/v1/comments/{comment_id}/reports",
            json_body={"reason": "off_topic"},
            headers=bearer,
        )
    else:
        await run.timed(
            client,
            "report-form",
            "POST",
            f"/comments/{comment_id}/report/",
            form={
                "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
                "reason": "off_topic",
                "detail": "",
            },
        )


async def visible_to_anonymous(port: int, submissions: list[Submission]) -> dict:
    """Whether every acknowledged comment shows on its page to a new visitor.

    After the load, as a reader without a session (whose article pages come
    from the page cache) would: each comment's permalink, then the page it
    leads to, read once for all its comments.
    """
    # Past the time a process trusts its cached version of a thread.
    await asyncio.sleep(1)
    client = Client(port)
    pages: dict[str, set[str]] = defaultdict(set)
    missing = []
    for sub in submissions:
        if sub.number is None:
            continue
        path = f"/articles/{sub.article}/comments/{sub.number}/"
        response = await client.request("GET", path)
        if response.status != 302:
            missing.append(f"{sub.article} #{sub.number}: {response.status}")
            continue
        location = response.headers["location"]
        pages[location.split("#")[0].removeprefix(f"http://127.0.0.1:{port}")].add(
            sub.number
        )
    for page, numbers in pages.items():
        html = (await client.request("GET", page)).text
        missing += [
            f"{page} #{number}" for number in numbers if f'id="c{number}"' not in html
        ]
    return {
        "acknowledged_looked_up_as_anonymous": sum(map(len, pages.values())),
        "acknowledged_not_shown_to_anonymous": len(missing),
        "not_shown_examples": missing[:5],
    }


async def healthy(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = Client(port)
        try:
            response = await client.request("GET", "/healthz")
            if response.status == 200:
                return True
        except TransportError:
            pass
        finally:
            client.close()
        await asyncio.sleep(0.1)
    return False


# --- the server ----------------------------------------------------------------


class Server:
    """`tribune serve --workers 2` on a port, in a process group of its own."""

    def __init__(self, env: dict, port: int, log: Path, workers: int = 2):
        self.env, self.port, self.log, self.workers = env, port, log, workers
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "tribune.cli",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        self.process = servers.start(command, env=self.env, log=self.log, cwd=ROOT)

    def kill(self) -> None:
        """SIGKILL the whole process group: granian and its workers at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # Its workers, if any is still on its way out, must not hold the port.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        servers.stop(self.process)


async def killer(run: Run, server: Server, at: float, in_flight: int) -> None:
    """At `at` seconds (or up to 5 s later, once `in_flight` comments are on
    their way) SIGKILL the server, start it again and wait until it answers."""
    await asyncio.sleep(max(0.0, run.start + at - time.monotonic()))
    wait_until = time.monotonic() + 5
    while run.posts_in_flight < in_flight and time.monotonic() < wait_until:
        await asyncio.sleep(0.005)
    killed, killed_utc, on_their_way = run.now(), time.time(), run.posts_in_flight
    server.kill()
    say(f"  SIGKILL sent at {killed:.1f} s; restarting on the same database …")
    for _attempt in range(3):
        server.start()
        if await healthy(run.port, 30):
            break
        server.stop()
    else:
        raise RuntimeError(
            f"the server did not come back:\n{servers._tail(server.log)}"
        )
    run.end = max(run.end, time.monotonic() + run.after_restart)
    run.kill = {
        "at_seconds": round(killed, 2),
        "at_unix_time": killed_utc,
        "comments_in_flight": on_their_way,
        "back_at_seconds": round(run.now(), 2),
        "downtime_seconds": round(run.now() - killed, 2),
    }
    say(f"  answering again after {run.kill['downtime_seconds']} s")


async def drive(port, seed, *, seconds, readers, writers, kill, api_every) -> Run:
    run = Run(
        port=port,
        seed=seed,
        start=time.monotonic(),
        end=time.monotonic() + seconds,
        api_every=api_every,
        after_restart=max(2.0, seconds / 4),
    )
    for article in seed["articles"]:
        run.parents[article["slug"]] = list(article["parents"])
    run.targets = [(pk, "") for pk in seed["vote_targets"]]
    tasks = [reader(run, i) for i in range(readers)]
    tasks += [writer(run, i) for i in range(writers)]
    if kill is not None:
        tasks.append(killer(run, *kill, max(1, writers // 8)))
    await asyncio.gather(*tasks)
    return run


# --- building and checking the database (run with the server's environment) --


def seed_database(out: Path, writers: int, articles: int, per_article: int) -> None:
    """Migrate; make users, articles with comments, writers' sessions and
    tokens; write what the load needs as JSON."""
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client as DjangoClient

    from accounts.models import User
    from api.actions import create_token
    from bench.data import _article, insert_thread, make_users, plan_thread
    from discussion.models import Comment

    call_command("migrate", interactive=False, verbosity=0)
    published = datetime.now(UTC) - timedelta(hours=2)
    # The generated threads' authors: as many as comments, up to 300.
    users = make_users(min(300, max(per_article, 10)), prefix="loadreader")
    info: dict = {
        "articles": [],
        "writers": [],
        "vote_targets": [],
        "report_targets": [],
    }
    for index in range(articles):
        article = _article(f"load-{index + 1}", f"Load article {index + 1}", published)
        insert_thread(
            article,
            users,
            plan_thread(per_article, seed=index),
            published + timedelta(minutes=5),
        )
        rows = list(Comment.objects.filter(article=article).values_list("pk", "number"))
        info["articles"].append(
            {
                "slug": article.slug,
                "numbers": [number for _, number in rows],
                "parents": [n for _, n in rows if n.count(".") < 2][:60],
            }
        )
        # Votes go to the first half, reports to the second (one each).
        half = len(rows) // 2
        info["vote_targets"] += [pk for pk, _ in rows[:half]]
        info["report_targets"] += [pk for pk, _ in rows[half:]]
    info["search_words"] = WORDS
    for index in range(writers):
        user = User(
            username=f"loadwriter{index + 1:02d}",
            date_joined=published - timedelta(days=400),
        )
        user.set_unusable_password()
        user.save()
        client = DjangoClient()
        client.force_login(user)
        _, token = create_token(user=user, name="load test")
        info["writers"].append(
            {
                "username": user.username,
                "sessionid": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "token": token,
            }
        )
    out.write_text(json.dumps(info))


def check_database(submissions_path: Path, out: Path, killed_at: str) -> None:
    """Write `durability_figures` of the submissions in a file as JSON."""
    submissions = json.loads(submissions_path.read_text())
    figures = durability_figures(submissions, float(killed_at) if killed_at else None)
    out.write_text(json.dumps(figures, default=str))


def durability_figures(
    submissions: list[dict], killed_at: float | None, *, prefix: str = "load-"
) -> dict:
    """Compare what the writers were told with what the database holds.

    `submissions` are `Submission`s as dicts; `killed_at` the Unix time of
    the SIGKILL, if any. Every count but the first three must be 0. A comment
    sent again after no answer and stored with a time before the kill was
    committed by the killed server: its answer was lost, and the retry got it
    back by its client_token. Checks the articles whose slug starts with
    `prefix`; runs a fixed number of queries.
    """
    from django.db.models import Count, F, Q, Sum

    from discussion.models import Comment, path_segment
    from newsroom.models import Article

    acked = [s for s in submissions if s["number"] is not None]
    sent: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in submissions:
        sent[(s["author"], s["client_token"])].add(s["body"])
    authors = {s["author"] for s in submissions}
    comments = Comment.objects.filter(article__slug__startswith=prefix)
    stored = list(
        comments.filter(author__username__in=authors)
        .exclude(client_token="")
        .values_list(
            "author__username",
            "client_token",
            "article__slug",
            "number",
            "body",
            "created_at",
        )
    )
    count = Counter((author, token) for author, token, *_ in stored)
    found = {
        (a, t): (slug, number, body, at) for a, t, slug, number, body, at in stored
    }
    lost, moved, other_text, answer_lost = [], [], [], 0
    for s in acked:
        key = (s["author"], s["client_token"])
        if key not in found:
            lost.append(key)
            continue
        slug, number, body, at = found[key]
        if (slug, number) != (s["article"], s["number"]):
            moved.append({"sent": s, "stored": (slug, number)})
        if body != s["body"].strip():
            other_text.append(key)
        if s["unanswered"] and killed_at and at.timestamp() < killed_at:
            answer_lost += 1
    texts = Counter(
        comments.filter(author__username__in=authors).values_list("body", flat=True)
    )

    gaps, repeats, misplaced, counts_off = [], [], [], []
    for article in Article.objects.filter(slug__startswith=prefix).annotate(
        published=Count("comments", filter=Q(comments__status="published"))
    ):
        if article.published != article.comment_count:
            counts_off.append(
                f"{article.slug}: {article.comment_count} counted, "
                f"{article.published} published"
            )
        rows = list(
            Comment.objects.filter(article=article).values_list(
                "pk", "parent_id", "number", "path", "reply_counter"
            )
        )
        by_pk = {pk: (number, path, counter) for pk, _, number, path, counter in rows}
        positions: dict[int | None, list[int]] = defaultdict(list)
        for _pk, parent_id, number, path, _counter in rows:
            head, _, last = number.rpartition(".")
            positions[parent_id].append(int(last))
            parent_number, parent_path = by_pk[parent_id][:2] if parent_id else ("", "")
            segment = path_segment(int(last))
            expected_path = f"{parent_path}.{segment}" if parent_id else segment
            if head != parent_number or path != expected_path:
                misplaced.append(f"{article.slug} #{number}")
        counters = {None: article.comment_counter}
        counters.update({pk: counter for pk, (_, _, counter) in by_pk.items()})
        for parent_id, counter in counters.items():
            taken = positions.get(parent_id, [])
            label = by_pk[parent_id][0] + "." if parent_id else ""
            for position, times in Counter(taken).items():
                if times > 1:
                    repeats.append(f"{article.slug} #{label}{position}")
            for position in sorted(set(range(1, counter + 1)) - set(taken)):
                gaps.append(f"{article.slug} #{label}{position}")
            for position in sorted(p for p in set(taken) if p > counter):
                misplaced.append(f"{article.slug} #{label}{position} beyond counter")
    scores_off = list(
        comments.annotate(total=Sum("votes__value", default=0))
        .exclude(score=F("total"))
        .values_list("article__slug", "number", "score", "total")
    )
    return {
        "submissions": len(submissions),
        "acknowledged": len(acked),
        "committed_before_kill_answer_lost_then_retried": answer_lost,
        "acknowledged_lost": len(lost),
        "acknowledged_with_other_number": len(moved),
        "acknowledged_with_other_text": len(other_text),
        "one_token_for_two_texts": sum(1 for b in sent.values() if len(b) > 1),
        "duplicates_by_client_token": sum(n - 1 for n in count.values() if n > 1),
        "duplicates_by_text": sum(n - 1 for n in texts.values() if n > 1),
        "stored_without_acknowledgement": len(
            set(count) - {(s["author"], s["client_token"]) for s in acked}
        ),
        "numbering_gaps": len(gaps),
        "numbering_repeats": len(repeats),
        "numbering_misplaced": len(misplaced),
        "comment_count_off": len(counts_off),
        "score_off_from_votes": len(scores_off),
        "comments_checked": comments.count(),
        "examples": {
            "lost": lost[:5],
            "moved": moved[:5],
            "other_text": other_text[:5],
            "gaps": gaps[:10],
            "repeats": repeats[:10],
            "misplaced": misplaced[:10],
            "counts_off": counts_off[:5],
            "scores_off": scores_off[:5],
        },
    }


# Figures that count something broken: each must be 0.
BROKEN = (
    "acknowledged_lost",
    "acknowledged_with_other_number",
    "acknowledged_with_other_text",
    "one_token_for_two_texts",
    "duplicates_by_client_token",
    "duplicates_by_text",
    "numbering_gaps",
    "numbering_repeats",
    "numbering_misplaced",
    "comment_count_off",
    "score_off_from_votes",
    "acknowledged_not_shown_to_anonymous",
    "sent_twice_given_two_numbers",
)


# --- figures -------------------------------------------------------------------


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: list[Sample], seconds: float, outage: tuple[float, float]):
    """Figures per kind of request and in all.

    An error is no answer, or a status other than 2xx/3xx and the expected
    429. Requests in progress at any moment while the server was down (from
    the kill until it answered again) are counted apart as well.
    """

    def figures(group: list[Sample]) -> dict:
        latencies = sorted(s.seconds for s in group if s.status)
        errors = [s for s in group if not (200 <= s.status < 400 or s.status == 429)]
        return {
            "requests": len(group),
            "errors": len(errors),
            "error_rate": round(len(errors) / len(group), 4) if group else 0.0,
            "unanswered": sum(1 for s in group if s.status == 0),
            "statuses": dict(Counter(str(s.status) for s in group).most_common()),
            "rate_limited_429": sum(1 for s in group if s.status == 429),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1) if latencies else 0.0,
        }

    kinds = defaultdict(list)
    for sample in samples:
        kinds[sample.kind].append(sample)
    start, end = outage
    during = [s for s in samples if s.at <= end and s.at + s.seconds >= start]
    outside = [s for s in samples if not (s.at <= end and s.at + s.seconds >= start)]
    total = figures(samples)
    total["requests_per_second"] = round(len(samples) / seconds, 1)
    return {
        "all": total,
        "outside_outage": figures(outside),
        "during_outage": figures(during),
        "by_kind": {kind: figures(group) for kind, group in sorted(kinds.items())},
    }


# --- the scenario ---------------------------------------------------------------


def server_env(tmp: Path, database_url: str | None, redis_url: str | None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DEBUG"}
        and not key.startswith(("GRANIAN_", "TRIBUNE_", "SQLITE_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        DEBUG="0",
        TRIBUNE_SECRET_KEY="load-" + secrets.token_hex(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL="0",
        STATIC_ROOT=str(tmp / "static-root"),
        LOG_LEVEL="WARNING",
        **LIMITS_LIFTED,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(tmp / "load.sqlite3")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _python(*commands: tuple[list[str], str], env: dict) -> None:
    """Run these Python commands at the same time; raise if one fails."""
    running = [
        (
            subprocess.Popen(  # noqa: S603 - our own commands
                [sys.executable, *args],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
            what,
        )
        for args, what in commands
    ]
    failed = []
    for process, what in running:
        output, _ = process.communicate()
        if process.returncode:
            failed.append(f"{what} failed:\n{output[-3000:]}")
    if failed:
        raise RuntimeError("\n".join(failed))


def run_scenario(
    *,
    tmp: Path,
    database_url: str | None,
    seconds: float,
    readers: int,
    writers: int,
    kill: bool,
    redis_url: str | None = None,
    workers: int = 2,
    articles: int = ARTICLES,
    comments_per_article: int = COMMENTS_PER_ARTICLE,
    api_every: int = API_EVERY,
) -> dict:
    """Seed a database, load a server over it (killing it once), check it.

    `database_url` is a PostgreSQL database to use as it is (an empty one);
    None means a SQLite file in `tmp`. Returns every figure.
    """
    env = server_env(tmp, database_url, redis_url)
    t = time.monotonic()
    say("migrating and seeding the scratch database …")
    seed_path = tmp / "seed.json"
    _python(
        (["-m", "tribune.cli", "collectstatic", "--noinput", "-v0"], "collectstatic"),
        (
            [
                *("-m", "bench.load", "_seed", str(seed_path)),
                *map(str, (writers, articles, comments_per_article)),
            ],
            "migrating and seeding",
        ),
        env=env,
    )
    seed = json.loads(seed_path.read_text())
    setup_seconds = time.monotonic() - t
    say(f"  ready in {setup_seconds:.1f} s")

    server = Server(env, servers.free_port(), tmp / "serve.log", workers)
    t = time.monotonic()
    server.start()
    try:
        if not run_async(healthy(server.port, 60)):
            raise RuntimeError(
                f"tribune serve did not start:\n{servers._tail(server.log)}"
            )
        start_seconds = time.monotonic() - t
        say(
            f"load: {readers} readers, {writers} writers for {seconds:.0f} s"
            + (", SIGKILL halfway" if kill else "")
        )
        run = run_async(
            drive(
                server.port,
                seed,
                seconds=seconds,
                readers=readers,
                writers=writers,
                kill=(server, seconds / 2) if kill else None,
                api_every=api_every,
            )
        )
        elapsed = time.monotonic() - run.start
        shown = run_async(visible_to_anonymous(server.port, run.submissions))
    finally:
        server.stop()

    (tmp / "samples.json").write_text(json.dumps([asdict(s) for s in run.samples]))
    submissions_path = tmp / "submissions.json"
    submissions_path.write_text(json.dumps([asdict(s) for s in run.submissions]))
    checked_path = tmp / "checked.json"
    killed_at = str(run.kill["at_unix_time"]) if run.kill else ""
    _python(
        (
            [
                *("-m", "bench.load", "_check"),
                *map(str, (submissions_path, checked_path, killed_at)),
            ],
            "checking the database",
        ),
        env=env,
    )
    durability = json.loads(checked_path.read_text())
    durability["submissions_retried"] = sum(1 for s in run.submissions if s.unanswered)
    durability["submissions_refused"] = sum(1 for s in run.submissions if s.refused)
    durability["submissions_never_answered"] = sum(
        1 for s in run.submissions if s.number is None and s.refused is None
    )
    durability.update(shown)
    twins = [s for s in run.submissions if s.twin_numbers]
    durability["sent_twice_at_once"] = len(twins)
    durability["sent_twice_given_two_numbers"] = sum(
        1 for s in twins if set(s.twin_numbers) != {s.number}
    )
    durability["acknowledged_by_path"] = dict(
        Counter(s.via for s in run.submissions if s.number is not None)
    )
    durability["acknowledged_before_kill"] = sum(
        1
        for s in run.submissions
        if s.number is not None and run.kill and s.answered_at < run.kill["at_seconds"]
    )
    durability["acknowledged_after_restart"] = sum(
        1
        for s in run.submissions
        if s.number is not None
        and run.kill
        and s.answered_at > run.kill["back_at_seconds"]
    )
    durability["refusals"] = [s.refused for s in run.submissions if s.refused][:5]
    outage = (
        (run.kill["at_seconds"], run.kill["back_at_seconds"]) if run.kill else (-1, -1)
    )
    return {
        "database": "postgresql" if database_url else "sqlite",
        "seconds": round(elapsed, 1),
        "readers": readers,
        "writers": writers,
        "server_workers": workers,
        "setup_seconds": round(setup_seconds, 1),
        "start_seconds": round(start_seconds, 1),
        "writers_through_api": sum(
            1 for i in range(writers) if i % api_every == api_every - 1
        ),
        "kill": run.kill or None,
        "requests": summarize(run.samples, elapsed, outage),
        "durability": durability,
    }


def print_report(result: dict) -> None:
    figures = result["requests"]
    total = figures["all"]
    say(
        f"\n{result['database']}: {total['requests']} requests in "
        f"{result['seconds']} s ({total['requests_per_second']} req/s), "
        f"error rate {total['error_rate']:.2%} ({total['errors']} errors, "
        f"{total['unanswered']} unanswered)"
    )
    if result["kill"]:
        outside = figures["outside_outage"]
        say(
            f"  outside the outage: error rate {outside['error_rate']:.2%}; "
            f"server down {result['kill']['downtime_seconds']} s"
        )
    head = ("requests", "errors", "429", "p50 ms", "p99 ms")
    say(f"  {'kind':<20}" + "".join(f"{h:>9}" for h in head))
    for kind, row in figures["by_kind"].items():
        say(
            f"  {kind:<20}{row['requests']:>9}{row['errors']:>9}"
            f"{row['rate_limited_429']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}"
        )
    d = result["durability"]
    say(
        f"  comments: {d['acknowledged']} acknowledged of {d['submissions']} sent, "
        f"{d['submissions_retried']} sent again after no answer "
        f"({d['committed_before_kill_answer_lost_then_retried']} of them stored "
        f"before the kill), {d['comments_checked']} comments checked"
    )
    say("  " + ", ".join(f"{name} {d[name]}" for name in BROKEN))


@contextlib.contextmanager
def _flushed(redis_url: str):
    """The Redis database at `redis_url`, emptied before and after."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("_seed", "_check"):
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
        django.setup()
        if argv[0] == "_seed":
            seed_database(Path(argv[1]), *map(int, argv[2:5]))
        else:
            check_database(Path(argv[1]), Path(argv[2]), argv[3])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres",
        default=None,
        help="PostgreSQL server (a database URL) beside whose database the "
        "scratch one is made (default: DATABASE_URL if PostgreSQL, else "
        f"{POSTGRES_DEFAULT})",
    )
    parser.add_argument(
        "--redis",
        default=None,
        help="REDIS_URL for the server: a Redis database of its own, flushed "
        "before and after the run",
    )
    parser.add_argument("--readers", type=int, default=300)
    parser.add_argument("--writers", type=int, default=30)
    parser.add_argument("--kill", action="store_true", help="SIGKILL halfway")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch directory (logs)"
    )
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.keep:
            tmp = Path(tempfile.mkdtemp(prefix="load-"))
            say(f"scratch directory {tmp}")
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-")))
        database_url = None
        if args.database == "postgres":
            from tests.servers import scratch_database

            base = args.postgres or os.environ.get("DATABASE_URL", "")
            if not base.startswith("postgres"):
                base = POSTGRES_DEFAULT
            database_url = stack.enter_context(scratch_database(base))
        if args.redis:
            stack.enter_context(_flushed(args.redis))
        load_before = os.getloadavg()
        result = run_scenario(
            tmp=tmp,
            database_url=database_url,
            seconds=args.seconds,
            readers=args.readers,
            writers=args.writers,
            kill=args.kill,
            redis_url=args.redis,
        )
    # Other work on the machine takes its share of the same cores.
    result["load_average_before_and_after"] = [
        [round(x, 2) for x in load] for load in (load_before, os.getloadavg())
    ]
    result["note"] = NOTE
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["command"] = "python -m bench.load " + " ".join(argv)
    result["limits_lifted"] = LIMITS_LIFTED
    result["redis"] = bool(args.redis)
    print_report(result)
    out = args.out or RESULTS / f"load-{args.database}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    say(f"\nwrote {out}")
    d = result["durability"]
    broken = sum(d[name] for name in BROKEN)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
