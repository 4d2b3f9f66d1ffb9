import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tribune.management.commands import serve


def _option(argv, name):
    return argv[argv.index(name) + 1]


def test_it_builds_a_wsgi_granian_command_line():
    argv = serve.granian_argv(
        host="::", port=9000, workers=3, threads=4, python="/venv/bin/python"
    )
    assert argv[:3] == ["/venv/bin/python", "-m", "granian"]
    assert argv[-1] == "tribune.wsgi:application"
    assert _option(argv, "--interface") == "wsgi"
    assert _option(argv, "--host") == "::"
    assert _option(argv, "--port") == "9000"
    assert _option(argv, "--workers") == "3"
    assert _option(argv, "--blocking-threads") == "4"
    # Connections, not requests: idle keep-alive ones must leave room.
    assert _option(argv, "--backpressure") == str(serve.WSGI_CONNECTIONS)
    assert _option(argv, "--backlog") == "2048"
    assert "--respawn-failed-workers" in argv
    assert "--static-path-mount" not in argv


def test_it_defaults_to_one_worker_per_cpu(monkeypatch):
    monkeypatch.setattr(serve, "_cpu_count", lambda: 6)
    assert _option(serve.granian_argv(), "--workers") == "6"


def test_it_serves_static_files_only_when_asked():
    argv = serve.granian_argv(static=("/static", Path("/srv/static")))
    assert _option(argv, "--static-path-route") == "/static"
    assert _option(argv, "--static-path-mount") == "/srv/static"
    assert argv[-1] == "tribune.wsgi:application"


def test_it_builds_the_live_servers_asgi_command_line():
    argv = serve.granian_argv(live=True, python="/venv/bin/python")
    assert argv[-1] == "tribune.asgi:application"
    # Django has no ASGI lifespan support: granian must not ask for it.
    assert _option(argv, "--interface") == "asginl"
    assert _option(argv, "--port") == "8001"
    assert _option(argv, "--workers") == "1"
    assert _option(argv, "--backpressure") == str(serve.LIVE_STREAMS)
    # granian runs ASGI apps on one event loop; extra threads are refused.
    assert "--blocking-threads" not in argv
    # The production defaults stay.
    assert "--respawn-failed-workers" in argv
    assert "--no-access-log" in argv
    assert _option(argv, "--http") == "1"
    assert "--no-ws" in argv


def test_it_gives_the_live_server_the_options_given():
    argv = serve.granian_argv(
        live=True, host="::", port=9001, workers=2, streams=500, kill_timeout=7
    )
    assert _option(argv, "--host") == "::"
    assert _option(argv, "--port") == "9001"
    assert _option(argv, "--workers") == "2"
    assert _option(argv, "--backpressure") == "500"
    assert _option(argv, "--workers-kill-timeout") == "7"


def test_it_runs_one_live_worker_whatever_the_cpus(monkeypatch):
    monkeypatch.setattr(serve, "_cpu_count", lambda: 6)
    assert _option(serve.granian_argv(live=True), "--workers") == "1"


@pytest.fixture
def execv(monkeypatch):
    calls = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(argv))
    return calls


def test_it_execs_granian_with_the_options_given(execv):
    call_command("serve", "--port", "8123", "--workers", "2", "--threads", "3")
    [argv] = execv
    assert argv[0] == sys.executable
    assert _option(argv, "--port") == "8123"
    assert _option(argv, "--workers") == "2"
    assert _option(argv, "--blocking-threads") == "3"


def test_it_keeps_the_wsgi_defaults_without_live(execv, monkeypatch):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "600")
    call_command("serve")
    [argv] = execv
    assert os.environ["DATABASE_CONN_MAX_AGE"] == "600"
    assert argv[-1] == "tribune.wsgi:application"
    assert _option(argv, "--port") == "8000"
    assert _option(argv, "--blocking-threads") == "1"
    assert _option(argv, "--workers-kill-timeout") == "30"


