import pytest

from moderation.models import Report
from notifications import actions
from notifications.models import Follow, Notification, Preference
from notifications.tests.conftest import say

pytestmark = pytest.mark.urls("notifications.tests.urls")


def test_it_follows_and_unfollows(article, alice):
    assert actions.follow(alice, article) is True
    assert actions.follow(alice, article) is False
    assert Follow.objects.count() == 1
    assert actions.toggle_follow(alice, article) is False
    assert not Follow.objects.exists()
    assert actions.toggle_follow(alice, article) is True
    assert actions.unfollow(alice, article) is True
    assert actions.unfollow(alice, article) is False


def test_it_marks_only_the_readers_own_notifications_read(article, alice, bob, maude):
    actions.follow(alice, article)
    actions.follow(maude, article)
    actions.comment_published(say(article, bob))
    actions.comment_published(say(article, bob))
    mine = list(
        Notification.objects.filter(recipient=alice).values_list("pk", flat=True)
    )
    hers = list(
        Notification.objects.filter(recipient=maude).values_list("pk", flat=True)
    )

    assert actions.mark_read(alice, [mine[0], *hers]) == 1
    assert Notification.objects.filter(recipient=maude, read_at=None).count() == 2
    assert actions.mark_read(alice) == 1
    assert not Notification.objects.filter(recipient=alice, read_at=None).exists()


def test_it_notifies_moderators_of_a_reported_comment_once(article, alice, bob, maude):
    comment = say(article, alice)
    first = Report.objects.create(comment=comment, reporter=bob, reason="spam")
    assert actions.report_filed(first) == 1
    second = Report.objects.create(comment=comment, reporter=None, reason="abuse")
    actions.report_filed(second)
    entry = Notification.objects.get()
    assert (entry.recipient, entry.kind, entry.comment) == (maude, "report", comment)


def test_it_unsubscribes_by_field(alice):
    actions.unsubscribe(alice.pk, ["email_replies", "moderator_digest"])
    preference = Preference.objects.get(user=alice)
    assert preference.email_replies == "off"
    assert preference.email_follows == "daily"
    assert preference.moderator_digest is False
    assert actions.unsubscribe(987654, ["email_replies"]) is None
