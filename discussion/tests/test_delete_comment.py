import pytest
from django.urls import reverse

from discussion import actions
from discussion.models import Comment


@pytest.fixture
def comment(article, alice):
    return actions.post_comment(article=article, author=alice, body="Regrettable words")


def delete_url(comment):
    return reverse("discussion-delete", args=[comment.pk])


def test_it_deletes_and_keeps_the_text_for_moderators(client, comment, alice):
    client.force_login(alice)
    assert client.get(delete_url(comment)).status_code == 200
    response = client.post(delete_url(comment))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.DELETED
    assert comment.body == "Regrettable words"
    comment.article.refresh_from_db()
    assert comment.article.comment_count == 0


def test_it_hides_a_deleted_comment_without_replies(client, comment, alice):
    actions.delete_comment(comment=comment, user=alice)
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Regrettable words" not in page
    assert 'id="c1"' not in page


def test_it_leaves_a_placeholder_where_replies_remain(
    client, comment, alice, bob, no_rate_limit
):
    actions.post_comment(
        article=comment.article, author=bob, body="Reply", parent=comment
    )
    actions.delete_comment(comment=comment, user=alice)
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Regrettable words" not in page
    assert "Comment deleted by its author." in page
    assert 'id="c1.1"' in page


def test_it_refuses_another_readers_comment(client, comment, bob):
    client.force_login(bob)
    assert client.post(delete_url(comment)).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED


def test_it_sends_the_anonymous_visitor_to_sign_in(client, comment):
    response = client.post(delete_url(comment))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED


def test_it_refuses_deleting_twice(client, comment, alice):
    client.force_login(alice)
    client.post(delete_url(comment))
    response = client.post(delete_url(comment), follow=True)
    assert "already gone" in response.content.decode()
    comment.article.refresh_from_db()
    assert comment.article.comment_count == 0


def test_it_404s_for_an_unknown_comment(client, alice, db):
    client.force_login(alice)
    assert client.post(reverse("discussion-delete", args=[999])).status_code == 404
