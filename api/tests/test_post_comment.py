from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.conftest import signed_in_with_csrf, signed_in_without_csrf
from discussion import actions as discussion
from discussion.models import Comment
from moderation.models import SiteMode, WordEntry


def path(article):
    return f"/articles/{article.slug}/comments"


def test_it_posts_a_comment_with_a_token(as_user, article, alice):
    response = as_user(alice)("POST", path(article), {"body": "My *first* view"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "1"
    assert data["status"] == "published"
    assert data["body_html"] == "<p>My <em>first</em> view</p>\n"
    comment = Comment.objects.get()
    assert (comment.author, comment.body, comment.pk) == (
        alice,
        "My *first* view",
        data["id"],
    )
    article.refresh_from_db()
    assert article.comment_count == 1


def test_it_posts_a_reply_quoting_its_parent(as_user, article, comment, bob):
    body = "> A first view\n\nI disagree."
    response = as_user(bob)("POST", path(article), {"body": body, "parent": "1"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "1.1"
    assert data["quotes"] == [
        {
            "source": "parent",
            "text": "A first view",
            "passage": "A first view",
            "paragraph": None,
            "comment_number": "1",
        }
    ]


def test_it_posts_through_the_session_with_the_csrf_token(article, alice):
    response = signed_in_with_csrf(alice)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 201, response.content
    assert Comment.objects.filter(author=alice).count() == 1


def test_it_refuses_a_session_post_without_the_csrf_token(article, alice):
    response = signed_in_without_csrf(alice)("POST", path(article), {"body": "Hi"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_it_asks_an_anonymous_visitor_to_sign_in(anonymous, article):
    response = anonymous("POST", path(article), {"body": "Hello"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "access token" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_it_refuses_a_revoked_token(client, token_of, article, alice):
    from api.models import AccessToken
    from api.tests.conftest import Api

    text = token_of(alice)
    AccessToken.objects.update(revoked_at=timezone.now())
    response = Api(client, text)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 401
    assert response.json()["detail"] == "This access token was revoked."
    assert not Comment.objects.exists()


def test_it_refuses_an_unknown_token_even_with_a_session(client, article, alice):
    from api.tests.conftest import Api

    client.force_login(alice)
    response = Api(client, "tribune_not-a-token")("POST", path(article), {"body": "x"})
    assert response.status_code == 401
    assert not Comment.objects.exists()


def test_it_tells_a_banned_reader_why(as_user, article, banned):
    response = as_user(banned)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Your account is banned from commenting. Reason: Insults to other readers"
    )
    assert not Comment.objects.exists()


def test_it_tells_a_suspended_reader_until_when(as_user, article, mallory):
    mallory.suspended_until = timezone.now() + timedelta(days=2)
    mallory.ban_reason = "Cool down"
    mallory.save()
    response = as_user(mallory)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 403
    assert "suspended until" in response.json()["detail"]
    assert "Cool down" in response.json()["detail"]


def test_it_refuses_while_the_site_is_read_only(as_user, article, alice):
    SiteMode.objects.update_or_create(
        pk=1, defaults={"read_only": True, "message": "Back at noon."}
    )
    response = as_user(alice)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Back at noon."
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": 12}, "body"),
        ({"body": "Hi", "parent": "seven"}, "parent"),
        ({"body": "Hi", "parent": "9"}, "parent"),
    ],
)
def test_it_refuses_bad_input_with_field_messages(as_user, article, alice, data, field):
    response = as_user(alice)("POST", path(article), data)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Comment.objects.exists()


def test_it_refuses_a_comment_over_the_length_limit(as_user, article, alice, settings):
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 10
    response = as_user(alice)("POST", path(article), {"body": "x" * 11})
    assert response.status_code == 400
    assert "at most 10 characters" in response.json()["errors"]["body"][0]
    assert not Comment.objects.exists()


def test_it_refuses_banned_words_naming_them(as_user, article, alice):
    WordEntry.objects.create(text="scoundrel", kind=WordEntry.Kind.BANNED)
    response = as_user(alice)("POST", path(article), {"body": "You scoundrel"})
    assert response.status_code == 400
    assert "“scoundrel”" in response.json()["errors"]["body"][0]
    assert not Comment.objects.exists()


def test_it_refuses_the_same_text_twice(as_user, article, alice, no_rate_limit):
    api = as_user(alice)
    assert api("POST", path(article), {"body": "Same words"}).status_code == 201
    response = api("POST", path(article), {"body": "Same words"})
    assert response.status_code == 400
    assert "already posted this text" in response.json()["detail"]
    assert Comment.objects.count() == 1


def test_it_returns_the_first_comment_for_a_repeated_client_token(
    as_user, article, alice
):
    api = as_user(alice)
    data = {"body": "Once only", "client_token": "abc123"}
    first = api("POST", path(article), data).json()
    again = api("POST", path(article), data)
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert Comment.objects.count() == 1


def test_it_holds_a_comment_for_review_as_the_page_does(as_user, article, alice):
    SiteMode.objects.update_or_create(pk=1, defaults={"premoderate_all": True})
    response = as_user(alice)("POST", path(article), {"body": "Wait for me"})
    assert response.status_code == 201
    assert response.json()["status"] == "pending"


def test_it_answers_posting_too_fast_with_429_and_retry_after(
    as_user, article, alice, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 30
    api = as_user(alice)
    assert api("POST", path(article), {"body": "One"}).status_code == 201
    response = api("POST", path(article), {"body": "Two"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 30
    assert "posting too fast" in response.json()["detail"]
    assert Comment.objects.count() == 1


def test_it_answers_404_for_an_unpublished_article(as_user, article, alice):
    article.status = article.Status.DRAFT
    article.save()
    response = as_user(alice)("POST", path(article), {"body": "Hello"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_it_refuses_a_reply_to_a_removed_comment(as_user, article, comment, bob):
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)
    response = as_user(bob)("POST", path(article), {"body": "Hm", "parent": "1"})
    assert response.status_code == 400
    assert "no longer there" in response.json()["errors"]["parent"][0]
    assert Comment.objects.count() == 1


def test_it_keeps_the_site_s_numbering(as_user, article, alice, bob, no_rate_limit):
    discussion.post_comment(article=article, author=alice, body="One")
    discussion.post_comment(article=article, author=alice, body="Two")
    response = as_user(bob)("POST", path(article), {"body": "Reply", "parent": "2"})
    assert response.json()["number"] == "2.1"


def test_it_answers_a_body_too_large_in_json(as_user, article, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = as_user(alice)("POST", path(article), {"body": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["detail"] == "The request is too large."
    assert not Comment.objects.exists()


def test_it_refuses_a_body_that_is_not_json(client, token_of, article, alice):
    response = client.post(
        f"/api/v1{path(article)}",
        {"body": "Hello"},
        HTTP_AUTHORIZATION=f"Bearer {token_of(alice)}",
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Comment.objects.exists()


def test_it_answers_unknown_endpoints_in_json(anonymous):
    response = anonymous("GET", "/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint."}
