"""PostgreSQL crashes under load: a clear 503 meanwhile, recovery alone, no loss.

A PostgreSQL cluster of the test's own carries a real `tribune serve` (one
worker, four threads, persistent connections as in production) while
writers post through the API and a signed-in reader through the comment
form, and an anonymous reader reads the article. Then PostgreSQL is stopped
with `pg_ctl stop -m immediate`, as a crash would stop it, for a few seconds.
Meanwhile every answer must be the 503 page (or its JSON in the API) with
Retry-After, never a 500 or a cut connection, and /healthz must say the
database is down. After PostgreSQL is started again, Tribune must serve
again by itself within seconds, its dead connections replaced, and every
write it acknowledged must be in the database, once, numbered without gaps.

Writers post each comment with a client token and, refused with a 503, send
it again with the same token: a comment whose commit reached the database
just before the crash comes back as the first one, not a second copy.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.faults.servers import (
    PrivatePostgres,
    api_post,
    postgres_missing,
    prepare_site,
    serving,
    tribune_env,
)
from tests.servers import Browser, hidden

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(postgres_missing() is not None, reason=str(postgres_missing())),
]

SLUG = "under-fire"
WRITERS = ("wanda", "walt", "wes")
FORM_WRITER = "fiona"
UP_BEFORE, OUTAGE, UP_AFTER = 3.0, 4.0, 3.0
# Tribune must serve again this soon after PostgreSQL accepts connections.
RECOVERY_LIMIT = 10.0
UNAVAILABLE = "The site&#x27;s database is not answering; try again in a minute."


@dataclass
class Load:
    """What the load's threads sent and what came back, with times."""

    base: str
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (monotonic time, who, status)
    answers: list = field(default_factory=list)
    acknowledged: list = field(default_factory=list)  # comment bodies
    failures: list = field(default_factory=list)

    def note(self, who: str, response) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), who, response.status))
            if response.status not in (200, 201, 302, 503):
                self.failures.append((who, response.status, response.text[:2000]))
            elif response.status == 503:
                self._check_unavailable(who, response)

    def _check_unavailable(self, who, response) -> None:
        problems = []
        if response.headers.get("Retry-After") != "30":
            problems.append("no Retry-After")
        if who.startswith("api"):
            if "not answering" not in response.json().get("detail", ""):
                problems.append("no explanation in the JSON")
        elif UNAVAILABLE not in response.text:
            problems.append("no explanation in the page")
        if problems:
            self.failures.append((who, 503, problems, response.text[:2000]))


def _api_writer(load: Load, name: str, token: str) -> None:
    client = Browser(token)
    number = 0
    while not load.stopping.is_set():
        number += 1
        body = f"{name} says #{number}"
        # Until acknowledged, outage or not: the same client token each time.
        while True:
            response = api_post(client, load.base, SLUG, body, f"{name}-{number}")
            load.note(f"api:{name}", response)
            if response.status == 201:
                with load.lock:
                    load.acknowledged.append(body)
                break
            time.sleep(0.1)
        time.sleep(0.05)


def _form_writer(load: Load, browser: Browser) -> None:
    page_url = f"{load.base}/articles/{SLUG}/"
    number = 0
    while not load.stopping.is_set():
        page = browser.get(page_url)
        load.note("form:page", page)
        if page.status != 200:
            time.sleep(0.1)
            continue
        number += 1
        body = f"{FORM_WRITER} writes #{number}"
        form = {
            "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
            "client_token": hidden(page.text, "client_token"),
            "body": body,
        }
        while True:
            posted = browser.post(f"{load.base}/articles/{SLUG}/comments/", form)
            load.note("form:post", posted)
            if posted.status == 302:
                with load.lock:
                    load.acknowledged.append(body)
                break
            time.sleep(0.1)
        time.sleep(0.05)


def _reader(load: Load) -> None:
    anonymous = Browser()
    while not load.stopping.is_set():
        load.note("reader", anonymous.get(f"{load.base}/articles/{SLUG}/"))
        time.sleep(0.05)


@pytest.fixture
def postgres():
    cluster = PrivatePostgres()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


def _rows(cluster: PrivatePostgres, query: str, params=()):
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, user="postgres", dbname="tribune"
    ) as connection:
        return connection.execute(query, params).fetchall()


