"""Helpers for tests that start real `tribune serve` processes.

Such servers are separate processes, so pytest-django's test database is of
no use to them: they get a scratch database of their own (a SQLite file, or
a new PostgreSQL database beside DATABASE_URL's, dropped afterwards).
"""

import contextlib
import email.message
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
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


PASSWORD = "correct horse battery staple"
HTTP_TIMEOUT = 10


# A reader's browser for servers a test started: its own cookies (sent to
# every port: cookies are not bound to ports), redirects reported rather than
# followed, and every failure to get an answer (refused, reset, timed out) as
# status 0.


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int  # 0: no HTTP answer at all
    headers: email.message.Message  # case-insensitive, as HTTP's names are
    text: str

    def json(self):
        return json.loads(self.text)


class Browser:
    def __init__(self, token: str | None = None):
        self.jar = http.cookiejar.CookieJar()
        self.token = token
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
        )

    def request(self, method: str, url: str, data=None, json_body=None) -> Response:
        headers = {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = url
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # Only ever http://127.0.0.1:<port> of a server started by the test.
        request = urllib.request.Request(url, body, headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                return Response(
                    response.status, response.headers, response.read().decode()
                )
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, e.headers, e.read().decode())
        except (OSError, http.client.HTTPException) as e:
            return Response(0, email.message.Message(), f"{type(e).__name__}: {e}")

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def post(self, url: str, data: dict) -> Response:
        return self.request("POST", url, data=data)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def sign_in(self, base: str, username: str, password: str = PASSWORD) -> Response:
        form = self.get(f"{base}/accounts/signin/")
        assert form.status == 200, form.text
        return self.post(
            f"{base}/accounts/signin/",
            {
                "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
                "username": username,
                "password": password,
            },
        )


def hidden(html: str, name: str) -> str:
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            assert value, tag
            return value.group(1)
    raise AssertionError(f"no {name} field in the page")