def test_it_execs_the_live_server_with_live(execv, monkeypatch):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "600")
    call_command("serve", "--live")
    [argv] = execv
    # No persistent connections under ASGI, whatever the environment file says.
    assert os.environ["DATABASE_CONN_MAX_AGE"] == "0"
    assert argv[0] == sys.executable
    assert argv[-1] == "tribune.asgi:application"
    assert _option(argv, "--interface") == "asginl"
    assert _option(argv, "--port") == "8001"
    assert _option(argv, "--workers") == "1"
    # Open streams are cut soon on a stop; browsers reconnect.
    assert _option(argv, "--workers-kill-timeout") == str(serve.LIVE_KILL_TIMEOUT)


def test_it_execs_the_live_server_with_the_options_given(execv):
    call_command(
        "serve", "--live", "--port", "9101", "--streams", "100", "--kill-timeout", "9"
    )
    [argv] = execv
    assert _option(argv, "--port") == "9101"
    assert _option(argv, "--backpressure") == "100"
    assert _option(argv, "--workers-kill-timeout") == "9"


@pytest.mark.parametrize(
    "options",
    [("--live", "--threads", "8"), ("--live", "--serve-static"), ("--streams", "10")],
)
def test_it_refuses_options_of_the_other_server(execv, options):
    with pytest.raises(CommandError, match="--live"):
        call_command("serve", *options)
    assert execv == []


def test_it_serves_static_root_when_asked(execv, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    call_command("serve", "--serve-static")
    [argv] = execv
    assert _option(argv, "--static-path-route") == "/static"
    assert _option(argv, "--static-path-mount") == str(tmp_path)


def test_it_refuses_to_serve_static_files_not_collected(execv, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "missing"
    with pytest.raises(CommandError, match="collectstatic"):
        call_command("serve", "--serve-static")
    assert execv == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_keeping_open(port: int) -> tuple[socket.socket, bytes]:
    """One HTTP/1.1 request on a new connection, left open as nginx leaves
    its upstream connections; returns the socket and the answer's first bytes."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return conn, conn.recv(65536)


def test_it_serves_healthz(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("GRANIAN_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        SQLITE_PATH=str(tmp_path / "serve.sqlite3"),
        DEBUG="1",
    )
    tribune = [sys.executable, "-m", "tribune.cli"]
    migrate = [*tribune, "migrate", "-v0"]
    subprocess.run(migrate, env=env, check=True, timeout=60)  # noqa: S603
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [
                *tribune,
                "serve",
                "--port",
                str(port),
                *("--workers", "1", "--threads", "2"),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Straight to the server, whatever proxy the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                with opener.open(url, timeout=2) as response:
                    status, body = response.status, response.read()
                break
            except urllib.error.HTTPError as e:
                pytest.fail(f"/healthz answered {e.code}: {e.read()!r}")
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"tribune serve did not answer:\n{log.read_text()}")
                time.sleep(0.2)
        assert status == 200
        health = json.loads(body)
        assert health["status"] == "ok"
        assert health["cache"]["backend"] == "locmem"
        # Idle keep-alive connections, more than the worker has threads, do
        # not keep a new connection from being served (it used to wait for
        # one of them to close).
        idle = [_get_keeping_open(port) for _ in range(4)]
        try:
            assert all(answer.startswith(b"HTTP/1.1 200") for _, answer in idle)
            fresh, answer = _get_keeping_open(port)
            fresh.close()
            assert answer.startswith(b"HTTP/1.1 200")
        finally:
            for conn, _ in idle:
                conn.close()
    finally:
        # granian and its workers share the session started for it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def test_it_gives_granian_two_malloc_arenas_unless_told_otherwise(execv, monkeypatch):
    # Recorded by monkeypatch, so the process's own value comes back after.
    monkeypatch.setenv("MALLOC_ARENA_MAX", "")
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    call_command("serve")
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    call_command("serve")
    assert os.environ["MALLOC_ARENA_MAX"] == "4"
