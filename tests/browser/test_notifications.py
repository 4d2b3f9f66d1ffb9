"""A reply reaches its reader by email and in the site, through the real pages
and a real SMTP server on loopback."""

import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from notifications.tests.smtp import loopback_smtp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def smtp_server(settings, live_server):
    """Mail goes to aiosmtpd on loopback; links in it point at the live server."""
    with loopback_smtp(settings) as handler:
        settings.SITE_URL = live_server.url
        yield handler


def own(page, number: str):
    return page.locator("li#c" + number.replace(".", "\\.") + " > article")


def test_a_reply_notification_arrives_by_email(
    new_page,
    live_server,
    smtp_server,
    reference_article,
    alice,
    bob,
    sign_in,
    no_rate_limit,
):
    from django.core.management import call_command

    from discussion.actions import post_comment
    from notifications.models import Preference

    article = reference_article
    url = article.get_absolute_url()
    mine = post_comment(article=article, author=alice, body="Alice's point.")
    assert mine.number == "15"

    # bob replies to 15 with the inline form.
    replier = new_page()
    page = replier.page
    sign_in(page, "bob", next_url=url)
    own(page, "15").get_by_role("link", name="Reply", exact=True).click()
    inline = own(page, "15").locator("form.reply-form")
    inline.get_by_role("textbox").fill("Bob disagrees with Alice.")
    inline.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15\\.1$"))
    replier.assert_clean()

    # Nothing is sent during the request; the worker sends it.
    assert smtp_server.envelopes == []
    call_command("worker", "--once")
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["alice@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == "alice@example.org"
    assert message["Subject"].strip() == (
        "bob replied to your comment on "
        "“Proposal for joint operations is not discussed.”"
    )
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Hello alice," in body
    assert "bob replied (comment 15.1) to your comment 15 on" in body
    assert "Bob disagrees with Alice." in body
    comment_link = f"{live_server.url}{url}comments/15.1/"
    assert f"Read it and reply: {comment_link}\n" in body
    [unsubscribe_link] = re.findall(r"Unsubscribe from these emails: (\S+)", body)
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe_link}>"

    # Both links work in a browser without a session.
    visitor = new_page()
    page = visitor.page
    page.goto(comment_link)
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15\\.1$"))
    expect(own(page, "15.1").locator(".comment-body")).to_have_text(
        "Bob disagrees with Alice."
    )
    page.goto(unsubscribe_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(page.locator("main")).to_contain_text(
        "Stop sending emails about replies to your comments to the account alice?"
    )
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    expect(page.locator("main")).to_contain_text(
        "We will no longer send emails about replies to your comments."
    )
    visitor.assert_clean()
    assert Preference.objects.get(user=alice).email_replies == "off"

    # alice sees the reply in the site.
    reader = new_page()
    page = reader.page
    sign_in(page, "alice", next_url=url)
    notifications = page.locator(".site-nav").get_by_role(
        "link", name=re.compile(r"^Notifications")
    )
    expect(notifications.locator(".badge-count")).to_have_text("1 unread")
    notifications.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    entries = page.locator("ol.notifications > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_have_class(re.compile(r"\bunread\b"))
    expect(entries.first.get_by_role("link")).to_have_text(
        "bob replied to your comment on "
        "“Proposal for joint operations is not discussed.” (#15.1)"
    )
    entries.first.get_by_role("link", name=re.compile("^bob replied")).click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15\\.1$"))
    page.goto("/notifications/")
    page.get_by_role("button", name="Mark all read").click()
    expect(entries.first).not_to_have_class(re.compile(r"\bunread\b"))
    expect(notifications.locator(".badge-count")).to_have_count(0)
    reader.assert_clean()

    # The unsubscribe held: another reply sends no email.
    post_comment(article=article, author=bob, body="Still disagreeing.", parent=mine)
    call_command("worker", "--once")
    assert len(smtp_server.envelopes) == 1
