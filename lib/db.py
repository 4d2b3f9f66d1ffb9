"""Database helpers that are not models."""

import fcntl
import os
import threading
from contextlib import contextmanager

from django.db import connection, transaction

_sqlite_writer = threading.RLock()


@contextmanager
def write_transaction():
    """`transaction.atomic()` that, on SQLite, queues writers before the lock.

    SQLite lets one writer in at a time (Tribune opens every transaction
    IMMEDIATE). A writer that finds the write lock taken sleeps in SQLite's
    busy handler in growing steps (1, 2, 5, 10 … 100 ms) and may still be
    asleep long after the lock is free: eight writers in two processes left
    the lock idle much of the time, and the unlucky ones waited 0.7 s. So
    writers queue first: the threads of a process on a lock, the processes
    on an advisory lock of a file beside the database (`flock`), and each
    wakes the moment the one before it commits. Writes made outside this
    function still meet the busy handler, as before. Nested in an outer
    transaction it is a plain savepoint. Other databases lock rows, not the
    file: no queue.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _sqlite_writer, _process_queue(), transaction.atomic():
        yield


# Descriptor of each SQLite file's queue lock, opened once per process: a
# child process opens its own (a lock taken through a descriptor inherited
# across fork would be shared with the parent, not queued behind it).
_queue_files: dict[tuple[int, str], int] = {}


@contextmanager
def _process_queue():
    """Wait for the writers of other processes on this SQLite file."""
    fd = _queue_file(connection.settings_dict["NAME"])
    if fd is None:
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _queue_file(name) -> int | None:
    """The open queue-lock file of database file `name`; None when the
    database lives in memory (the tests') and only one process can see it."""
    name = str(name)
    key = (os.getpid(), name)
    fd = _queue_files.get(key)
    if fd is not None:
        return fd
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    try:
        fd = os.open(f"{name}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        # A read-only directory: SQLite itself cannot write there either.
        return None
    found = _queue_files.setdefault(key, fd)
    if found != fd:  # another thread was first
        os.close(fd)
    return found


# PostgreSQL's SQLSTATE classes that mean the server cannot be used right now
# rather than that the statement was wrong: connection exception (08…),
# operator intervention (57P…: shutting down, crashed, starting up) and
# insufficient resources (53…: too many connections, disk full).
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53")
# SQLite's equivalents: another process holds the file, or it cannot be read.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o")


def database_unavailable(error: BaseException | None) -> bool:
    """Return whether `error` means the database is not answering.

    True for a lost or refused connection, a server shutting down or
    restarting, or one out of connections: a moment later the same request may
    well succeed. False for anything else, a wrong query or a missing table
    among them, which is a fault to report, not to wait out.
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(error, InterfaceError):
        # "connection already closed": a connection lost by an earlier query.
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", "")
    if sqlstate is None:
        # psycopg gives no SQLSTATE when no server answered at all: refused,
        # reset, or closed in the middle of a query.
        return True
    if sqlstate:
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    message = str(error).lower()
    return any(text in message for text in _SQLITE_UNAVAILABLE)
