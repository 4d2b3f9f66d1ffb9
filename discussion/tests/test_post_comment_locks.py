"""Posting and voting at once take their row locks in one order.

A vote locks the comment (its score), then the comment's author (their
reputation), then the article (the thread's version). A reply used to lock
its author first and the parent comment second, so a reader replying under
their own comment while someone voted on it could each wait for the other:
PostgreSQL broke the cycle by aborting one with a deadlock error (a 500 for
the reader; `python -m bench.load` found ten in ten seconds). Only
PostgreSQL locks rows; SQLite lets one writer in at a time.
"""

import threading
import time

import pytest
from django.db import connection

from discussion import actions
from discussion.models import Comment

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's"
)

SECONDS = 3


def _for(seconds, action, failures):
    """Run `action(n)` over and over in this thread for `seconds`."""
    try:
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            try:
                action(n)
            except Exception as error:  # every failure is counted
                failures.append(repr(error))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_it_replies_under_a_comment_while_it_is_voted_on_without_deadlock(
    article, alice, bob, no_rate_limit, settings
):
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    mine = actions.post_comment(article=article, author=alice, body="My view.")
    failures: list[str] = []

    def reply(n):
        actions.post_comment(
            article=article, author=alice, body=f"And more {n}.", parent=mine
        )

    def vote(n):
        actions.cast_vote(comment=mine, user=bob, value=1 if n % 2 else -1)

    threads = [
        threading.Thread(target=_for, args=(SECONDS, action, failures))
        for action in (reply, reply, vote)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    replies = Comment.objects.filter(parent=mine).count()
    mine.refresh_from_db()
    assert replies >= 2 and mine.reply_counter == replies
