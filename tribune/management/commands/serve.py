import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

from lib.commands import ExplainedCommand

HELP = """Run Tribune under the granian application server: WSGI, or with --live
the ASGI server for live updates.

The command replaces itself with granian (exec), so the signals systemd or
Ctrl-C send reach granian directly: SIGTERM and SIGINT stop it gracefully,
finishing the requests in flight (a worker that takes longer than
--kill-timeout seconds is killed).

Production defaults: one worker process per CPU, one thread in each (more
with --threads; each thread keeps its own database connection for
DATABASE_CONN_MAX_AGE, so workers x threads must stay below PostgreSQL's
max_connections), a worker
that dies is started again, a worker holds up to WSGI_CONNECTIONS
connections (keep-alive ones included) whose requests wait for its threads,
HTTP/1.1 only (nginx speaks HTTP/1.1 to its upstreams).

Static files are not served: nginx serves STATIC_ROOT (see
deploy/nginx/tribune.conf). For a quick try without nginx, run
`tribune collectstatic` and give --serve-static: granian then serves
STATIC_ROOT under STATIC_URL itself.

--live runs the second server a production site needs: granian's ASGI
interface on tribune.asgi:application, port 8001 by default, for the live
updates (/articles/<slug>/live/) alone. There each open article page holds
one Server-Sent Events response for up to TRIBUNE_LIVE_MAX_SECONDS, waiting
on Redis (or polling the database) without a thread: one worker's event loop
carries thousands of idle streams (--streams at most; beyond that readers
wait in the listen backlog). nginx routes only /live/ there. Any other URL
would work too, its synchronous view run in a thread, but is not routed there:
pages stay on the WSGI server, with its threads, page cache and database
connections (the live server keeps none: DATABASE_CONN_MAX_AGE=0, as
Django advises under ASGI). Stopping it cuts the open streams after
--kill-timeout (5 s); browsers reconnect by themselves. Under WSGI the live
view answers at once and the browser polls instead (every
TRIBUNE_LIVE_POLL_SECONDS), so the site works without it, only with more
requests.

Any other granian setting can be given in the environment as GRANIAN_*
(for example GRANIAN_WORKERS_MAX_RSS=512); the options here take precedence.
"""

# Every view but the live one is synchronous: WSGI serves them, with threads.
# One thread per worker by default. Tribune's requests are CPU work in Python
# (the database is local or a fast hop away), and threads of one worker take
# turns on the interpreter lock: a thread that released it for a query waited
# for its siblings to give it back, and meanwhile held whatever it had locked,
# SQLite's write queue included. With two workers on two cores, 8 writers
# posted 569 comments/s with one thread per worker, 446 with two and 377 with
# four (SQLite; 318, 266 and 229 on PostgreSQL), and the cached article page
# answered 9,200 requests/s with one thread against 6,400-8,200 with four.
# More threads pay off when requests wait on something slow.
DEFAULT_THREADS = 1
TARGET = "tribune.wsgi:application"
# The live updates' streams (discussion/live.py) need an event loop. Django
# has no ASGI lifespan events, so granian is told not to send them (asginl).
LIVE_TARGET = "tribune.asgi:application"
LIVE_INTERFACE = "asginl"
LIVE_PORT = 8001
# Open streams per live worker. Each holds a socket from nginx (the worker's
# streams share one Redis connection): the open-files limit must allow as
# many and more (LimitNOFILE in deploy/systemd/tribune-live.service).
LIVE_STREAMS = 4096
# A stream does not end by itself for minutes, so stopping the live server
# waits only briefly: readers' browsers reconnect, meanwhile through nginx to
# the WSGI server (its backup upstream), which answers them with polls.
LIVE_KILL_TIMEOUT = 5
# Connections a WSGI worker holds at once (open keep-alive ones included).
WSGI_CONNECTIONS = 128


