from django.utils import timezone

from api.tests.conftest import signed_in_with_csrf, signed_in_without_csrf
from discussion.models import Comment


def path(comment):
    return f"/comments/{comment.pk}"


def status_of(comment):
    comment.refresh_from_db()
    return comment.status


def test_it_deletes_your_own_comment(as_user, comment, alice):
    response = as_user(alice)("DELETE", path(comment))
    assert response.status_code == 204
    assert status_of(comment) == Comment.Status.DELETED


def test_it_deletes_through_the_session_with_the_csrf_token(comment, alice):
    assert signed_in_with_csrf(alice)("DELETE", path(comment)).status_code == 204
    assert status_of(comment) == Comment.Status.DELETED


def test_it_refuses_a_session_delete_without_the_csrf_token(comment, alice):
    assert signed_in_without_csrf(alice)("DELETE", path(comment)).status_code == 403
    assert status_of(comment) == Comment.Status.PUBLISHED


def test_it_refuses_to_delete_another_reader_s_comment(as_user, comment, bob):
    assert as_user(bob)("DELETE", path(comment)).status_code == 403
    assert status_of(comment) == Comment.Status.PUBLISHED


def test_it_asks_an_anonymous_visitor_to_sign_in(anonymous, comment):
    assert anonymous("DELETE", path(comment)).status_code == 401
    assert status_of(comment) == Comment.Status.PUBLISHED


def test_it_refuses_a_revoked_token(client, token_of, comment, alice):
    from api.models import AccessToken
    from api.tests.conftest import Api

    text = token_of(alice)
    AccessToken.objects.update(revoked_at=timezone.now())
    assert Api(client, text)("DELETE", path(comment)).status_code == 401
    assert status_of(comment) == Comment.Status.PUBLISHED


def test_it_refuses_a_comment_already_gone(as_user, comment, alice):
    api = as_user(alice)
    api("DELETE", path(comment))
    response = api("DELETE", path(comment))
    assert response.status_code == 400
    assert response.json()["detail"] == "That comment is already gone."


def test_it_answers_400_for_an_id_that_is_not_a_number(as_user, alice):
    for bad in ["abc", "-1", "0", str(2**64)]:
        response = as_user(alice)("DELETE", f"/comments/{bad}")
        assert response.status_code == 400, bad
        assert "comment_id" in response.json()["errors"]
