import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from discussion.models import Comment, Quote
from notifications import actions
from notifications.models import Follow, Notification, OutboxMessage, Preference
from notifications.tests.conftest import say

pytestmark = pytest.mark.urls("notifications.tests.urls")


def kinds(user):
    return list(
        Notification.objects.filter(recipient=user).values_list("kind", flat=True)
    )


def test_it_notifies_the_parent_author_once(article, alice, bob):
    parent = say(article, alice)
    actions.follow(alice, article)
    reply = say(article, bob, "I disagree", parent=parent)

    assert actions.comment_published(reply) == 1
    # Running again (a restored comment) adds nothing.
    assert actions.comment_published(reply) == 0

    entry = Notification.objects.get()
    assert (entry.recipient, entry.kind, entry.comment, entry.actor) == (
        alice,
        "reply",
        reply,
        bob,
    )
    assert entry.article == article
    assert OutboxMessage.objects.get().dedupe_key == f"comment:{reply.pk}:{alice.pk}"


def test_it_counts_a_quote_of_the_parent_as_a_reply(article, alice, bob):
    parent = say(article, alice, "The goals are opposite.")
    reply = say(article, bob, "> The goals are opposite.\n\nNo.", parent=parent)
    Quote.objects.create(
        comment=reply,
        source=Quote.Source.PARENT,
        text="The goals are opposite.",
        passage="The goals are opposite.",
    )
    actions.comment_published(reply)
    assert kinds(alice) == ["reply"]


def test_it_never_notifies_the_author_of_the_comment(article, alice):
    parent = say(article, alice)
    actions.follow(alice, article)
    actions.comment_published(say(article, alice, parent=parent))
    actions.comment_published(say(article, alice))
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_it_notifies_followers(article, alice, bob, maude):
    actions.follow(bob, article)
    actions.follow(maude, article)
    comment = say(article, alice)
    assert actions.comment_published(comment) == 2
    assert kinds(bob) == ["follow"]
    assert kinds(maude) == ["follow"]
    assert kinds(alice) == []


def test_it_skips_unclaimed_inactive_and_banned_accounts(article, alice, bob):
    users = get_user_model().objects
    ghost = users.create_user("ghost", "ghost@example.org", is_claimed=False)
    gone = users.create_user("gone", "gone@example.org", is_active=False)
    banned = users.create_user("banned", "b@example.org", banned_at=timezone.now())
    for reader in (ghost, gone, banned, bob):
        actions.follow(reader, article)
    parent = say(article, ghost)
    actions.comment_published(say(article, alice, parent=parent))
    assert list(Notification.objects.values_list("recipient", flat=True)) == [bob.pk]
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == []


def test_it_skips_comments_that_are_not_published(article, alice, bob):
    actions.follow(bob, article)
    pending = say(article, alice, status=Comment.Status.PENDING)
    assert actions.comment_published(pending) == 0
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("replies", "emails"),
    [(None, 1), ("immediately", 1), ("daily", 0), ("off", 0)],
)
def test_it_enqueues_reply_emails_by_preference(article, alice, bob, replies, emails):
    if replies:
        Preference.objects.create(user=alice, email_replies=replies)
    reply = say(article, bob, parent=say(article, alice))
    actions.comment_published(reply)

    entry = Notification.objects.get(recipient=alice)
    assert OutboxMessage.objects.count() == emails
    # Only an entry that went out by email is kept out of the digest.
    assert (entry.emailed_at is not None) == bool(emails)
    if emails:
        message = OutboxMessage.objects.get()
        assert message.to_address == "alice@example.org"
        assert message.kind == "reply"
        assert "bob replied to your comment" in message.subject
        assert "http://testserver" not in message.body_text
        assert reply.get_absolute_url() in message.body_text
        assert "/notifications/unsubscribe/" in message.unsubscribe_url
        assert message.unsubscribe_url in message.body_text


@pytest.mark.parametrize(
    ("follows", "emails"), [(None, 0), ("daily", 0), ("immediately", 1), ("off", 0)]
)
def test_it_enqueues_follow_emails_by_preference(article, alice, bob, follows, emails):
    if follows:
        Preference.objects.create(user=bob, email_follows=follows)
    actions.follow(bob, article)
    actions.comment_published(say(article, alice))
    assert kinds(bob) == ["follow"]
    assert OutboxMessage.objects.filter(recipient=bob).count() == emails


def test_it_does_not_email_readers_without_an_address(article, alice, bob):
    bob.email = ""
    bob.save()
    Preference.objects.create(user=bob, email_follows="immediately")
    actions.follow(bob, article)
    actions.comment_published(say(article, alice))
    assert kinds(bob) == ["follow"]
    assert not OutboxMessage.objects.exists()


def _followers(article, prefix, count):
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{prefix}{i}",
            username_key=f"{prefix}{i}",
            email=f"{prefix}{i}@example.org",
        )
        for i in range(count)
    )
    users = get_user_model().objects.filter(username__startswith=prefix)
    Follow.objects.bulk_create(Follow(user=user, article=article) for user in users)
    # Half of them want every comment right away.
    Preference.objects.bulk_create(
        Preference(user=user, email_follows="immediately") for user in users[::2]
    )
    return users


def test_it_runs_the_same_queries_for_10_and_50_followers(article, section, alice, bob):
    from newsroom.models import Article

    other = Article.objects.create(
        title="Other",
        slug="other",
        body="x",
        section=section,
        status="published",
        published_at=article.published_at,
    )
    counts = []
    for target, prefix, count in ((article, "few", 10), (other, "many", 50)):
        _followers(target, prefix, count)
        reply = say(target, alice, parent=say(target, bob))
        with CaptureQueriesContext(connection) as captured:
            assert actions.comment_published(reply) == count + 1
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[1] <= 8
    assert Notification.objects.filter(article=other).count() == 51
    assert (
        OutboxMessage.objects.filter(recipient__username__startswith="many").count()
        == 25
    )


@pytest.mark.parametrize(
    ("followers", "reply_to", "queries"),
    [
        ([], None, 1),  # nobody to tell: one cheap question
        (["alice"], None, 1),  # only the author follows
        (["bob"], None, None),  # someone else follows: the full query, writes
        ([], "alice", 2),  # a reply to one's own comment: parent, then followers
    ],
)
def test_it_asks_little_when_nobody_is_to_be_told(
    request, article, alice, bob, followers, reply_to, queries
):
    for name in followers:
        actions.follow(request.getfixturevalue(name), article)
    parent = say(article, request.getfixturevalue(reply_to)) if reply_to else None
    comment = say(article, alice, "Something new", parent=parent)
    with CaptureQueriesContext(connection) as captured:
        told = actions.comment_published(comment, new=True)
    assert told == (1 if "bob" in followers else 0)
    if queries is None:
        assert "SELECT DISTINCT" in captured[1]["sql"]
    else:
        assert len(captured) == queries, [q["sql"] for q in captured]
