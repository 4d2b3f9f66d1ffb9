"""A signed-in reader's own state on an article, asked in one query."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussion import actions
from discussion.context import reader_state
from discussion.models import Comment
from newsroom.models import Article
from notifications import actions as notifications
from notifications.models import Notification


@pytest.fixture
def other(article, section):
    return Article.objects.create(
        title="Other",
        slug="other",
        body=article.body,
        section=section,
        status=article.status,
        published_at=article.published_at,
    )


def test_it_answers_for_this_reader_and_article_only(
    article, other, alice, bob, no_rate_limit, django_assert_num_queries
):
    mine = actions.post_comment(article=article, author=alice, body="Mine, recent")
    old = actions.post_comment(article=article, author=alice, body="Mine, old")
    Comment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    elsewhere = actions.post_comment(article=other, author=alice, body="Elsewhere")
    bobs = actions.post_comment(article=article, author=bob, body="Bob's")
    bobs_elsewhere = actions.post_comment(article=other, author=bob, body="Bob 2")
    actions.cast_vote(comment=bobs, user=alice, value=-1)
    actions.cast_vote(comment=bobs_elsewhere, user=alice, value=1)
    actions.cast_vote(comment=mine, user=bob, value=1)  # bob's vote, not alice's
    notifications.reader_warned(alice, "one")
    notifications.reader_warned(alice, "two")
    read = notifications.reader_warned(alice, "read already")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notifications.reader_warned(bob, "bob's")
    notifications.follow(alice, other)
    notifications.follow(bob, article)

    with django_assert_num_queries(1):
        state = reader_state(alice, article)

    # Editable: her comment still in the edit window, not the old one nor the
    # one on the other article.
    assert state.editable == {mine.pk}
    assert elsewhere.pk not in state.editable
    assert state.own_pending is False
    assert state.my_votes == {bobs.pk: -1}
    assert state.unread == 2
    assert state.following is False
    assert reader_state(alice, other).following is True
    assert reader_state(bob, article).my_votes == {mine.pk: 1}


def test_it_sees_a_comment_awaiting_review(article, alice, bob, no_rate_limit):
    held = actions.post_comment(article=article, author=alice, body="Held")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    state = reader_state(alice, article)
    assert state.own_pending is True
    assert held.pk not in state.editable
    assert reader_state(bob, article).own_pending is False


def test_the_page_shows_what_it_found(client, article, alice, bob, no_rate_limit):
    bobs = actions.post_comment(article=article, author=bob, body="Bob's")
    actions.cast_vote(comment=bobs, user=alice, value=1)
    notifications.reader_warned(alice, "a warning")
    notifications.follow(alice, article)
    client.force_login(alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in page  # her +1 on bob's comment
    assert "Stop following new comments" in page
    assert '<span class="badge-count">1<' in page
