"""`tribune export` of a live site under write load, restored and checked.

    uv run --frozen python -m bench.export_load [--seconds 20] [--writers 4]
        [--articles 4] [--comments 2500] [--database-url postgres://…]

Builds a scratch site (a SQLite file, or a new database beside
--database-url's on PostgreSQL, dropped afterwards) with threaded
discussions (bench.data's generated threads), starts `tribune serve` on it
and has writers post comments and replies through the API for --seconds. In
the middle, `tribune export` runs as a separate process, as an operator's
backup would. The document is restored into another empty database and
checked:

- counters match rows: every article's comment_counter is its number of
  top-level comments and comment_count its published ones; every comment's
  reply_counter is its number of replies;
- numbering without gaps: top-level numbers are 1..N, each comment's replies
  n.1..n.k;
- one moment: every restored comment is the live site's comment of that
  number (same text), every write acknowledged before the export started is
  there, and none sent after it ended.

Figures go to stdout and bench/results/export_load.json (one entry per
database, sqlite and postgresql): export time and
size, comments in the snapshot, writes acknowledged before, during and after
the export, restore time, and the problems found (none expected).
"""

# ruff: noqa: S311, S603 - seeded data, not secrets; runs fixed commands of ours

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "export_load.json"
TRIBUNE = [sys.executable, "-m", "tribune.cli"]
SEED = 20160525

SEED_SCRIPT = """
import json, os, sys
from datetime import UTC, datetime, timedelta

import django

django.setup()
from accounts.models import User
from api.actions import create_token
from bench.data import _article, insert_thread, make_users, plan_thread

published = datetime(2024, 5, 25, 9, 0, tzinfo=UTC)
users = make_users(50)
slugs = []
for index in range(int(os.environ["LOAD_ARTICLES"])):
    article = _article(f"load-{index + 1}", f"Discussion {index + 1}", published)
    insert_thread(
        article, users, plan_thread(int(os.environ["LOAD_COMMENTS"]), seed=index),
        published + timedelta(minutes=5),
    )
    slugs.append(article.slug)
tokens = []
for index in range(int(os.environ["LOAD_WRITERS"])):
    user = User.objects.create_user(username=f"loadwriter{index + 1}")
    tokens.append(create_token(user=user, name="export load")[1])
print(json.dumps({"slugs": slugs, "tokens": tokens}))
"""

# Every comment of the site with what the checks need, as JSON on stdout.
DUMP_SCRIPT = """
import json

import django

django.setup()
from django.db.models import Count, Q

from discussion.models import Comment
from newsroom.models import Article

articles = {
    a.slug: [a.comment_counter, a.comment_count, a.published_comments]
    for a in Article.objects.annotate(
        published_comments=Count(
            "comments", filter=Q(comments__status="published")
        )
    )
}
comments = list(
    Comment.objects.values_list(
        "article__slug", "number", "parent__number", "reply_counter", "body"
    ).order_by("pk")
)
print(json.dumps({"articles": articles, "comments": comments}))
"""


