"""Servers the fault tests start, stop and kill: PostgreSQL, Redis, Tribune.

Each test gets servers of its own on free ports, never the shared ones the
rest of the suite uses (127.0.0.1:55432 and :56379 in development and CI):
killing those would break every other test running at the time.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.servers import PASSWORD, Browser, free_port, stop

PG_BIN = Path(os.environ.get("TRIBUNE_PG_BIN", "/usr/lib/postgresql/15/bin"))
TRIBUNE = [sys.executable, "-m", "tribune.cli"]


def postgres_missing() -> str | None:
    """Why a private PostgreSQL cannot be started here, or None if it can."""
    if not (PG_BIN / "initdb").exists():
        return f"needs PostgreSQL's binaries in {PG_BIN} (TRIBUNE_PG_BIN)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "as root, PostgreSQL is run as the postgres user, with runuser"
    return None


def redis_missing() -> str | None:
    if not shutil.which("redis-server"):
        return "needs redis-server on the PATH"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary directory.

    PostgreSQL refuses to run as root, so under root (as in CI) every command
    runs as the postgres user, who owns the directory. fsync is off: the tests
    kill the server process, not the machine, and what a committed
    transaction wrote is in the kernel's buffers either way.
    """

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="tribune-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tribune"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        command = [str(PG_BIN / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(  # noqa: S603 (our own command line)
            command, capture_output=True, text=True, timeout=timeout, cwd=self.dir
        )
        if done.returncode:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}\n{log[-3000:]}"
            )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.start()
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", autocommit=True
        ) as connection:
            connection.execute("CREATE DATABASE tribune")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options,
            "start",
        )  # fmt: skip

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, clients cut off."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of the test's own: no persistence, killed with SIGKILL."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
                "--logfile", str(self.tmp / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


def tribune_env(database: str, static_root: Path, **extra: str) -> dict:
    """The environment of a production-like Tribune on `database`.

    `database` is a postgres:// URL, or else the path of a SQLite file (which
    then gets the settings' own SQLite options).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GRANIAN_", "TRIBUNE_", "SQLITE_", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        DEBUG="0",
        TRIBUNE_SECRET_KEY=f"faults-{secrets.token_hex(32)}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL="0",
        STATIC_ROOT=str(static_root),
        # The load posts fast on purpose: no posting limits in the way.
        TRIBUNE_NEW_ACCOUNT_SECONDS="0",
        TRIBUNE_COMMENT_MIN_INTERVAL="0",
        TRIBUNE_COMMENTS_PER_HOUR="100000",
        TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT="3",
        **extra,
    )
    env.pop("DATABASE_URL", None)
    env["DATABASE_URL" if database.startswith("postgres") else "SQLITE_PATH"] = database
    return env


SEED = """
import json, os
from datetime import timedelta

import django

django.setup()
from django.utils import timezone

from accounts.models import User
from api.actions import create_token
from newsroom.models import Article, Section

password = os.environ["FAULTS_PASSWORD"]
tokens = {}
for name in os.environ["FAULTS_READERS"].split():
    user = User.objects.create_user(
        username=name, email=f"{name}@example.org", password=password
    )
    tokens[name] = create_token(user=user, name="load")[1]
section = Section.objects.create(name="Politics", slug="politics")
for slug in os.environ["FAULTS_ARTICLES"].split():
    Article.objects.create(
        title=f"Article {slug}",
        slug=slug,
        body="A thread under fire.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )
print(json.dumps(tokens))
"""


def run(argv, env, timeout=180) -> str:
    done = subprocess.run(  # noqa: S603 (our own command line)
        argv, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        pytest.fail(f"{argv[2:5]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_site(env: dict, readers, articles) -> dict[str, str]:
    """Migrate and seed the site; return each reader's API token."""
    run([*TRIBUNE, "migrate", "-v0"], env)
    seeded = {
        **env,
        "FAULTS_PASSWORD": PASSWORD,
        "FAULTS_READERS": " ".join(readers),
        "FAULTS_ARTICLES": " ".join(articles),
    }
    return json.loads(run([sys.executable, "-c", SEED], seeded))


@contextlib.contextmanager
def serving(env: dict, tmp: Path, name: str = "tribune"):
    """`tribune serve` (one worker, four threads); yields its base URL."""
    port = free_port()
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [*TRIBUNE, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            status = Browser().get(f"{base}/healthz").status
            if status == 200:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tribune serve did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        stop(server)
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


def api_post(client: Browser, base: str, slug: str, body: str, token: str):
    return client.request(
        "POST",
        f"{base}/api/v1/articles/{slug}/comments",
        json_body={"body": body, "client_token": token},
    )
