from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.utils import timezone

from moderation.models import Report
from notifications import actions, delivery
from notifications.models import Notification, OutboxMessage, Preference
from notifications.tests.conftest import say

pytestmark = pytest.mark.urls("notifications.tests.urls")


def run_worker(*extra):
    call_command("worker", "--once", *extra)


def queue(key="test:1", **fields) -> OutboxMessage:
    values = {
        "to_address": "alice@example.org",
        "subject": "Hello",
        "body_text": "Body",
        "kind": "reply",
        "dedupe_key": key,
        "unsubscribe_url": "http://example.org/notifications/unsubscribe/t/",
        "send_after": timezone.now() - timedelta(seconds=1),
    }
    return OutboxMessage.objects.create(**{**values, **fields})


@pytest.fixture
def reply(article, alice, bob):
    comment = say(article, bob, "Quite right", parent=say(article, alice))
    actions.comment_published(comment)
    return comment


def test_it_sends_due_messages_once_and_marks_them_sent(reply, mailoutbox):
    run_worker()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.org"]
    assert "bob replied to your comment" in email.subject
    assert "Quite right" in email.body
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None
    assert message.claimed_until is None
    assert email.extra_headers["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert email.extra_headers["Message-ID"] == delivery.message_id(message.dedupe_key)

    run_worker()
    assert len(mailoutbox) == 1


def test_it_gives_a_resent_message_the_same_message_id():
    assert delivery.message_id("comment:1:2") == delivery.message_id("comment:1:2")
    assert delivery.message_id("comment:1:2") != delivery.message_id("comment:1:3")


def test_it_leaves_messages_that_are_not_due(db, mailoutbox):
    queue(send_after=timezone.now() + timedelta(minutes=5))
    queue("test:2", sent_at=timezone.now())
    run_worker()
    assert mailoutbox == []


def test_it_records_a_failure_and_backs_off(db, mailoutbox, monkeypatch):
    def refuse(self, messages):
        raise SMTPException("451 try again later")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    before = timezone.now()
    queue()
    run_worker()

    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "451 try again later" in message.last_error
    assert message.claimed_until is None
    assert message.send_after >= before + timedelta(minutes=1)

    # Not due again yet: a second run does not try.
    run_worker()
    message.refresh_from_db()
    assert message.attempts == 1

    # Once the delay is over and the server is back, it goes out.
    monkeypatch.undo()
    OutboxMessage.objects.update(send_after=timezone.now())
    run_worker()
    message.refresh_from_db()
    assert message.sent_at is not None
    assert len(mailoutbox) == 1


def test_it_gives_up_after_the_last_attempt(db, mailoutbox):
    queue(attempts=delivery.MAX_ATTEMPTS, last_error="550 no such user")
    run_worker()
    assert mailoutbox == []


def test_it_sends_a_claimed_message_once_its_lease_expired(db, mailoutbox):
    now = timezone.now()
    # A worker claimed these and died before sending.
    queue("test:expired", claimed_until=now - timedelta(seconds=1))
    queue("test:held", claimed_until=now + timedelta(minutes=5))
    run_worker()
    assert len(mailoutbox) == 1
    assert OutboxMessage.objects.get(dedupe_key="test:expired").sent_at is not None
    assert OutboxMessage.objects.get(dedupe_key="test:held").sent_at is None


def test_it_never_hands_one_message_to_two_claims(db):
    queue()
    now = timezone.now()
    first = delivery.claim(now, lease=60)
    assert [m.dedupe_key for m in first] == ["test:1"]
    assert delivery.claim(now) == []
    assert [m.pk for m in delivery.claim(now + timedelta(seconds=61))] == [first[0].pk]


def test_it_writes_one_reader_digest_a_day(article, alice, bob, mailoutbox):
    actions.follow(bob, article)  # follows default to daily
    actions.comment_published(say(article, alice, "First"))
    actions.comment_published(say(article, alice, "Second"))
    assert not OutboxMessage.objects.exists()

    run_worker("--digests-now")
    run_worker("--digests-now")

    digest = OutboxMessage.objects.get()
    assert (digest.kind, digest.recipient) == ("digest", bob)
    assert digest.dedupe_key == f"digest:{bob.pk}:{timezone.localdate()}"
    assert digest.sent_at is not None
    assert len(mailoutbox) == 1
    assert "2 new comments" in mailoutbox[0].subject
    assert mailoutbox[0].body.count("alice commented on") == 2
    assert "List-Unsubscribe" in mailoutbox[0].extra_headers
    assert not Notification.objects.filter(emailed_at=None).exists()

    # Something new the same day waits for tomorrow's digest.
    actions.comment_published(say(article, alice, "Third"))
    run_worker("--digests-now")
    assert OutboxMessage.objects.count() == 1
    tomorrow = timezone.now() + timedelta(days=1)
    assert delivery.enqueue_reader_digests(tomorrow) == 1


def test_it_leaves_read_and_mailed_entries_out_of_the_digest(
    article, alice, bob, mailoutbox
):
    Preference.objects.create(user=alice, email_replies="immediately")
    actions.follow(alice, article)
    actions.comment_published(say(article, bob, parent=say(article, alice)))
    actions.follow(bob, article)
    actions.comment_published(say(article, alice))
    actions.mark_read(bob)
    run_worker("--digests-now")
    # alice's reply went out right away; bob read his entry.
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["reply"]


def test_it_waits_for_the_digest_hour(article, alice, bob, settings, mailoutbox):
    settings.TRIBUNE_DIGEST_HOUR = 24  # never reached
    actions.follow(bob, article)
    actions.comment_published(say(article, alice))
    run_worker()
    assert not OutboxMessage.objects.exists()
    settings.TRIBUNE_DIGEST_HOUR = 0  # already passed
    run_worker()
    assert OutboxMessage.objects.get().kind == "digest"


def test_it_writes_one_moderator_digest_a_day(article, alice, bob, maude, mailoutbox):
    comment = say(article, alice, "Buy pills")
    Report.objects.create(comment=comment, reporter=bob, reason="spam")
    Report.objects.create(
        comment=say(article, alice), reporter=bob, reason="abuse", status="dismissed"
    )
    run_worker("--digests-now")
    run_worker("--digests-now")

    digest = OutboxMessage.objects.get()
    assert (digest.kind, digest.recipient) == ("report_digest", maude)
    assert "1 new report" in digest.subject
    assert "Spam or advertising: comment 1" in digest.body_text
    assert "/notifications/unsubscribe/" in digest.body_text
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["maude@example.org"]

    # Tomorrow, only reports filed since this digest count.
    tomorrow = timezone.now() + timedelta(days=1)
    assert delivery.enqueue_moderator_digests(tomorrow) == 0


def test_it_respects_a_moderator_who_turned_the_digest_off(article, alice, bob, maude):
    Preference.objects.create(user=maude, moderator_digest=False)
    Report.objects.create(comment=say(article, alice), reporter=bob, reason="spam")
    run_worker("--digests-now")
    assert not OutboxMessage.objects.exists()


def test_it_keeps_running_after_a_failed_pass(db, mailoutbox, monkeypatch):
    from notifications.management.commands import worker

    calls = []
    real_send_due = delivery.send_due

    def flaky_send_due(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real_send_due(**kwargs)

    class TwoPasses:
        """A stop event that ends the loop after its second wait."""

        def __init__(self):
            self.waits = 0

        def is_set(self):
            return self.waits >= 2

        def wait(self, timeout):
            self.waits += 1

    closed = []
    monkeypatch.setattr(delivery, "send_due", flaky_send_due)
    monkeypatch.setattr(worker.threading, "Event", TwoPasses)
    # After a failed pass the worker drops broken connections; here that
    # would close the test's own transaction (PostgreSQL, CONN_MAX_AGE > 0).
    monkeypatch.setattr(worker, "close_old_connections", lambda: closed.append(1))
    queue()
    call_command("worker", "--interval", "0")
    assert len(calls) == 2
    assert closed == [1]
    assert len(mailoutbox) == 1