def test_tribune_answers_503_while_postgres_is_down_and_recovers_alone(
    postgres, static_root, tmp_path
):
    # Persistent connections, as in production (DATABASE_CONN_MAX_AGE=600):
    # the crash leaves every thread's connection dead.
    env = tribune_env(postgres.url, static_root, DATABASE_CONN_MAX_AGE="600")
    tokens = prepare_site(env, [*WRITERS, FORM_WRITER], [SLUG])
    with serving(env, tmp_path) as base:
        fiona = Browser()
        assert fiona.sign_in(base, FORM_WRITER).status == 302
        load = Load(base)
        threads = [
            threading.Thread(target=_api_writer, args=(load, n, tokens[n]))
            for n in WRITERS
        ]
        threads += [
            threading.Thread(target=_form_writer, args=(load, fiona)),
            threading.Thread(target=_reader, args=(load,)),
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(UP_BEFORE)
            postgres.crash()
            crashed = time.monotonic()
            time.sleep(1)
            # What a reader, a form and a program get while it is down.
            health = Browser().get(f"{base}/healthz")
            page = Browser().get(f"{base}/articles/{SLUG}/")
            api = api_post(Browser(tokens["wes"]), base, SLUG, "In the dark", "dark")
            time.sleep(OUTAGE - 1)
            restarting = time.monotonic()
            postgres.start()
            restarted = time.monotonic()
            # Recovered: /healthz ok and a write acknowledged, both after the
            # restart, with tribune serve left alone.
            while True:
                probe = Browser().get(f"{base}/healthz")
                if probe.status == 200 and any(
                    t > restarted and status in (201, 302)
                    for t, _, status in list(load.answers)
                ):
                    break
                if time.monotonic() - restarted > RECOVERY_LIMIT:
                    pytest.fail(f"no recovery {RECOVERY_LIMIT} s after the restart")
                time.sleep(0.05)
            recovered = time.monotonic()
            time.sleep(UP_AFTER)
        finally:
            load.stopping.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    assert health.status == 503, health.text
    assert health.json()["status"] == "down"
    assert health.json()["database"]["ok"] is False
    assert page.status == 503, page.text
    assert UNAVAILABLE in page.text
    assert page.headers["Retry-After"] == "30"
    assert "no-store" in page.headers["Cache-Control"]
    assert api.status == 503, api.text
    assert api.headers["Content-Type"] == "application/json"
    assert "not answering" in api.json()["detail"]

    # No 500, no cut connection, no 503 without its explanation, all along.
    assert load.failures == []
    # Answers to requests that were under way as it went down may be either,
    # and so may a page a process served from memory on a version read up to
    # VALIDATOR_SECONDS (0.5 s) before the crash.
    during = Counter(s for t, _, s in load.answers if crashed + 1.0 <= t < restarting)
    assert set(during) == {503}, during
    failed = [t for t, _, s in load.answers if s == 503]
    succeeded_before = [t for t, _, s in load.answers if t < crashed and s != 503]
    succeeded_after = [t for t, _, s in load.answers if t > recovered and s != 503]
    assert succeeded_before and succeeded_after

    # Every acknowledged write is there once, nothing else, numbered 1..N.
    bodies = Counter(
        body for (body,) in _rows(postgres, "SELECT body FROM discussion_comment")
    )
    assert sorted(bodies) == sorted(load.acknowledged)
    assert set(bodies.values()) == {1}
    numbers = sorted(
        int(n) for (n,) in _rows(postgres, "SELECT number FROM discussion_comment")
    )
    assert numbers == list(range(1, len(numbers) + 1))
    [(counter, count)] = _rows(
        postgres,
        "SELECT comment_counter, comment_count FROM newsroom_article WHERE slug = %s",
        [SLUG],
    )
    assert counter == count == len(numbers)

    figures = {
        "answers": len(load.answers),
        "statuses_during_outage": dict(during),
        "writes_acknowledged": len(load.acknowledged),
        "writes_lost": len(set(load.acknowledged) - set(bodies)),
        "outage_s": round(restarted - crashed, 2),
        "errors_seen_s": round(max(failed) - min(failed), 2) if failed else 0,
        "recovery_after_restart_s": round(recovered - restarted, 2),
    }
    print(f"PostgreSQL crash figures: {figures}")
