"""write_transaction: one writer per process on SQLite, plain atomic elsewhere."""

import threading
import time

import pytest
from django.db import connection, connections

from lib.db import write_transaction


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
    time.sleep(0.3)
    if connection.vendor == "sqlite":
        # Waiting for the first to commit (on the lock, not in SQLite).
        assert [name for name, _ in entered] == ["first"]
    else:
        # Row locks, not a file lock: both are inside at once.
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
