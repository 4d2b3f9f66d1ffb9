"""The worker delivers to a real SMTP server on loopback (aiosmtpd)."""

import email
from email import policy

import pytest
from django.core.management import call_command

from notifications import actions
from notifications.models import OutboxMessage
from notifications.tests.conftest import say
from notifications.tests.smtp import free_port, loopback_smtp

pytestmark = pytest.mark.urls("notifications.tests.urls")


@pytest.fixture
def smtp_server(settings):
    with loopback_smtp(settings) as handler:
        yield handler


def test_it_delivers_to_an_smtp_server(smtp_server, article, alice, bob):
    reply = say(article, bob, "Straight to your inbox", parent=say(article, alice))
    actions.comment_published(reply)

    call_command("worker", "--once")

    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "noreply@tribune.test"
    assert envelope.rcpt_tos == ["alice@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    # Django folds the encoded subject onto a continuation line.
    assert message["Subject"].strip() == (
        "bob replied to your comment on "
        "“Proposal for joint operations is not discussed.”"
    )
    assert message["To"] == "alice@example.org"
    stored = OutboxMessage.objects.get()
    assert stored.sent_at is not None
    link = stored.unsubscribe_url
    assert link.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")
    # Long headers are folded; unfolding leaves the URL whole.
    assert message["List-Unsubscribe"].strip() == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith(".tribune@127.0.0.1>")
    body = message.get_body(("plain",)).get_content()
    assert "Straight to your inbox" in body
    assert link in body

    # Sent once: a second pass has nothing to do.
    call_command("worker", "--once")
    assert len(smtp_server.envelopes) == 1


def test_it_keeps_the_message_when_the_server_is_down(settings, article, alice, bob):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens there
    settings.EMAIL_USE_TLS = False
    actions.comment_published(say(article, bob, parent=say(article, alice)))

    call_command("worker", "--once")

    stored = OutboxMessage.objects.get()
    assert stored.sent_at is None
    assert stored.attempts == 1
    assert stored.last_error
    assert stored.send_after > stored.created_at
