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
