import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

HELP = """Run Tribune under the granian application server (WSGI).

The command replaces itself with granian (exec), so the signals systemd or
Ctrl-C send reach granian directly: SIGTERM and SIGINT stop it gracefully,
finishing the requests in flight (a worker that takes longer than
--kill-timeout seconds is killed).

Production defaults: one worker process per CPU, --threads threads in each
(each thread keeps its own database connection for DATABASE_CONN_MAX_AGE,
so workers x threads must stay below PostgreSQL's max_connections), a worker
that dies is started again, a worker takes no more requests than it has
threads (the rest wait in the listen backlog for a free worker), HTTP/1.1
only (nginx speaks HTTP/1.1 to its upstreams).

Static files are not served: nginx serves STATIC_ROOT (see
deploy/nginx/tribune.conf). For a quick try without nginx, run
`tribune collectstatic` and give --serve-static: granian then serves
STATIC_ROOT under STATIC_URL itself.

Any other granian setting can be given in the environment as GRANIAN_*
(for example GRANIAN_WORKERS_MAX_RSS=512); the options here take precedence.
"""

# The WSGI entry point; ASGI is not needed while every view is synchronous.
TARGET = "tribune.wsgi:application"


def granian_argv(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    threads: int = 4,
    backlog: int = 2048,
    kill_timeout: int = 30,
    access_log: bool = False,
    static: tuple[str, Path] | None = None,
    python: str = sys.executable,
    working_dir: Path | None = None,
) -> list[str]:
    """Return the command line that runs granian with these settings.

    `workers` defaults to the number of CPUs this process may use; `static`
    is (URL route, directory) when granian should serve static files itself.
    """
    if workers is None:
        workers = _cpu_count()
    if working_dir is None:
        working_dir = settings.BASE_DIR
    argv = [
        python,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        # A busy worker stops accepting; an idle one takes the connection.
        "--backpressure",
        str(threads),
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
    argv.append(TARGET)
    return argv


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


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1)."
        )
        parser.add_argument(
            "--port", type=_positive, default=8000, help="Port (default 8000)."
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=None,
            help=f"Worker processes (default: one per CPU, here {_cpu_count()}).",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=4,
            help="Threads per worker (default 4).",
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
            default=30,
            help="Seconds a stopping worker may take before it is killed (default 30).",
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
            "run collectstatic first).",
        )

    def handle(self, *args, serve_static, **options):
        static = self._static() if serve_static else None
        argv = granian_argv(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            backlog=max(128, options["backlog"]),
            kill_timeout=options["kill_timeout"],
            access_log=options["access_log"],
            static=static,
        )
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
