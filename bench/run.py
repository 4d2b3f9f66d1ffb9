"""`tribune bench`: Tribune against Isso and nginx, measured in one run.

    uv run tribune bench [--quick] [--skip-isso] [--skip-nginx]
                         [--postgres URL] [--out PATH]

Builds its own data in a temporary SQLite database (the reference page, and
generated articles of 1,000, 2,000 and 10,000 comments from a fixed seed),
starts every server it measures on 127.0.0.1 (Tribune under granian with 2
workers, Isso under gunicorn with 2 workers, nginx serving Tribune's page as
a static file, nginx as a micro-caching proxy in front of Tribune), loads
them with wrk, stops them, prints a table and writes bench/results/latest.json
with every raw figure. wrk and the servers share the machine's cores.

Rate limits, the duplicate-text check and the new-account limits are off
(environment variables) so that the posting test measures posting; that
applies to every figure of the run. `--postgres URL` repeats the posting test
on that PostgreSQL database: give it a scratch database, the bench writes
users and comments into it.
"""

# ruff: noqa: S603, S607 - runs fixed commands (apt-get, python, wrk) built here

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench import isso, servers
from bench.targets import compute_reported, compute_targets, query_growth
from bench.wrk import posting_script, run_wrk, summarize
from tribune.management.commands.serve import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
REFERENCE_PAGE = (
    ROOT / "importers/pages/military-review-2016-05-25-joint-operations.txt"
)
PRODUCTION_NGINX = ROOT / "deploy" / "nginx" / "tribune.conf"
READ_CONNECTIONS = 16
WRITERS = 8
COUNTS = [1000, 2000, 10000]

NOTE = (
    "wrk and the servers share the same cores; every server and the load "
    "generator run on 127.0.0.1 at the same time, so absolute rates are lower "
    "than on separate machines, and the ratios are measured in the same run."
)
RATE_LIMITS_OFF = {
    "TRIBUNE_COMMENT_MIN_INTERVAL": "0",
    "TRIBUNE_COMMENTS_PER_HOUR": "0",
    "TRIBUNE_DUPLICATE_WINDOW": "0",
    "TRIBUNE_NEW_ACCOUNT_SECONDS": "0",
}


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tribune bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 run per figure, 2 s loads (smoke test)"
    )
    parser.add_argument("--skip-isso", action="store_true", help="do not measure Isso")
    parser.add_argument(
        "--skip-nginx", action="store_true", help="do not measure nginx (static, proxy)"
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure posting on this PostgreSQL"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory"
    )
    return parser.parse_args(argv)


# --- environment and tools ---------------------------------------------------


def ensure_tools(nginx: bool) -> None:
    """Install wrk (and nginx) from Debian if missing; fail clearly otherwise."""
    missing = [
        tool for tool in ["wrk", *(["nginx"] if nginx else [])] if not _which(tool)
    ]
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise SystemExit(
            f"tribune bench needs {', '.join(missing)}; apt-get is not available: "
            "install them with your system's package manager."
        )
    say(f"installing {' '.join(missing)} with apt-get …")
    done = subprocess.run(
        ["apt-get", "install", "-y", *missing], capture_output=True, text=True
    )
    if done.returncode != 0 or any(not _which(tool) for tool in missing):
        raise SystemExit(
            f"apt-get install -y {' '.join(missing)} failed:\n{done.stderr[-2000:]}"
        )


def _which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin")


def tribune_env(tmp: Path, database_url: str | None = None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        DEBUG="0",
        TRIBUNE_SECRET_KEY="bench-" + secrets.token_hex(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL="0",
        SQLITE_PATH=str(tmp / "tribune.sqlite3"),
        STATIC_ROOT=str(tmp / "static-root"),
        LOG_LEVEL="WARNING",
        **RATE_LIMITS_OFF,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def python(args: list[str], env: dict, what: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1]
        )
    except (OSError, TypeError):
        mem_kb = 0
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": mem_kb // 1024,
        "python": platform.python_version(),
        "wrk": _version(["wrk", "-v"]),
        "nginx": _version(["nginx", "-v"]),
    }


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return ""
    return (done.stdout + done.stderr).strip().splitlines()[0] if done else ""


# --- HTTP helpers ------------------------------------------------------------