def granian_argv(
    *,
    live: bool = False,
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int | None = None,
    threads: int = DEFAULT_THREADS,
    streams: int = LIVE_STREAMS,
    backlog: int = 2048,
    kill_timeout: int = 30,
    access_log: bool = False,
    static: tuple[str, Path] | None = None,
    python: str = sys.executable,
    working_dir: Path | None = None,
) -> list[str]:
    """Return the command line that runs granian with these settings.

    Without `live`: the WSGI server on port 8000, `workers` defaulting to the
    number of CPUs this process may use, each taking `threads` requests at a
    time. With `live`: the ASGI server for live updates on port 8001, one
    worker by default, each holding up to `streams` responses (`threads` is
    not used: one event loop runs them). `static` is (URL route, directory)
    when granian should serve static files itself.
    """
    if port is None:
        port = LIVE_PORT if live else 8000
    if workers is None:
        workers = 1 if live else _cpu_count()
    if working_dir is None:
        working_dir = settings.BASE_DIR
    if live:
        # One event loop per worker (granian allows a single blocking thread
        # under ASGI); a worker takes new streams until it holds `streams`.
        concurrency = ["--backpressure", str(streams)]
    else:
        concurrency = [
            "--blocking-threads",
            str(threads),
            # granian's backpressure bounds the connections a worker holds,
            # not its requests: bounded by its threads, idle keep-alive
            # connections (nginx keeps up to 16 per nginx worker) left no
            # room for a new one, which then waited for an idle one to close.
            # The requests of the connections held wait for a thread.
            "--backpressure",
            str(max(threads, WSGI_CONNECTIONS)),
        ]
    argv = [
        python,
        "-m",
        "granian",
        "--interface",
        LIVE_INTERFACE if live else "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        *concurrency,
        "--backlog",
        str(backlog),
        "--http",
        "1",
        "--no-ws",
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        str(kill_timeout),
        "--working-dir",
        str(working_dir),
        "--access-log" if access_log else "--no-access-log",
    ]
    if static:
        route, directory = static
        argv += ["--static-path-route", route, "--static-path-mount", str(directory)]
    argv.append(LIVE_TARGET if live else TARGET)
    return argv


# Given to granian and its workers unless the environment sets them already.
# glibc gives each thread that allocates its own malloc arena (up to eight per
# core), and memory freed in one is not reused by the others: a worker whose
# threads took turns rendering large threads held 158-166 MB; with two arenas
# 145-147 MB, at the same request rates (this machine, 4 threads per worker;
# one thread, the default since, allocates in one arena anyway).
PROCESS_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _positive(value: str) -> int:
    from argparse import ArgumentTypeError

    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ArgumentTypeError("must be at least 1")
    return number


class Command(ExplainedCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument(
            "--live",
            action="store_true",
            help="Run the ASGI server for live updates (/articles/<slug>/live/) "
            f"instead: port {LIVE_PORT} and one worker by default.",
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1)."
        )
        parser.add_argument(
            "--port",
            type=_positive,
            default=None,
            help=f"Port (default 8000; {LIVE_PORT} with --live).",
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=None,
            help=f"Worker processes (default: one per CPU, here {_cpu_count()}; "
            "1 with --live).",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=None,
            help=f"Threads per worker (default {DEFAULT_THREADS}; more when "
            "requests wait on slow services; not with --live).",
        )
        parser.add_argument(
            "--streams",
            type=_positive,
            default=None,
            help=f"With --live: open streams per worker (default {LIVE_STREAMS}).",
        )
        parser.add_argument(
            "--backlog",
            type=_positive,
            default=2048,
            help="Connections waiting to be accepted (default 2048, at least 128).",
        )
        parser.add_argument(
            "--kill-timeout",
            type=_positive,
            default=None,
            help="Seconds a stopping worker may take before it is killed "
            f"(default 30; {LIVE_KILL_TIMEOUT} with --live).",
        )
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="Log every request (nginx normally does).",
        )
        parser.add_argument(
            "--serve-static",
            action="store_true",
            help="Serve STATIC_ROOT under STATIC_URL (trying without nginx; "
            "run collectstatic first; not with --live).",
        )

    def handle(self, *args, live, serve_static, threads, streams, **options):
        if live:
            for given, option in (
                (threads, "--threads"),
                (serve_static, "--serve-static"),
            ):
                if given:
                    raise CommandError(
                        f"{option} is for the WSGI server, not with --live "
                        "(one event loop holds the streams; see --streams)."
                    )
        elif streams is not None:
            raise CommandError("--streams goes with --live.")
        static = self._static() if serve_static else None
        argv = granian_argv(
            live=live,
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=threads or DEFAULT_THREADS,
            streams=streams or LIVE_STREAMS,
            backlog=max(128, options["backlog"]),
            kill_timeout=options["kill_timeout"] or (LIVE_KILL_TIMEOUT if live else 30),
            access_log=options["access_log"],
            static=static,
        )
        if live:
            # Under ASGI each request's synchronous code runs in a thread made
            # for it, so a kept connection would outlive its thread unclosed
            # (Django's advice: no persistent connections under ASGI). The
            # live view gives its connection back after each query anyway.
            os.environ["DATABASE_CONN_MAX_AGE"] = "0"
        for name, value in PROCESS_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
        # The system checks may have opened a connection; granian's workers
        # open their own.
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        # The arguments are ours, not a user's; no shell is involved.
        os.execv(argv[0], argv)  # noqa: S606

    def _static(self) -> tuple[str, Path]:
        url = settings.STATIC_URL
        if not url.startswith("/"):
            raise CommandError(
                f"--serve-static needs STATIC_URL to be a path, not {url!r}."
            )
        root = Path(settings.STATIC_ROOT)
        if not root.is_dir():
            raise CommandError(
                f"STATIC_ROOT {root} does not exist: run `tribune collectstatic`."
            )
        return url.rstrip("/") or "/", root