def _env(database: str, **extra: str) -> dict:
    """A production-like environment (DEBUG off, no Redis) on `database`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GRANIAN_", "TRIBUNE_", "SQLITE_", "REDIS_URL"))
    }
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        DEBUG="0",
        TRIBUNE_SECRET_KEY=f"export-load-{secrets.token_hex(32)}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL="0",
        # The writers post as fast as they can.
        TRIBUNE_NEW_ACCOUNT_SECONDS="0",
        TRIBUNE_COMMENT_MIN_INTERVAL="0",
        TRIBUNE_COMMENTS_PER_HOUR="1000000",
        **extra,
    )
    env["DATABASE_URL" if database.startswith("postgres") else "SQLITE_PATH"] = database
    return env


def _run(argv: list[str], env: dict, timeout: float = 600) -> str:
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"{argv[2:5]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def _databases(folder: Path, database_url: str):
    """Two empty databases, the live site's and the restore's."""
    if not database_url.startswith("postgres"):
        yield str(folder / "live.sqlite3"), str(folder / "restored.sqlite3")
        return
    from tests.servers import scratch_database

    with scratch_database(database_url) as live, scratch_database(database_url) as to:
        yield live, to


@dataclass
class Write:
    sent: float
    answered: float
    body: str
    status: int


@dataclass
class Writers:
    base: str
    slugs: list[str]
    top_level: dict[str, int]  # numbers a reply may go under, per article
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    writes: list[Write] = field(default_factory=list)

    def run(self, index: int, token: str) -> None:
        rng = random.Random(f"{SEED}:{index}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        count = 0
        while not self.stopping.is_set():
            count += 1
            slug = rng.choice(self.slugs)
            body = f"Writer {index} comment {count} on {slug}."
            data = {"body": body, "client_token": f"w{index}-{count}"}
            if rng.random() < 0.4:
                data["parent"] = str(rng.randint(1, self.top_level[slug]))
            request = urllib.request.Request(  # noqa: S310 - our own loopback server
                f"{self.base}/api/v1/articles/{slug}/comments",
                json.dumps(data).encode(),
                {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {token}",
                },
                method="POST",
            )
            sent = time.monotonic()
            try:
                with opener.open(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as e:
                status = e.code
            except OSError:
                status = 0
            with self.lock:
                self.writes.append(Write(sent, time.monotonic(), body, status))


def _check(live: dict, restored: dict, writes, started: float, ended: float) -> list:
    """The problems found in the restored site (an empty list: none)."""
    problems = []
    by_number = {(slug, number): body for slug, number, _, _, body in live["comments"]}
    replies: dict[tuple, list[int]] = {}
    for slug, number, parent, _, body in restored["comments"]:
        if by_number.get((slug, number)) != body:
            problems.append(f"{slug} #{number} is not the live site's comment")
        position = int(number.rsplit(".", 1)[-1])
        replies.setdefault((slug, parent), []).append(position)
    counters = {
        (slug, number): reply_counter
        for slug, number, _, reply_counter, _ in restored["comments"]
    }
    for (slug, parent), positions in replies.items():
        if sorted(positions) != list(range(1, len(positions) + 1)):
            problems.append(f"{slug}: gaps in the numbers under {parent or 'the top'}")
        if parent is not None and counters[(slug, parent)] != len(positions):
            problems.append(f"{slug} #{parent}: reply_counter is not its replies")
    for (slug, number), counter in counters.items():
        if counter and (slug, number) not in replies:
            problems.append(f"{slug} #{number}: reply_counter {counter}, no replies")
    for slug, (counter, count, published) in restored["articles"].items():
        if counter != len(replies.get((slug, None), [])):
            problems.append(f"{slug}: comment_counter is not its top-level comments")
        if count != published:
            problems.append(f"{slug}: comment_count is not its published comments")
    bodies = {body for *_, body in restored["comments"]}
    for write in writes:
        if (
            write.status == 201
            and write.answered < started
            and write.body not in bodies
        ):
            problems.append(f"acknowledged before the export, missing: {write.body}")
        if write.sent > ended and write.body in bodies:
            problems.append(f"sent after the export, yet in it: {write.body}")
    return problems


def measure(
    *,
    seconds: float = 20,
    writers: int = 4,
    articles: int = 4,
    comments: int = 2500,
    database_url: str = "",
) -> dict:
    """Run the whole scenario once; return its figures (see the module's doc)."""
    from bench.servers import free_port, start, stop, wait_http

    with (
        tempfile.TemporaryDirectory(prefix="tribune-export-load-") as folder,
        _databases(Path(folder), database_url) as (live_db, restored_db),
    ):
        folder = Path(folder)
        env = _env(live_db, STATIC_ROOT=str(folder / "static"))
        _run([*TRIBUNE, "migrate", "-v0"], env)
        seeded = json.loads(
            _run(
                [sys.executable, "-c", SEED_SCRIPT],
                {
                    **env,
                    "LOAD_ARTICLES": str(articles),
                    "LOAD_COMMENTS": str(comments),
                    "LOAD_WRITERS": str(writers),
                },
            )
        )
        port = free_port()
        log = folder / "serve.log"
        server = start(
            [*TRIBUNE, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            log=log,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        load = Writers(
            base,
            seeded["slugs"],
            {
                slug: _top_level(comments, index)
                for index, slug in enumerate(seeded["slugs"])
            },
        )
        threads = [
            threading.Thread(target=load.run, args=(index, token))
            for index, token in enumerate(seeded["tokens"])
        ]
        try:
            wait_http(f"{base}/healthz", server, log)
            for thread in threads:
                thread.start()
            time.sleep(seconds / 2)
            document = folder / "export.json"
            started = time.monotonic()
            exported = _run([*TRIBUNE, "export", "-o", str(document)], env)
            ended = time.monotonic()
            # Writes go on after it, so the live site ends ahead of the copy.
            time.sleep(max(1.0, seconds / 2 - (ended - started)))
        finally:
            load.stopping.set()
            for thread in threads:
                thread.join(timeout=60)
            stop(server)
        live = json.loads(_run([sys.executable, "-c", DUMP_SCRIPT], env))

        restore_env = _env(restored_db, STATIC_ROOT=str(folder / "static"))
        _run([*TRIBUNE, "migrate", "-v0"], restore_env)
        restore_started = time.monotonic()
        _run([*TRIBUNE, "restore", str(document)], restore_env)
        restore_seconds = time.monotonic() - restore_started
        restored = json.loads(_run([sys.executable, "-c", DUMP_SCRIPT], restore_env))

        writes = load.writes
        acknowledged = [w for w in writes if w.status == 201]
        problems = _check(live, restored, writes, started, ended)
        statuses: dict[str, int] = {}
        for write in writes:
            statuses[str(write.status)] = statuses.get(str(write.status), 0) + 1
        return {
            "database": "postgresql"
            if database_url.startswith("postgres")
            else "sqlite",
            "seconds": seconds,
            "writers": writers,
            "seeded_comments": articles * comments,
            # The command's whole run (Python and Django starting included),
            # and the export itself as the command reports it.
            "export_seconds": round(ended - started, 2),
            "export_command_seconds": float(
                re.search(r" in ([0-9.]+) s\.", exported).group(1)
            ),
            "export_mb": round(document.stat().st_size / 1024 / 1024, 2),
            "export_summary": exported.strip(),
            "comments_in_snapshot": len(restored["comments"]),
            "comments_live_at_end": len(live["comments"]),
            "writes_acknowledged": len(acknowledged),
            "writes_before_export": sum(w.answered < started for w in acknowledged),
            "writes_during_export": sum(
                w.sent < ended and w.answered >= started for w in acknowledged
            ),
            "writes_after_export": sum(w.sent >= ended for w in acknowledged),
            "write_statuses": statuses,
            "writes_per_second": round(
                len(acknowledged)
                / max(1e-9, writes[-1].answered - min(w.sent for w in writes)),
                1,
            ),
            "restore_seconds": round(restore_seconds, 2),
            "problems": problems,
        }


def _top_level(comments: int, seed: int) -> int:
    from bench.data import plan_thread

    return sum(1 for planned in plan_thread(comments, seed=seed) if planned.depth == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--comments", type=int, default=2500, help="per article")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server to make the scratch databases on "
        "(default DATABASE_URL; SQLite files without it)",
    )
    options = parser.parse_args()
    figures = measure(
        seconds=options.seconds,
        writers=options.writers,
        articles=options.articles,
        comments=options.comments,
        database_url=options.database_url,
    )
    for name, value in figures.items():
        print(f"{name}: {value}")
    # One entry per database, so a SQLite run and a PostgreSQL run sit side
    # by side.
    results = {}
    if RESULTS.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(RESULTS.read_text(encoding="utf-8"))
    results[figures["database"]] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        **figures,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if figures["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
