"""Helpers for tests that start real `tribune serve` processes.

Such servers are separate processes, so pytest-django's test database is of
no use to them: they get a scratch database of their own (a SQLite file, or
a new PostgreSQL database beside DATABASE_URL's, dropped afterwards).
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_path(url: str, path: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path=path).geturl()


@contextlib.contextmanager
def scratch_database(database_url: str):
    """A new, empty database beside `database_url`'s (PostgreSQL); yields its URL."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(database_url)
    name = f"tribune_scratch_{secrets.token_hex(6)}"
    maintenance = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "") or None,
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )
    with maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield with_path(database_url, f"/{name}")
        finally:
            maintenance.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def run(argv, env, timeout=120) -> str:
    """Run a command of ours to its end; its output, or the test fails."""
    try:
        done = subprocess.run(  # noqa: S603 (our own command line)
            argv, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{argv[2:5]} took more than {timeout} s:\n{e.stderr}")
    if done.returncode:
        pytest.fail(f"{argv[2:5]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def stop(server: subprocess.Popen) -> None:
    # granian and its workers share the session started for them.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=5)


def wait_healthy(server, base: str, log: Path, deadline: float) -> dict:
    """Wait for `base`/healthz to answer; return its report (status ok)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        try:
            with opener.open(f"{base}/healthz", timeout=2) as response:
                health = json.loads(response.read())
            break
        except urllib.error.HTTPError as e:
            pytest.fail(f"{base}/healthz answered {e.code}: {e.read()!r}")
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"tribune serve at {base} did not answer:\n{log.read_text()}"
                )
            time.sleep(0.2)
    assert health["status"] == "ok", health
    return health
