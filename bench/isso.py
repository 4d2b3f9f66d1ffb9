"""Isso, the Python comment server, as the bench's peer.

Installed from PyPI with pip into bench/.work/isso-venv (once; later runs
reuse it), configured with its defaults except the anti-spam guard (off, as
Tribune's rate limits are for the posting test), loaded through its own
WordPress import, and run under gunicorn with 2 workers as its documentation
shows (`ISSO_SETTINGS=… gunicorn --preload isso.run`).
"""

# ruff: noqa: S603, S607 - runs fixed commands (venv, pip, isso) built here

from __future__ import annotations

import re
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

VENV = Path(__file__).resolve().parent / ".work" / "isso-venv"


def ensure_installed(venv: Path = VENV) -> str:
    """Install isso and gunicorn into `venv` unless present; return Isso's version."""
    python = venv / "bin" / "python"
    if not (venv / "bin" / "isso").exists() or not (venv / "bin" / "gunicorn").exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "isso", "gunicorn"],
            check=True,
        )
    done = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m;"
            "print(m.version('isso'), m.version('gunicorn'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    isso, gunicorn = done.stdout.split()
    return f"isso {isso}, gunicorn {gunicorn}"


def write_config(directory: Path, port: int) -> Path:
    config = directory / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {directory / 'isso.db'}\n"
        f"host = http://127.0.0.1:{port}/\n"
        "notify = stdout\n"
        "gravatar = false\n"
        "[moderation]\n"
        "enabled = false\n"
        "[server]\n"
        f"listen = http://127.0.0.1:{port}/\n"
        "[guard]\n"
        "enabled = false\n"
    )
    return config


def import_threads(config: Path, wxr: Path, venv: Path = VENV) -> str:
    """Load the exported threads with `isso import` (WordPress format).

    Returns what Isso stored ("2 threads, 2015 comments imported").
    """
    done = subprocess.run(
        [
            str(venv / "bin" / "isso"),
            "-c",
            str(config),
            "import",
            "-t",
            "wordpress",
            str(wxr),
        ],
        capture_output=True,
        text=True,
        input="y\n",
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"isso import failed:\n{done.stderr or done.stdout}")
    # Isso prints its own summary only to a terminal; count what it stored.
    dbpath = re.search(r"^dbpath = (.+)$", config.read_text(), re.M)[1]
    with closing(sqlite3.connect(dbpath)) as db:
        threads = db.execute("SELECT COUNT(*) FROM threads").fetchone()[0]
        comments = db.execute("SELECT COUNT(*) FROM comments").fetchone()[0]
    return f"{threads} threads, {comments} comments imported"


def gunicorn_command(port: int, venv: Path = VENV) -> list[str]:
    return [
        str(venv / "bin" / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--preload",
        "isso.run",
    ]
