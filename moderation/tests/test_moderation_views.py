import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussion import actions as discussion
from discussion.models import Comment
from moderation import actions
from moderation.models import AuditEntry, Report


def queue_url(name="reported"):
    return reverse("moderation-queue-named", args=[name])


@pytest.fixture
def reported(comment, bob):
    actions.report_comment(reporter=bob, comment=comment, reason="abuse", detail="Rude")
    return comment


def test_it_shows_reported_comments_in_context(client, maude, reported, no_rate_limit):
    client.force_login(maude)
    page = client.get(queue_url()).content.decode()
    assert "A sharp remark" in page
    assert "Abuse or harassment: “Rude” — bob" in page
    assert reported.article.title in page
    assert f'href="/moderation/readers/{reported.author.pk}/"' in page
    assert "Reported (1)" in page


def test_it_shows_a_reply_with_its_parent(client, maude, comment, bob, no_rate_limit):
    reply = discussion.post_comment(
        article=comment.article, author=bob, body="Rude reply", parent=comment
    )
    actions.report_comment(reporter=comment.author, comment=reply, reason="abuse")
    client.force_login(maude)
    page = client.get(queue_url()).content.decode()
    assert "In reply to 1 by alice" in page
    assert "A sharp remark" in page


def test_it_filters_by_reader_and_article(
    client, maude, article, alice, bob, no_rate_limit
):
    discussion.post_comment(article=article, author=alice, body="by alice")
    discussion.post_comment(article=article, author=bob, body="by bob")
    client.force_login(maude)
    page = client.get(queue_url("approved") + "?reader=BOB").content.decode()
    assert "by bob" in page
    assert "by alice" not in page
    page = client.get(queue_url("approved") + f"?article={article.pk}").content.decode()
    assert "by alice" in page


