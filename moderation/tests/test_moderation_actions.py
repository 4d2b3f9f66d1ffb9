from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from discussion import actions as discussion
from discussion.actions import CommentRefused
from discussion.models import Comment
from moderation import actions
from moderation.actions import ModerationRefused
from moderation.models import AuditEntry, Report


def test_it_removes_and_restores_without_losing_the_text(comment, maude, alice):
    actions.remove_comment(actor=maude, comment=comment, reason="Abuse or insults")
    comment.refresh_from_db()
    alice.refresh_from_db()
    comment.article.refresh_from_db()
    assert comment.status == Comment.Status.REMOVED
    assert comment.body == "A sharp remark"
    assert comment.article.comment_count == 0
    assert alice.reputation == -5

    actions.restore_comment(actor=maude, comment=comment)
    comment.refresh_from_db()
    alice.refresh_from_db()
    comment.article.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED
    assert comment.article.comment_count == 1
    assert alice.reputation == 0
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "reason"))
    assert entries == [("remove", "Abuse or insults"), ("restore", "")]
    removal = AuditEntry.objects.get(action="remove")
    assert removal.actor == maude
    assert removal.before["status"] == "published"
    assert removal.after["status"] == "removed"


def test_it_needs_a_reason_to_remove(comment, maude):
    with pytest.raises(ModerationRefused, match="Give a reason"):
        actions.remove_comment(actor=maude, comment=comment, reason="  ")


def test_it_approves_a_pending_comment(article, alice, maude, settings, no_rate_limit):
    settings.TRIBUNE_PREMODERATE_NEW_READERS = 1
    comment = discussion.post_comment(article=article, author=alice, body="First words")
    assert comment.status == Comment.Status.PENDING
    assert "new reader" in comment.hold_reason
    article.refresh_from_db()
    assert article.comment_count == 0

    actions.approve_comment(actor=maude, comment=comment)
    comment.refresh_from_db()
    article.refresh_from_db()
    alice.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED
    assert article.comment_count == 1
    assert alice.reputation == 1
    # One approved comment is enough: the next one is published at once.
    second = discussion.post_comment(article=article, author=alice, body="Second words")
    assert second.status == Comment.Status.PUBLISHED


def test_it_resolves_reports_with_the_decision(comment, bob, mallory, maude):
    actions.report_comment(reporter=bob, comment=comment, reason="abuse")
    actions.report_comment(reporter=mallory, comment=comment, reason="spam")
    actions.approve_comment(actor=maude, comment=comment)
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    actions.report_comment(reporter=bob, comment=comment, reason="abuse")
    actions.remove_comment(actor=maude, comment=comment, reason="Abuse")
    assert Report.objects.filter(status="upheld").count() == 1


def test_only_moderators_decide(comment, alice, bob, eddie):
    for person in (alice, bob, eddie):
        with pytest.raises(PermissionDenied):
            actions.remove_comment(actor=person, comment=comment, reason="x")
        with pytest.raises(PermissionDenied):
            actions.ban_reader(actor=person, reader=alice, reason="x")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED


def test_one_open_report_per_reader_and_comment(comment, bob):
    actions.report_comment(reporter=bob, comment=comment, reason="abuse")
    with pytest.raises(ModerationRefused, match="already reported"):
        actions.report_comment(reporter=bob, comment=comment, reason="spam")
    assert Report.objects.count() == 1


def test_report_refusals(comment, alice, bob):
    with pytest.raises(ModerationRefused, match="your own comment"):
        actions.report_comment(reporter=alice, comment=comment, reason="abuse")
    with pytest.raises(ModerationRefused, match="Choose a reason"):
        actions.report_comment(reporter=bob, comment=comment, reason="because")
    with pytest.raises(ModerationRefused, match="what is wrong"):
        actions.report_comment(reporter=bob, comment=comment, reason="other")


def test_a_banned_reader_cannot_post_or_vote(comment, article, mallory, maude):
    actions.ban_reader(actor=maude, reader=mallory, reason="Repeated abuse")
    mallory.refresh_from_db()
    with pytest.raises(
        CommentRefused, match=r"banned from commenting\. Reason: Repeated"
    ):
        discussion.post_comment(article=article, author=mallory, body="Let me in")
    with pytest.raises(CommentRefused, match="banned"):
        discussion.cast_vote(comment=comment, user=mallory, value=-1)
    actions.lift_restrictions(actor=maude, reader=mallory)
    mallory.refresh_from_db()
    assert discussion.post_comment(article=article, author=mallory, body="Back").pk


def test_a_suspension_ends_by_itself(article, mallory, maude):
    until = timezone.now() + timedelta(days=1)
    actions.suspend_reader(actor=maude, reader=mallory, until=until, reason="Cool off")
    mallory.refresh_from_db()
    with pytest.raises(CommentRefused, match="suspended until"):
        discussion.post_comment(article=article, author=mallory, body="Now?")
    mallory.suspended_until = timezone.now() - timedelta(seconds=1)
    mallory.save()
    assert discussion.post_comment(article=article, author=mallory, body="Now.").pk


