from django.utils import timezone

from api.tests.conftest import signed_in_with_csrf, signed_in_without_csrf
from discussion.models import Comment, Vote
from moderation.models import SiteMode


def path(comment):
    return f"/comments/{comment.pk}/vote"


def test_it_votes_changes_and_withdraws(as_user, comment, bob, alice):
    api = as_user(bob)
    response = api("POST", path(comment), {"value": 1})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": comment.pk,
        "score": 1,
        "upvotes": 1,
        "downvotes": 0,
        "my_vote": 1,
    }
    assert api("POST", path(comment), {"value": -1}).json()["score"] == -1
    response = api("POST", path(comment), {"value": 0})
    assert response.json()["my_vote"] == 0
    assert not Vote.objects.exists()
    alice.refresh_from_db()
    assert alice.reputation == 0


def test_it_votes_through_the_session_with_the_csrf_token(comment, bob):
    response = signed_in_with_csrf(bob)("POST", path(comment), {"value": 1})
    assert response.status_code == 200
    assert Vote.objects.get().user == bob


def test_it_refuses_a_session_vote_without_the_csrf_token(comment, bob):
    response = signed_in_without_csrf(bob)("POST", path(comment), {"value": 1})
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_it_refuses_a_vote_on_your_own_comment(as_user, comment, alice):
    response = as_user(alice)("POST", path(comment), {"value": 1})
    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot vote on your own comment."
    assert not Vote.objects.exists()


def test_it_asks_an_anonymous_visitor_to_sign_in(anonymous, comment):
    assert anonymous("POST", path(comment), {"value": 1}).status_code == 401
    assert not Vote.objects.exists()


def test_it_refuses_a_revoked_token(client, token_of, comment, bob):
    from api.models import AccessToken
    from api.tests.conftest import Api

    text = token_of(bob)
    AccessToken.objects.update(revoked_at=timezone.now())
    assert Api(client, text)("POST", path(comment), {"value": 1}).status_code == 401
    assert not Vote.objects.exists()


def test_it_tells_a_banned_reader_why(as_user, comment, banned):
    response = as_user(banned)("POST", path(comment), {"value": -1})
    assert response.status_code == 403
    assert "Insults to other readers" in response.json()["detail"]
    assert not Vote.objects.exists()


def test_it_refuses_while_the_site_is_read_only(as_user, comment, bob):
    SiteMode.objects.update_or_create(pk=1, defaults={"read_only": True})
    assert as_user(bob)("POST", path(comment), {"value": 1}).status_code == 403
    assert not Vote.objects.exists()


def test_it_refuses_bad_values(as_user, comment, bob):
    api = as_user(bob)
    for data in [{"value": 2}, {"value": "up"}, {}, {"value": None}]:
        response = api("POST", path(comment), data)
        assert response.status_code == 400, data
        assert "value" in response.json()["errors"]
    assert not Vote.objects.exists()


def test_it_refuses_a_vote_on_a_removed_comment(as_user, comment, bob):
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)
    response = as_user(bob)("POST", path(comment), {"value": 1})
    assert response.status_code == 400
    assert "can no longer be voted on" in response.json()["detail"]
    assert not Vote.objects.exists()
