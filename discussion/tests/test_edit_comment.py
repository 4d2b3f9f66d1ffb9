from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from discussion import actions
from discussion.actions import CommentRefused
from discussion.models import Comment, CommentRevision


@pytest.fixture
def comment(article, alice):
    return actions.post_comment(article=article, author=alice, body="First text")


def edit_url(comment):
    return reverse("discussion-edit", args=[comment.pk])


def test_it_edits_and_keeps_the_earlier_text(client, comment, alice):
    client.force_login(alice)
    response = client.post(edit_url(comment), {"body": "Second text"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Second text"
    assert comment.edited_at is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == [
        "First text"
    ]
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Second text" in page
    assert "edited" in page


def test_it_shows_the_form_with_the_current_text(client, comment, alice):
    client.force_login(alice)
    response = client.get(edit_url(comment))
    assert response.status_code == 200
    assert "First text" in response.content.decode()


def test_it_refuses_after_the_edit_window(comment, alice, settings):
    settings.TRIBUNE_EDIT_WINDOW_SECONDS = 15 * 60
    later = comment.created_at + timedelta(minutes=16)
    with pytest.raises(CommentRefused, match="15 minutes"):
        actions.edit_comment(comment=comment, editor=alice, body="Too late", now=later)
    comment.refresh_from_db()
    assert comment.body == "First text"


def test_it_keeps_the_text_when_the_window_closed(client, comment, alice):
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(alice)
    response = client.post(edit_url(comment), {"body": "My late edit"})
    assert response.status_code == 400
    assert "My late edit" in response.content.decode()
    assert "can no longer be changed" in response.content.decode()


def test_it_refuses_another_readers_comment(client, comment, bob):
    client.force_login(bob)
    assert client.post(edit_url(comment), {"body": "Hijack"}).status_code == 403
    assert client.get(edit_url(comment)).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "First text"


def test_it_sends_the_anonymous_visitor_to_sign_in(client, comment):
    response = client.post(edit_url(comment), {"body": "Anon"})
    assert response.status_code == 302
    assert reverse("accounts-signin") in response["Location"]
    comment.refresh_from_db()
    assert comment.body == "First text"


def test_it_refuses_empty_text(client, comment, alice):
    client.force_login(alice)
    response = client.post(edit_url(comment), {"body": "  "})
    assert response.status_code == 400
    assert "cannot be empty" in response.content.decode()


def test_it_refuses_other_methods(client, comment, alice):
    client.force_login(alice)
    assert client.put(edit_url(comment)).status_code in (400, 405)
    comment.refresh_from_db()
    assert comment.body == "First text"