def test_moderators_cannot_restrict_each_other_or_themselves(maude, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user("otto", password="x" * 20)
    other.groups.add(Group.objects.get(name="Moderators"))
    with pytest.raises(ModerationRefused, match="administrator"):
        actions.ban_reader(actor=maude, reader=other, reason="coup")
    with pytest.raises(ModerationRefused, match="yourself"):
        actions.ban_reader(actor=maude, reader=maude, reason="oops")


def test_a_premoderated_reader_waits_for_review(article, alice, maude):
    actions.set_premoderation(actor=maude, reader=alice, on=True, reason="Heated")
    alice.refresh_from_db()
    comment = discussion.post_comment(article=article, author=alice, body="Calm now")
    assert comment.status == Comment.Status.PENDING
    assert "reader's comments are reviewed" in comment.hold_reason


def test_links_from_untrusted_readers_wait(article, alice, settings, no_rate_limit):
    settings.TRIBUNE_LINKS_MIN_TRUST = 1
    settings.TRIBUNE_TRUST_MIN_APPROVED = 3
    held = discussion.post_comment(
        article=article, author=alice, body="Buy now https://spam.example/"
    )
    assert held.status == Comment.Status.PENDING
    assert "links" in held.hold_reason
    plain = discussion.post_comment(article=article, author=alice, body="No links here")
    assert plain.status == Comment.Status.PUBLISHED


def test_site_modes(article, alice, maude, comment, bob, no_rate_limit):
    actions.set_site_mode(
        actor=maude, read_only=True, premoderate_all=False, message="Back at 9."
    )
    with pytest.raises(CommentRefused, match=r"Back at 9\."):
        discussion.post_comment(article=article, author=bob, body="Hello?")
    with pytest.raises(CommentRefused, match=r"Back at 9\."):
        discussion.cast_vote(comment=comment, user=bob, value=1)
    actions.set_site_mode(actor=maude, read_only=False, premoderate_all=True)
    held = discussion.post_comment(article=article, author=bob, body="Held")
    assert held.status == Comment.Status.PENDING
    assert AuditEntry.objects.filter(action="site_mode").count() == 2


def test_comments_close_automatically(article, alice, settings):
    settings.TRIBUNE_AUTO_CLOSE_DAYS = 3
    article.published_at = timezone.now() - timedelta(days=4)
    article.save()
    with pytest.raises(CommentRefused, match="close 3 days after publication"):
        discussion.post_comment(article=article, author=alice, body="Late")


def test_the_same_text_again(article, alice, bob, no_rate_limit):
    text = "This exact sentence was written once, and then again by someone else."
    discussion.post_comment(article=article, author=alice, body=text)
    with pytest.raises(CommentRefused, match="already posted this text"):
        discussion.post_comment(article=article, author=alice, body=text.upper())
    copy = discussion.post_comment(article=article, author=bob, body=text)
    assert copy.status == Comment.Status.PENDING
    assert "another account" in copy.hold_reason
    # Short texts are common enough to be typed by many readers.
    discussion.post_comment(article=article, author=alice, body="Agreed.")
    assert discussion.post_comment(
        article=article, author=bob, body="Agreed."
    ).is_visible


def test_new_accounts_get_tighter_limits(article, alice, settings):
    settings.TRIBUNE_NEW_ACCOUNT_SECONDS = 86400
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_NEW_ACCOUNT_MIN_INTERVAL = 60
    now = timezone.now()
    discussion.post_comment(article=article, author=alice, body="One", now=now)
    with pytest.raises(CommentRefused, match="posting too fast"):
        discussion.post_comment(
            article=article, author=alice, body="Two", now=now + timedelta(seconds=30)
        )
    settings.TRIBUNE_NEW_ACCOUNT_SECONDS = 0
    assert discussion.post_comment(
        article=article, author=alice, body="Two", now=now + timedelta(seconds=30)
    ).pk


def test_bulk_decisions_report_each_refusal(article, alice, bob, maude, no_rate_limit):
    one = discussion.post_comment(article=article, author=alice, body="one")
    two = discussion.post_comment(article=article, author=bob, body="two")
    done, refused = actions.bulk(
        actor=maude, action="remove", comments=[one, two], reason="Spam"
    )
    assert (done, refused) == (2, [])
    done, refused = actions.bulk(
        actor=maude, action="remove", comments=[one], reason="Spam"
    )
    assert done == 0
    assert refused == ["1: That comment is not shown already."]
    done, _ = actions.bulk(actor=maude, action="restore", comments=[one, two])
    assert done == 2