def test_the_queue_runs_the_same_queries_for_5_and_30_items(
    client, maude, article, alice, bob, mallory, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 1000

    def fill(count, start):
        for n in range(start, start + count):
            c = discussion.post_comment(article=article, author=alice, body=f"c{n}")
            reporter = bob if n % 2 else mallory  # each within the hourly limit
            actions.report_comment(reporter=reporter, comment=c, reason="spam")

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(queue_url()).status_code == 200
        return len(queries)

    client.force_login(maude)
    fill(5, 0)
    client.get(queue_url())
    few = measure()
    fill(25, 5)
    assert measure() == few


@pytest.mark.parametrize(
    ("name", "status", "newest_first"),
    [
        ("approved", Comment.Status.PUBLISHED, True),
        ("removed", Comment.Status.REMOVED, True),
        ("pending", Comment.Status.PENDING, False),
    ],
)
def test_its_pages_list_comments_of_one_minute_once_each(
    client, maude, article, alice, no_rate_limit, name, status, newest_first
):
    # Imported threads give comments to the minute: many share created_at.
    # The pages must still split one fixed order, or the database may put a
    # comment on two pages and another on none.
    posted = [
        discussion.post_comment(article=article, author=alice, body=f"c{n}").pk
        for n in range(120)
    ]
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    Comment.objects.filter(pk__in=posted).update(created_at=minute, status=status)
    client.force_login(maude)
    listed = []
    for page in (1, 2, 3):
        html = client.get(queue_url(name) + f"?page={page}").content.decode()
        listed += [int(pk) for pk in re.findall(r'id="item-(\d+)"', html)]
    assert listed == sorted(posted, reverse=newest_first)


def test_it_approves_removes_and_restores(client, maude, reported):
    client.force_login(maude)
    response = client.post(
        reverse("moderation-decide", args=[reported.pk, "remove"]),
        {"reason_choice": "", "reason_text": "Personal attack", "next": queue_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == queue_url()
    reported.refresh_from_db()
    assert reported.status == Comment.Status.REMOVED
    assert AuditEntry.objects.get().reason == "Personal attack"
    client.post(reverse("moderation-decide", args=[reported.pk, "restore"]))
    reported.refresh_from_db()
    assert reported.status == Comment.Status.PUBLISHED


def test_it_explains_a_removal_without_reason(client, maude, reported):
    client.force_login(maude)
    response = client.post(
        reverse("moderation-decide", args=[reported.pk, "remove"]),
        {"reason_choice": "", "reason_text": ""},
        follow=True,
    )
    assert "Give a reason" in response.content.decode()
    reported.refresh_from_db()
    assert reported.status == Comment.Status.PUBLISHED


def test_bulk_removes_selected(client, maude, article, alice, no_rate_limit):
    ids = [
        discussion.post_comment(article=article, author=alice, body=f"spam {n}").pk
        for n in range(3)
    ]
    client.force_login(maude)
    response = client.post(
        reverse("moderation-bulk"),
        {
            "action": "remove",
            "comment": ids[:2],
            "reason_choice": "Spam or advertising",
        },
        follow=True,
    )
    assert "2 comments done." in response.content.decode()
    assert Comment.objects.filter(status=Comment.Status.REMOVED).count() == 2


def test_reader_page_and_actions(client, maude, alice, comment):
    client.force_login(maude)
    page = client.get(reverse("moderation-reader", args=[alice.pk])).content.decode()
    assert "In good standing" in page
    assert "A sharp remark" in page
    url = reverse("moderation-reader-action", args=[alice.pk, "suspend"])
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(url, {"text": "Cool off", "until": until})
    alice.refresh_from_db()
    assert alice.suspended_until > timezone.now()
    page = client.get(reverse("moderation-reader", args=[alice.pk])).content.decode()
    assert "Suspended" in page
    assert "Cool off" in page
    client.post(
        reverse("moderation-reader-action", args=[alice.pk, "note"]), {"text": "Watch"}
    )
    assert AuditEntry.objects.filter(action="note", reason="Watch").exists()


def test_a_suspension_needs_a_date(client, maude, alice):
    client.force_login(maude)
    response = client.post(
        reverse("moderation-reader-action", args=[alice.pk, "suspend"]),
        {"text": "Cool off"},
        follow=True,
    )
    assert "Choose when the suspension ends." in response.content.decode()
    alice.refresh_from_db()
    assert alice.suspended_until is None


def test_the_audit_log_shows_decisions(client, maude, reported):
    actions.remove_comment(actor=maude, comment=reported, reason="Abuse")
    client.force_login(maude)
    page = client.get(reverse("moderation-log")).content.decode()
    assert "Removed comment" in page
    assert "maude" in page
    assert "&#x27;status&#x27;: &#x27;published&#x27;" in page


@pytest.mark.parametrize(
    "url_name,args",
    [
        ("moderation-queue", []),
        ("moderation-log", []),
        ("moderation-site", []),
    ],
)
def test_readers_and_editors_cannot_see_moderation_pages(
    client, alice, eddie, url_name, args
):
    url = reverse(url_name, args=args)
    assert client.get(url).status_code == 302  # anonymous: to sign in
    for person in (alice, eddie):
        client.force_login(person)
        assert client.get(url).status_code == 403


def test_decisions_are_post_only(client, maude, reported):
    client.force_login(maude)
    url = reverse("moderation-decide", args=[reported.pk, "remove"])
    assert client.get(url).status_code == 405
    assert client.get(reverse("moderation-bulk")).status_code == 405


def test_decisions_need_a_csrf_token(maude, reported):
    client = Client(enforce_csrf_checks=True)
    client.force_login(maude)
    url = reverse("moderation-decide", args=[reported.pk, "remove"])
    assert client.post(url, {"reason_text": "x"}).status_code == 403
    reported.refresh_from_db()
    assert reported.status == Comment.Status.PUBLISHED


def test_unknown_decision_is_404(client, maude, reported):
    client.force_login(maude)
    url = reverse("moderation-decide", args=[reported.pk, "obliterate"])
    assert client.post(url).status_code == 404


def test_readers_report_through_the_page(client, bob, comment):
    client.force_login(bob)
    url = reverse("moderation-report", args=[comment.pk])
    assert "What is wrong with this comment?" in client.get(url).content.decode()
    response = client.post(url, {"reason": "off_topic"})
    assert response.status_code == 302
    assert Report.objects.get().reason == "off_topic"
    again = client.post(url, {"reason": "spam", "detail": "kept text"})
    assert again.status_code == 400
    assert "already reported" in again.content.decode()
    assert "kept text" in again.content.decode()


def test_reporting_needs_sign_in_and_a_reason(client, bob, comment):
    url = reverse("moderation-report", args=[comment.pk])
    assert client.post(url, {"reason": "spam"}).status_code == 302
    client.force_login(bob)
    response = client.post(url, {"detail": "no reason"})
    assert response.status_code == 400
    assert "Choose a reason" in response.content.decode()
    assert not Report.objects.exists()


def test_banned_reader_sees_why_when_posting(client, mallory, maude, article):
    actions.ban_reader(actor=maude, reader=mallory, reason="Repeated insults")
    client.force_login(mallory)
    response = client.post(
        reverse("discussion-post", args=[article.slug]), {"body": "Let me speak"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Your account is banned from commenting. Reason: Repeated insults" in content
    assert "Let me speak" in content


def test_read_only_site_says_so(client, maude, article, alice):
    actions.set_site_mode(actor=maude, read_only=True, premoderate_all=False)
    client.force_login(alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "The site is read-only for now" in page


def test_site_mode_page_saves(client, maude):
    client.force_login(maude)
    client.post(reverse("moderation-site"), {"premoderate_all": "on"})
    from moderation.models import SiteMode

    assert SiteMode.current().premoderate_all
    assert not SiteMode.current().read_only
