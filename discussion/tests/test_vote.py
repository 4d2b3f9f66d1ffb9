import pytest
from django.test import Client
from django.urls import reverse

from discussion import actions
from discussion.actions import CommentRefused
from discussion.models import Vote


@pytest.fixture
def comment(article, alice):
    return actions.post_comment(article=article, author=alice, body="Vote on me")


def vote(client, comment, value, **headers):
    return client.post(
        reverse("discussion-vote", args=[comment.pk]), {"value": value}, **headers
    )


def test_it_counts_changes_and_withdraws_a_vote(comment, alice, bob):
    actions.cast_vote(comment=comment, user=bob, value=1)
    comment.refresh_from_db()
    alice.refresh_from_db()
    assert (comment.score, comment.upvotes, comment.downvotes) == (1, 1, 0)
    assert alice.reputation == 1

    actions.cast_vote(comment=comment, user=bob, value=-1)
    comment.refresh_from_db()
    alice.refresh_from_db()
    assert (comment.score, comment.upvotes, comment.downvotes) == (-1, 0, 1)
    assert alice.reputation == -1

    actions.cast_vote(comment=comment, user=bob, value=0)
    comment.refresh_from_db()
    alice.refresh_from_db()
    assert (comment.score, comment.upvotes, comment.downvotes) == (0, 0, 0)
    assert alice.reputation == 0
    assert not Vote.objects.exists()


def test_it_counts_one_vote_per_reader(comment, bob, mallory):
    for _ in range(3):
        actions.cast_vote(comment=comment, user=bob, value=1)
    actions.cast_vote(comment=comment, user=mallory, value=1)
    comment.refresh_from_db()
    assert comment.score == 2
    assert Vote.objects.count() == 2


def test_it_refuses_a_vote_on_your_own_comment(comment, alice):
    with pytest.raises(CommentRefused, match="your own comment"):
        actions.cast_vote(comment=comment, user=alice, value=1)


def test_it_refuses_a_vote_on_a_deleted_comment(comment, alice, bob):
    actions.delete_comment(comment=comment, user=alice)
    with pytest.raises(CommentRefused, match="can no longer be voted"):
        actions.cast_vote(comment=comment, user=bob, value=1)


def test_it_votes_through_the_page(client, comment, bob):
    client.force_login(bob)
    response = vote(client, comment, "1")
    assert response.status_code == 302
    assert response["Location"].endswith("#c1")
    comment.refresh_from_db()
    assert comment.score == 1


def test_it_returns_the_widget_to_htmx(client, comment, bob):
    client.force_login(bob)
    response = vote(client, comment, "-1", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="vote-' in content
    assert "-1" in content
    assert 'aria-pressed="true"' in content


def test_it_explains_a_refused_vote_to_htmx(client, comment, alice):
    client.force_login(alice)
    response = vote(client, comment, "1", HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'role="alert"' in response.content.decode()
    assert "your own comment" in response.content.decode()
    assert not Vote.objects.exists()


def test_it_refuses_a_bad_value(client, comment, bob):
    client.force_login(bob)
    response = vote(client, comment, "5", follow=True)
    assert "A vote is +1" in response.content.decode()
    assert not Vote.objects.exists()


def test_it_sends_the_anonymous_visitor_to_sign_in(client, comment):
    response = vote(client, comment, "1")
    assert response.status_code == 302
    assert reverse("accounts-signin") in response["Location"]
    assert not Vote.objects.exists()


def test_it_refuses_get(client, comment, bob):
    client.force_login(bob)
    assert client.get(reverse("discussion-vote", args=[comment.pk])).status_code == 405


def test_it_requires_a_csrf_token(comment, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert vote(client, comment, "1").status_code == 403
    assert not Vote.objects.exists()


def test_it_collapses_a_low_scored_comment_behind_details(client, comment, settings):
    settings.TRIBUNE_COLLAPSE_SCORE = -5
    type(comment).objects.filter(pk=comment.pk).update(score=-5)
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert '<details class="collapsed">' in page
    assert "Hidden: rated -5. Show" in page
