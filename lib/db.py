"""Database helpers that are not models."""

import threading
from contextlib import contextmanager

from django.db import connection, transaction

_sqlite_writer = threading.RLock()


@contextmanager
def write_transaction():
    """`transaction.atomic()` that, on SQLite, queues this process's threads.

    SQLite lets one writer in at a time (Tribune opens every transaction
    IMMEDIATE). A thread that finds the write lock taken sleeps in SQLite's
    busy handler in growing steps (1, 2, 5, 10 … 100 ms) and may still be
    asleep when the lock is free, so eight writers in two processes left the
    lock idle part of the time. Threads of one process queue here instead and
    wake the moment the one before them commits; only the other processes'
    writers still meet the busy handler. Nested in an outer transaction it is
    a plain savepoint. Other databases lock rows, not the file: no queue.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _sqlite_writer, transaction.atomic():
        yield


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
