"""Fixed-window rate limits in the "ratelimit" cache (a database table here)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lib import ratelimit
from lib.ratelimit import Limit, describe_wait, hit, reset, retry_after

# A moment that starts both a minute and an hour window.
T0 = 1_700_000_000 - 1_700_000_000 % 3600

COMMENTS = Limit("comment", 3, 60)


@pytest.fixture(autouse=True)
def _db(db):
    """The ratelimit cache is a database table without Redis."""


def test_it_counts_hits_in_one_window():
    counts = [hit(COMMENTS, "alice", now=T0 + s) for s in (0, 10, 59)]

    assert counts == [1, 2, 3]


def test_it_lets_a_reader_act_until_the_limit_is_used():
    hit(COMMENTS, "alice", now=T0)
    hit(COMMENTS, "alice", now=T0 + 1)

    assert retry_after(COMMENTS, "alice", now=T0 + 2) == 0


def test_it_says_how_long_to_wait_once_the_limit_is_used():
    for second in range(3):
        hit(COMMENTS, "alice", now=T0 + second)

    assert retry_after(COMMENTS, "alice", now=T0 + 20) == 40
    assert retry_after(COMMENTS, "alice", now=T0 + 59.5) == 1


def test_it_starts_afresh_when_the_window_turns():
    for second in range(3):
        hit(COMMENTS, "alice", now=T0 + 57 + second)

    assert retry_after(COMMENTS, "alice", now=T0 + 59.999) == 1
    assert retry_after(COMMENTS, "alice", now=T0 + 60) == 0
    assert hit(COMMENTS, "alice", now=T0 + 60) == 1


def test_it_does_not_carry_hits_from_the_end_of_one_window_to_the_next():
    hit(COMMENTS, "alice", now=T0 + 59)
    hit(COMMENTS, "alice", now=T0 + 59.9)

    # Fixed windows: two at the end of one and three at the start of the next.
    assert [hit(COMMENTS, "alice", now=T0 + 60 + s) for s in range(3)] == [1, 2, 3]


def test_it_keeps_readers_scopes_and_keys_apart():
    for second in range(3):
        hit(COMMENTS, "alice", now=T0 + second)
    signups = Limit("signup", 3, 60)

    assert retry_after(COMMENTS, "alice", now=T0 + 5) > 0
    assert retry_after(COMMENTS, "bob", now=T0 + 5) == 0
    assert retry_after(signups, "alice", now=T0 + 5) == 0


def test_it_accepts_keys_with_spaces_and_cyrillic():
    key = "Волжский казак 10.0.0.1"
    for second in range(3):
        hit(COMMENTS, key, now=T0 + second)

    assert retry_after(COMMENTS, key, now=T0 + 3) == 57
    assert retry_after(COMMENTS, "Волжский казак", now=T0 + 3) == 0


def test_it_resets_a_key():
    for second in range(3):
        hit(COMMENTS, "alice", now=T0 + second)

    reset(COMMENTS, "alice", now=T0 + 4)

    assert retry_after(COMMENTS, "alice", now=T0 + 5) == 0
    assert hit(COMMENTS, "alice", now=T0 + 5) == 1


def test_it_uses_the_clock_when_no_time_is_given():
    for _ in range(3):
        hit(COMMENTS, "alice")

    assert 1 <= retry_after(COMMENTS, "alice") <= 60


def test_it_counts_again_when_the_entry_vanished_between_add_and_incr(monkeypatch):
    cache = ratelimit._cache()
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)

    assert hit(COMMENTS, "alice", now=T0) == 1
    assert retry_after(COMMENTS, "alice", now=T0) == 0


def test_it_remembers_an_hour_long_count_for_the_whole_hour(monkeypatch):
    signups = Limit("signup", 2, 3600)
    hit(signups, "10.0.0.1", now=T0)
    hit(signups, "10.0.0.1", now=T0 + 1)
    # Ten minutes later by the database cache's clock, still in the same hour.
    later = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr("django.core.cache.backends.db.tz_now", lambda: later)

    assert retry_after(signups, "10.0.0.1", now=T0 + 600) == 3000


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "in 1 second"),
        (40, "in 40 seconds"),
        (59, "in 59 seconds"),
        (60, "in 1 minute"),
        (61, "in 2 minutes"),
        (180, "in 3 minutes"),
        (3600, "in 60 minutes"),
    ],
)
def test_it_describes_the_wait_for_a_reader(seconds, words):
    assert describe_wait(seconds) == words
