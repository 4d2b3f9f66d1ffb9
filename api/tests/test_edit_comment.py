from datetime import timedelta

from django.utils import timezone

from api.tests.conftest import signed_in_with_csrf, signed_in_without_csrf
from discussion.models import Comment, CommentRevision
from moderation.models import SiteMode, WordEntry


def path(comment):
    return f"/comments/{comment.pk}"


def test_it_edits_your_own_comment_keeping_the_old_text(as_user, comment, alice):
    response = as_user(alice)("PATCH", path(comment), {"body": "A **better** view"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["body"] == "A **better** view"
    assert data["edited_at"] is not None
    comment.refresh_from_db()
    assert comment.body == "A **better** view"
    assert CommentRevision.objects.get().body == "A first view"


def test_it_edits_through_the_session_with_the_csrf_token(comment, alice):
    response = signed_in_with_csrf(alice)("PATCH", path(comment), {"body": "New"})
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.body == "New"


def test_it_refuses_a_session_edit_without_the_csrf_token(comment, alice):
    response = signed_in_without_csrf(alice)("PATCH", path(comment), {"body": "New"})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_refuses_to_edit_another_reader_s_comment(as_user, comment, bob):
    response = as_user(bob)("PATCH", path(comment), {"body": "Hijacked"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You can only change your own comments."
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_asks_an_anonymous_visitor_to_sign_in(anonymous, comment):
    assert anonymous("PATCH", path(comment), {"body": "x"}).status_code == 401
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_refuses_a_revoked_token(client, token_of, comment, alice):
    from api.models import AccessToken
    from api.tests.conftest import Api

    text = token_of(alice)
    AccessToken.objects.update(revoked_at=timezone.now())
    response = Api(client, text)("PATCH", path(comment), {"body": "x"})
    assert response.status_code == 401
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_tells_a_banned_author_why(as_user, comment, alice):
    alice.banned_at = timezone.now()
    alice.ban_reason = "Spam"
    alice.save()
    response = as_user(alice)("PATCH", path(comment), {"body": "Changed"})
    assert response.status_code == 403
    assert response.json()["detail"].endswith("Reason: Spam")
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_refuses_after_the_edit_window(as_user, comment, alice):
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    response = as_user(alice)("PATCH", path(comment), {"body": "Late"})
    assert response.status_code == 403
    assert "can no longer be changed" in response.json()["detail"]


def test_it_refuses_while_the_site_is_read_only(as_user, comment, alice):
    SiteMode.objects.update_or_create(pk=1, defaults={"read_only": True})
    response = as_user(alice)("PATCH", path(comment), {"body": "Changed"})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "A first view"


def test_it_refuses_bad_input_and_changes_nothing(as_user, comment, alice):
    WordEntry.objects.create(text="scoundrel", kind=WordEntry.Kind.BANNED)
    api = as_user(alice)
    for data in [{"body": ""}, {}, {"body": ["x"]}, {"body": "You scoundrel"}]:
        response = api("PATCH", path(comment), data)
        assert response.status_code == 400, data
        assert "body" in response.json()["errors"]
    comment.refresh_from_db()
    assert comment.body == "A first view"
    assert not CommentRevision.objects.exists()


def test_it_answers_404_for_a_comment_that_does_not_exist(as_user, alice):
    response = as_user(alice)("PATCH", "/comments/999999", {"body": "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No such comment."
