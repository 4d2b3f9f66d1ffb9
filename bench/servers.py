"""Start, wait for and stop the servers the bench measures, all on 127.0.0.1.

Each server runs in its own process group (started here), so stopping it ends
its workers too and nothing else.
"""

# ruff: noqa: S603 - runs fixed commands (nginx, granian) built here

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], *, env: dict, log: Path, cwd: Path | None = None):
    """Start `command` in a new process group, output to `log`; return the Popen."""
    handle = log.open("ab")
    return subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen | None) -> None:
    """Stop a server started by `start` and its workers (its process group)."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60):
    """Wait until `url` answers (any HTTP status); fail with the server's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def children(pid: int) -> list[int]:
    """Return the pids of the direct children of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after ")" do not.
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    """Return the resident memory of `pid` in MB (VmRSS), or None if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _nginx_common(prefix: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 2;\n"
        "daemon off;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
    )


def _nginx_http_common(prefix: Path) -> str:
    return (
        "  access_log off;\n"
        f"  client_body_temp_path {prefix}/client_body;\n"
        f"  proxy_temp_path {prefix}/proxy_temp;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi_temp;\n"
        f"  uwsgi_temp_path {prefix}/uwsgi_temp;\n"
        f"  scgi_temp_path {prefix}/scgi_temp;\n"
        "  sendfile on;\n"
        "  tcp_nopush on;\n"
        "  keepalive_requests 100000;\n"
    )


def nginx_static_config(prefix: Path, port: int, root: Path) -> str:
    """A minimal nginx serving the files under `root` (text/html) on `port`."""
    return (
        _nginx_common(prefix)
        + "http {\n"
        + _nginx_http_common(prefix)
        + "  default_type text/html;\n"
        + f"  server {{\n    listen 127.0.0.1:{port};\n    root {root};\n  }}\n"
        + "}\n"
    )


def nginx_microcache_config(prefix: Path, port: int, upstream_port: int) -> str:
    """nginx in front of Tribune caching anonymous pages for one second.

    Signed-in readers (a session cookie) and POSTs go straight to Tribune;
    one request refreshes an expired entry while the others get the stale
    copy, so a new comment shows within about a second plus one render.
    """
    return (
        _nginx_common(prefix)
        + "http {\n"
        + _nginx_http_common(prefix)
        + f"  proxy_cache_path {prefix}/cache levels=1:2 keys_zone=tribune:10m"
        " max_size=200m inactive=60s use_temp_path=off;\n"
        + f"  upstream tribune {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}\n"
        + "  server {\n"
        + f"    listen 127.0.0.1:{port};\n"
        + "    location / {\n"
        "      proxy_pass http://tribune;\n"
        "      proxy_http_version 1.1;\n"
        '      proxy_set_header Connection "";\n'
        "      proxy_set_header Host $http_host;\n"
        "      proxy_set_header X-Forwarded-For $remote_addr;\n"
        "      proxy_cache tribune;\n"
        "      proxy_cache_key $scheme$host$request_uri;\n"
        "      proxy_cache_valid 200 1s;\n"
        "      proxy_cache_lock on;\n"
        "      proxy_cache_use_stale updating;\n"
        "      proxy_cache_background_update on;\n"
        "      proxy_cache_bypass $cookie_sessionid;\n"
        "      proxy_no_cache $cookie_sessionid;\n"
        "      add_header X-Cache $upstream_cache_status;\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def nginx_command(config: Path) -> list[str]:
    return ["nginx", "-c", str(config), "-p", str(config.parent)]


def check_nginx_config(config: Path) -> str | None:
    """Return nginx -t's complaint about `config`, or None if it is valid."""
    done = subprocess.run(
        [*nginx_command(config), "-t"], capture_output=True, text=True, check=False
    )
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()