def fetch(port: int, method: str, path: str, headers=None, body=None):
    """Return (status, headers dict lower-cased, body bytes); follows nothing."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        head = {}
        for key, value in response.getheaders():
            key = key.lower()
            head[key] = f"{head[key]}\n{value}" if key in head else value
        return response.status, head, data
    finally:
        connection.close()


def csrf_for(port: int, path: str, sessionid: str) -> tuple[str, str]:
    """GET `path` signed in; return (csrftoken cookie, form token)."""
    status, head, body = fetch(port, "GET", path, {"Cookie": f"sessionid={sessionid}"})
    cookie = re.search(r"csrftoken=([^;\s]+)", head.get("set-cookie", ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not cookie or not token:
        raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")
    return cookie[1], token[1].decode()


def shown_comments(html: bytes) -> list[str]:
    """The comment numbers a page shows, from its `<li id="c…"` items."""
    return [m.decode() for m in re.findall(rb'<li id="c([\d.]+)"', html)]


def post_reply(port, slug, parent, sessionid, csrf, text) -> tuple[int, str]:
    """Post a reply as a browser would; return (status, the new comment's number)."""
    from urllib.parse import urlencode

    cookie, token = csrf
    body = urlencode(
        {
            "body": text,
            "parent": parent,
            "client_token": secrets.token_hex(16),
            "csrfmiddlewaretoken": token,
        }
    )
    status, head, _ = fetch(
        port,
        "POST",
        f"/articles/{slug}/comments/",
        {
            "Cookie": f"sessionid={sessionid}; csrftoken={cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body,
    )
    match = re.search(r"#c([\d.]+)$", head.get("location", ""))
    return status, match[1] if match else ""


# --- the bench ---------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.repeats = 1 if args.quick else 3
        self.seconds = 2 if args.quick else 5
        self.tmp = Path(tempfile.mkdtemp(prefix="tribune-bench-"))
        self.tmp.chmod(0o755)
        self.processes: list[subprocess.Popen] = []
        self.figures: dict = {}
        self.facts: dict = {}
        self.env = tribune_env(self.tmp)

    # servers

    def start(self, name: str, command, env, url, port=None) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        process = servers.start(command, env=env, log=log, cwd=ROOT)
        self.processes.append(process)
        servers.wait_http(url, process, log)
        return process

    def stop(self, process) -> None:
        servers.stop(process)

    def start_tribune(self, env, name="tribune") -> tuple[subprocess.Popen, int]:
        """Start Tribune as `tribune serve --workers 2` runs it (same granian
        settings), without the exec, so the bench can stop it."""
        from tribune.management.commands.serve import (
            PROCESS_ENVIRONMENT,
            granian_argv,
        )

        port = servers.free_port()
        command = granian_argv(
            port=port, workers=2, python=sys.executable, working_dir=ROOT
        )
        env = {**PROCESS_ENVIRONMENT, **env}
        process = self.start(name, command, env, f"http://127.0.0.1:{port}/")
        return process, port

    def start_nginx(self, name: str, text: str) -> tuple[subprocess.Popen, Path]:
        prefix = self.tmp / name
        prefix.mkdir()
        config = prefix / "nginx.conf"
        config.write_text(text.replace("@PREFIX@", str(prefix)))
        problem = servers.check_nginx_config(config)
        if problem:
            raise RuntimeError(f"nginx config {config}: {problem}")
        port = int(re.search(r"listen 127\.0\.0\.1:(\d+)", text)[1])
        process = self.start(
            name, servers.nginx_command(config), self.env, f"http://127.0.0.1:{port}/"
        )
        return process, prefix

    # measurements

    def load(
        self,
        label: str,
        url: str,
        *,
        connections=READ_CONNECTIONS,
        seconds=None,
        idle_url=None,
        **kw,
    ):
        """Warm up, then run wrk `repeats` times; return the summary.

        With `idle_url`, waits before each run until the server answers it
        promptly: a server slower than the load leaves requests queued from
        the previous run, which would otherwise eat into the next one.
        """
        seconds = seconds or self.seconds
        run_wrk(url, seconds=1, connections=connections, **kw)
        runs = []
        for index in range(self.repeats):
            if idle_url:
                wait_idle(idle_url)
            runs.append(run_wrk(url, seconds=seconds, connections=connections, **kw))
            say(
                f"  {label} run {index + 1}: {runs[-1]['requests_per_s']:.1f} req/s, "
                f"p99 {runs[-1]['latency_ms'].get('99', 0):.1f} ms" + _errors(runs[-1])
            )
        summary = summarize(runs)
        summary["url"] = url
        summary["connections"] = connections
        summary["seconds"] = seconds
        self.figures[label] = summary
        return summary

    def post_load(self, label: str, url: str, make_script, idle_url=None) -> dict:
        """Run the posting script `repeats` times; the rate counts successes only."""
        runs = []
        for index in range(self.repeats):
            if idle_url:
                wait_idle(idle_url)
            script = make_script(f"r{index}x{secrets.token_hex(3)}")
            run = run_wrk(url, seconds=self.seconds, connections=WRITERS, script=script)
            run["ok"] = run["script"].get("ok", 0)
            run["other"] = run["script"].get("other", 0)
            run["ok_per_s"] = run["ok"] / run["duration_s"]
            runs.append(run)
            say(
                f"  {label} run {index + 1}: {run['ok_per_s']:.1f} posts/s "
                f"({run['ok']} posted, {run['other']} other responses), "
                f"p99 {run['latency_ms'].get('99', 0):.1f} ms" + _errors(run)
            )
        summary = summarize(runs, rate_key="ok_per_s")
        summary["url"] = url
        self.figures[label] = summary
        return summary

    def run(self) -> dict:
        args = self.args
        started = time.monotonic()
        ensure_tools(nginx=not args.skip_nginx)
        say(f"temporary directory {self.tmp}")
        say("rate limits, duplicate check and new-account limits are OFF (env)")
        self.prepare_data()
        self.in_process()
        self.measure_tribune()
        if args.postgres:
            self.measure_postgres(args.postgres)
        if not args.skip_isso:
            self.measure_isso()
        self.facts["elapsed_s"] = round(time.monotonic() - started, 1)
        return self.report()

    def prepare_data(self) -> None:
        t = time.monotonic()
        say("migrating a fresh SQLite database …")
        python(
            ["-m", "tribune.cli", "migrate", "--noinput", "-v0"], self.env, "migrate"
        )
        python(
            ["-m", "tribune.cli", "collectstatic", "--noinput", "-v0"],
            self.env,
            "collectstatic",
        )
        python(
            [
                "-m",
                "tribune.cli",
                "import-page",
                str(REFERENCE_PAGE),
                "--section",
                "Politics",
            ],
            self.env,
            "import-page",
        )
        say("generating 1,000, 2,000 and 10,000 comments (seeded) …")
        data_path = self.tmp / "data.json"
        python(
            ["-m", "bench.data", str(data_path), *map(str, COUNTS)], self.env, "data"
        )
        self.data = json.loads(data_path.read_text())
        self.facts["data_seconds"] = round(time.monotonic() - t, 1)

    def in_process(self) -> None:
        say("in-process: SQL queries per page, cold renders …")
        out = self.tmp / "inproc.json"
        python(
            [
                "-m",
                "bench.inproc",
                str(self.tmp / "data.json"),
                str(out),
                str(self.repeats),
            ],
            self.env,
            "in-process measurements",
        )
        self.inproc = json.loads(out.read_text())
        for key, figure in self.inproc["cold_render"].items():
            say(f"  cold render {key}: {figure['median_s'] * 1000:.0f} ms")

    def measure_tribune(self) -> None:
        articles = self.data["articles"]
        writer = self.data["writers"][0]
        process, port = self.start_tribune(self.env)
        self.tribune_port = port
        base = f"http://127.0.0.1:{port}"
        path = f"/articles/{articles['2000']}/"
        status, head, page = fetch(port, "GET", path)
        _, _, again = fetch(port, "GET", path)
        numbers = shown_comments(page)
        self.page = page
        self.facts["page_2000"] = {
            "status": status,
            "bytes": len(page),
            "identical_on_second_get": page == again,
            "set_cookie_for_anonymous": "set-cookie" in head,
            "comments_shown": len(numbers),
            "top_level_shown": sum(1 for n in numbers if "." not in n),
            "comments_total": 2000,
        }
        say(f"Tribune page: {self.facts['page_2000']}")
        session = {"Cookie": f"sessionid={writer['sessionid']}"}
        _, _, signed = fetch(port, "GET", path, session)
        if b"/accounts/signout/" not in signed:
            raise RuntimeError("the bench session does not sign in")
        self.facts["page_2000_signed_in_bytes"] = len(signed)

        say("Tribune (granian, 2 workers):")
        self.load("tribune_anon_2000", base + path)
        self.load(
            "tribune_signed_2000",
            base + path,
            headers=[f"Cookie: sessionid={writer['sessionid']}"],
        )
        self.memory(process, port)

        if not self.args.skip_nginx:
            self.measure_nginx(port, path, page, writer)

        say("Tribune posting (SQLite, 8 writers, CSRF checked):")
        self.post_tribune("tribune_post_sqlite", port)
        self.stop(process)

    def memory(self, process, port) -> None:
        workers = servers.children(process.pid)
        before = {pid: servers.rss_mb(pid) for pid in workers}
        path = f"/articles/{self.data['articles']['10000']}/"
        self.load("tribune_anon_10000", f"http://127.0.0.1:{port}{path}", connections=4)
        after = {pid: servers.rss_mb(pid) for pid in workers}
        names = {}
        for pid in workers:
            try:
                names[pid] = (
                    Path(f"/proc/{pid}/cmdline")
                    .read_bytes()[:120]
                    .decode(errors="replace")
                    .replace("\0", " ")
                )
            except OSError:
                names[pid] = ""
        self.facts["granian_processes"] = {
            str(pid): {
                "cmdline": names[pid],
                "rss_mb_after_2000_loads": before[pid],
                "rss_mb_after_10000": after[pid],
            }
            for pid in workers
        }
        values = [v for v in after.values() if v is not None]
        self.facts["worker_rss_mb"] = max(values) if values else None
        say(f"  worker RSS after the 10,000-comment page: {after} MB")

    def measure_nginx(self, port, path, page, writer) -> None:
        root = self.tmp / "static"
        (root / "articles" / self.data["articles"]["2000"]).mkdir(parents=True)
        static_file = root / path.strip("/") / "index.html"
        static_file.write_bytes(page)
        for directory in [root, *root.rglob("*")]:
            directory.chmod(0o755)
        static_port = servers.free_port()
        say("nginx, Tribune's anonymous page as a static file:")
        nginx, _ = self.start_nginx(
            "nginx-static", servers.nginx_static_config("@PREFIX@", static_port, root)
        )
        status, _, served = fetch(static_port, "GET", path)
        if status != 200 or served != page:
            raise RuntimeError("nginx does not serve the page's exact bytes")
        self.load("nginx_static_2000", f"http://127.0.0.1:{static_port}{path}")
        self.stop(nginx)

        proxy_port = servers.free_port()
        config, origin = self.production_config(proxy_port, port)
        self.facts["proxy_config"] = origin
        say(f"nginx in front of Tribune ({origin}):")
        proxy, _ = self.start_nginx("nginx-proxy", config)
        status, head, served = fetch(proxy_port, "GET", path)
        self.facts["proxy_page_same_bytes"] = served == page
        self.facts["proxy_cache_header"] = head.get(
            "x-cache-status", head.get("x-cache")
        )
        csrf = csrf_for(port, path, writer["sessionid"])
        visibility: list[float] = []
        url = f"http://127.0.0.1:{proxy_port}{path}"
        run_wrk(url, seconds=1, connections=READ_CONNECTIONS)
        runs = []
        for index in range(self.repeats):
            result: dict = {}
            thread = threading.Thread(
                target=lambda result=result: result.update(
                    run=run_wrk(url, seconds=self.seconds, connections=READ_CONNECTIONS)
                )
            )
            thread.start()
            time.sleep(min(1.0, self.seconds / 3))
            visibility.append(
                self.visibility(proxy_port, path, writer["sessionid"], csrf, index)
            )
            thread.join()
            runs.append(result["run"])
            say(
                f"  proxy run {index + 1}: {result['run']['requests_per_s']:.1f} req/s,"
                f" p99 {result['run']['latency_ms'].get('99', 0):.1f} ms; new comment"
                f" visible after {visibility[-1]:.2f} s" + _errors(result["run"])
            )
        summary = summarize(runs)
        summary["url"] = url
        summary["visibility_s"] = visibility
        self.figures["stack_anon_2000"] = summary
        self.stop(proxy)

    def production_config(self, port: int, upstream: int) -> tuple[str, str]:
        """The deploy/ nginx config adapted to the bench's ports, or the bench's own."""
        fallback = servers.nginx_microcache_config("@PREFIX@", port, upstream)
        if not PRODUCTION_NGINX.exists():
            return fallback, (
                "bench micro-caching config (deploy/nginx/tribune.conf absent)"
            )
        adapted = adapt_production_config(PRODUCTION_NGINX.read_text(), port, upstream)
        probe = self.tmp / "nginx-probe"
        probe.mkdir(exist_ok=True)
        config = probe / "nginx.conf"
        config.write_text(adapted.replace("@PREFIX@", str(probe)))
        problem = servers.check_nginx_config(config) if adapted else "not adaptable"
        if problem:
            return fallback, (
                "bench micro-caching config (deploy/nginx/tribune.conf did not "
                f"adapt: {problem.splitlines()[-1] if problem else ''})"
            )
        return adapted, "deploy/nginx/tribune.conf adapted to the bench's ports"

    def visibility(self, proxy_port, path, sessionid, csrf, index) -> float:
        """Post a reply to comment 1 through nginx; seconds until readers see it."""
        slug = path.strip("/").split("/")[-1]
        status, number = post_reply(
            proxy_port,
            slug,
            "1",
            sessionid,
            csrf,
            f"Visibility check {index} {secrets.token_hex(4)}: does this show?",
        )
        if status != 302 or not number:
            self.facts.setdefault("visibility_errors", []).append(
                f"posting through nginx: HTTP {status}"
            )
            return float("inf")
        posted = time.monotonic()
        marker = f'<li id="c{number}"'.encode()
        while time.monotonic() - posted < 30:
            _, _, body = fetch(proxy_port, "GET", path)
            if marker in body:
                return time.monotonic() - posted
            time.sleep(0.05)
        return float("inf")

    def post_tribune(self, label: str, port: int) -> None:
        slug = self.data["articles"]["posting"]
        path = f"/articles/{slug}/comments/"
        writers = self.data["writers"]
        cookie, token = csrf_for(port, f"/articles/{slug}/", writers[0]["sessionid"])
        cookies = [f"sessionid={w['sessionid']}; csrftoken={cookie}" for w in writers]
        self.post_load(
            label,
            f"http://127.0.0.1:{port}{path}",
            lambda nonce: posting_script(
                self.tmp,
                kind="tribune",
                path=path,
                nonce=nonce,
                cookies=cookies,
                csrf=token,
            ),
        )

    def measure_postgres(self, url: str) -> None:
        say("PostgreSQL: migrate, writers, posting …")
        env = tribune_env(self.tmp, url)
        python(
            ["-m", "tribune.cli", "migrate", "--noinput", "-v0"], env, "migrate (pg)"
        )
        out = self.tmp / "pg-data.json"
        python(["-m", "bench.data", str(out), "--posting-only"], env, "data (pg)")
        saved = self.data
        self.data = json.loads(out.read_text())
        process, port = self.start_tribune(env, "tribune-pg")
        try:
            self.post_tribune("tribune_post_postgres", port)
        finally:
            self.stop(process)
            self.data = saved

    def measure_isso(self) -> None:
        say("Isso: install (cached in bench/.work/isso-venv) …")
        self.facts["isso"] = isso.ensure_installed()
        directory = self.tmp / "isso"
        directory.mkdir()
        port = servers.free_port()
        config = isso.write_config(directory, port)
        self.facts["isso_import"] = isso.import_threads(
            config, Path(self.data["isso_import"])
        )
        env = {**os.environ, "ISSO_SETTINGS": str(config)}
        for key in ("DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH"):
            env.pop(key, None)
        process = self.start(
            "isso", isso.gunicorn_command(port), env, f"http://127.0.0.1:{port}/info"
        )
        uri = self.data["isso_uris"]["2000"]
        full = f"/?uri={uri}"
        _, _, body = fetch(port, "GET", full)
        counted = _isso_count(json.loads(body))
        page = self.facts["page_2000"]
        same = full
        if page["comments_shown"] < counted:
            same = f"/?uri={uri}&limit={page['top_level_shown']}"
            _, _, body = fetch(port, "GET", same)
        self.facts["isso_counts"] = {
            "full_thread": counted,
            "for_the_page": _isso_count(json.loads(body)),
            "page_url": same,
            "tribune_page_shows": page["comments_shown"],
        }
        say(f"Isso: {self.facts['isso']}; {self.facts['isso_counts']}")
        base = f"http://127.0.0.1:{port}"
        idle = f"{base}/info"
        # A full thread takes Isso seconds: 4 connections keep both workers
        # busy (more would only queue), and 10 s loads complete enough of them.
        self.load(
            "isso_full_2000",
            base + full,
            connections=4,
            seconds=max(self.seconds, 10),
            idle_url=idle,
        )
        if same != full:
            self.load("isso_page_2000", base + same, idle_url=idle)
        else:
            self.figures["isso_page_2000"] = self.figures["isso_full_2000"]
        say("Isso posting (8 writers):")
        post_path = "/new?uri=/articles/bench-posting/"
        self.post_load(
            "isso_post",
            base + post_path,
            lambda nonce: posting_script(
                self.tmp,
                kind="isso",
                path=post_path,
                nonce=nonce,
                cookies=[""] * WRITERS,
            ),
            idle_url=idle,
        )
        self.stop(process)

    # results

    def flat(self) -> dict:
        f = self.figures

        def rate(key):
            return f[key]["rate_per_s"] if key in f else None

        cold = self.inproc["cold_render"]
        measured = self.inproc["queries"].values()
        queries = {q["comments"]: q["anonymous"]["queries_cold"] for q in measured}
        signed = {q["comments"]: q["signed_in"]["queries_cold"] for q in measured}
        visibility = f.get("stack_anon_2000", {}).get("visibility_s")
        return {
            "tribune_anon": rate("tribune_anon_2000"),
            "tribune_signed": rate("tribune_signed_2000"),
            "isso_page": rate("isso_page_2000"),
            "isso_full": rate("isso_full_2000"),
            "nginx_static": rate("nginx_static_2000"),
            "stack_anon": rate("stack_anon_2000"),
            "cold_render_2000_per_s": cold.get("2000", {}).get("renders_per_s"),
            "post_sqlite": rate("tribune_post_sqlite"),
            "post_postgres": rate("tribune_post_postgres"),
            "isso_post": rate("isso_post"),
            "visibility_s": visibility,
            # Anonymous and signed-in pages must each stay bounded; the worse
            # of the two is the figure.
            "queries": (
                queries if query_growth(queries) >= query_growth(signed) else signed
            ),
            "cold_render_1000_s": cold.get("1000", {}).get("median_s"),
            "cold_render_10000_s": cold.get("10000", {}).get("median_s"),
            "worker_rss_mb": self.facts.get("worker_rss_mb"),
        }

    def report(self) -> dict:
        flat = self.flat()
        targets = compute_targets(flat)
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "note": NOTE,
            "options": {
                "quick": self.args.quick,
                "runs_per_figure": self.repeats,
                "load_seconds": self.seconds,
                "read_connections": READ_CONNECTIONS,
                "writers": WRITERS,
                "wrk_threads": 2,
                "tribune": "granian as `tribune serve --workers 2` runs it "
                f"({DEFAULT_THREADS} thread(s) per worker), SQLite (WAL), DEBUG=0, "
                "local-memory cache",
                "environment": RATE_LIMITS_OFF,
                "rate_limits": "off for the whole run (environment variables above)",
            },
            "facts": self.facts,
            "in_process": self.inproc,
            "figures": self.figures,
            "summary": flat,
            "targets": targets,
            "reported": compute_reported(flat),
        }
        out = self.args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print_table(result)
        say(f"\nwritten to {out}")
        return result

    def cleanup(self) -> None:
        for process in reversed(self.processes):
            servers.stop(process)
        if self.args.keep:
            say(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _server_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the top-level `server { … }` blocks of `text`."""
    blocks = []
    for match in re.finditer(r"^\s*server\s*\{", text, re.M):
        depth, index = 0, match.end() - 1
        while index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                blocks.append((match.start(), index + 1))
                break
            index += 1
    return blocks


def adapt_production_config(text: str, port: int, upstream: int) -> str:
    """Point a deploy nginx config at the bench's ports; '' if it cannot be.

    Keeps its caching and proxy rules; drops the plain-HTTP server that only
    redirects to HTTPS and TLS itself, listens on `port`, sends the upstream
    to `upstream`, and moves cache and log paths into the temporary directory
    (@PREFIX@). A config without an http block is wrapped in one.
    """
    for start, end in reversed(_server_blocks(text)):
        if "return 301 https" in text[start:end]:
            text = text[:start] + text[end:]
    lines = []
    listened = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("ssl_", "ssl ", "http2")):
            continue
        if stripped.startswith("listen "):
            if listened:
                continue
            line, listened = f"    listen 127.0.0.1:{port};", True
        line = re.sub(
            r"^(\s*server\s+)(127\.0\.0\.1|localhost|unix:)[^;\s]*",
            lambda m: f"{m[1]}127.0.0.1:{upstream}",
            line,
        )
        line = re.sub(
            r"(proxy_cache_path|access_log|error_log)\s+/\S+",
            lambda m: f"{m[1]} @PREFIX@/{m[1]}",
            line,
        )
        lines.append(line)
    if not listened:
        return ""
    body = "\n".join(lines)
    if not re.search(r"^\s*http\s*{", body, re.M):
        common = servers.nginx_static_config("@PREFIX@", port, Path("/nonexistent"))
        head, _, _ = common.partition("  default_type")
        body = head + body + "\n}\n"
    return body


def wait_idle(url: str, *, prompt_s: float = 0.5, timeout_s: float = 180) -> None:
    """Wait until `url` answers within `prompt_s` (the server's queue is empty)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=60):  # noqa: S310 - loopback
                pass
        except OSError:
            pass
        if time.monotonic() - started < prompt_s:
            return
        time.sleep(0.5)


def _isso_count(tree: dict) -> int:
    return sum(1 + _isso_count(reply) for reply in tree.get("replies", []))


def _errors(run: dict) -> str:
    errors = sum(run["socket_errors"].values())
    parts = []
    if run["non_2xx_3xx"]:
        parts.append(f"{run['non_2xx_3xx']} non-2xx/3xx")
    if errors:
        parts.append(f"socket errors {run['socket_errors']}")
    return f" [{', '.join(parts)}]" if parts else ""


def print_table(result: dict) -> None:
    say("")
    say(
        f"{result['date']}  {result['machine']['cpu']}, "
        f"{result['machine']['cores']} cores — {result['note']}"
    )
    say("")
    say(f"{'figure':<28} {'median/s':>10} {'p99 ms':>9}  runs/s")
    for label, figure in result["figures"].items():
        p99 = figure.get("p99_ms")
        say(
            f"{label:<28} {figure['rate_per_s']:>10.1f} "
            f"{'' if p99 is None else f'{p99:.1f}':>9}  "
            + ", ".join(f"{r:.1f}" for r in figure["rates"])
        )
    for key, cold in result["in_process"]["cold_render"].items():
        say(
            f"{'cold render ' + key:<28} {cold['renders_per_s']:>10.2f} "
            f"{'':>9}  {cold['median_s'] * 1000:.0f} ms median"
        )
    say(f"(cold render: {result['in_process']['cold_render_method']})")
    say("")
    say(f"{'target':<76} {'measured':>9} {'required':>10}  holds")
    for t in result["targets"]:
        measured = "—" if t["measured"] is None else f"{t['measured']:.3g}"
        holds = {True: "yes", False: "NO", None: "n/a"}[t["holds"]]
        say(
            f"{t['name']:<76} {measured:>9} {t['comparison']:>3}{t['required']:>7}"
            f"  {holds}"
        )
    if result.get("reported"):
        say("\nreported, no target set:")
        for figure in result["reported"]:
            measured = (
                "—" if figure["measured"] is None else f"{figure['measured']:.3g}"
            )
            say(f"{figure['name']:<76} {measured:>9}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
