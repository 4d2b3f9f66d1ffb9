"""write_transaction: writers queue on SQLite (threads on a lock, processes on
a lock file), plain atomic elsewhere."""

import fcntl
import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections

from lib.db import _queue_file, write_transaction


def _enter(entered: list, release: threading.Event, name: str):
    try:
        with write_transaction():
            entered.append((name, time.monotonic()))
            release.wait(5)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_threads_of_one_process_take_turns_on_sqlite():
    first_release, second_release = threading.Event(), threading.Event()
    entered = []
    first = threading.Thread(target=_enter, args=(entered, first_release, "first"))
    first.start()
    while not entered:
        time.sleep(0.01)
    second = threading.Thread(target=_enter, args=(entered, second_release, "second"))
    second.start()
    if connection.vendor == "sqlite":
        # Waiting for the first to commit (on the lock, not in SQLite).
        time.sleep(0.3)
        assert [name for name, _ in entered] == ["first"]
    else:
        # Row locks, not a file lock: both are inside at once (once the
        # second has its own connection).
        deadline = time.monotonic() + 10
        while len(entered) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [name for name, _ in entered] == ["first", "second"]
    first_release.set()
    second_release.set()
    first.join(5)
    second.join(5)
    assert [name for name, _ in entered] == ["first", "second"]


@pytest.mark.django_db(transaction=True)
def test_it_nests_as_a_savepoint(alice):
    from accounts.models import User

    with write_transaction():
        User.objects.filter(pk=alice.pk).update(reputation=5)
        try:
            with write_transaction():
                User.objects.filter(pk=alice.pk).update(reputation=9)
                raise RuntimeError("inner fails")
        except RuntimeError:
            pass
    assert User.objects.get(pk=alice.pk).reputation == 5


_HOLD_A_WRITE = """
import sys
import django
django.setup()
from lib.db import write_transaction
with write_transaction():
    print("writing", flush=True)
    sys.stdin.read()
"""


def test_processes_queue_for_sqlite_on_a_lock_file(tmp_path):
    """Writers of other processes wait on an advisory lock beside the database
    file, which wakes them at once, rather than in SQLite's busy handler."""
    database = tmp_path / "site.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tribune.settings",
        "SQLITE_PATH": str(database),
    }
    env.pop("DATABASE_URL", None)
    writer = subprocess.Popen(  # noqa: S603 - our interpreter and script
        [sys.executable, "-c", _HOLD_A_WRITE],
        env=env,
        cwd=settings.BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        lock = os.open(f"{database}-writers.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            writer.stdin.close()
            assert writer.wait(10) == 0
            # Committed: free for the next writer.
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(lock)
    finally:
        writer.kill()
        writer.wait()


def test_a_database_in_memory_has_no_lock_file():
    assert _queue_file(":memory:") is None
    assert _queue_file("file:memorydb_default?mode=memory&cache=shared") is None


def test_each_process_opens_its_own_lock_file(tmp_path):
    name = str(tmp_path / "site.sqlite3")
    first = _queue_file(name)
    assert _queue_file(name) == first
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit status
        os._exit(0 if _queue_file(name) not in (None, first) else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
