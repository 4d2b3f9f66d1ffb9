"""The same comment form sent twice at once gets one comment and one answer.

A double click, or a client sending again after an answer lost on the way
(a server killed mid-request), sends one client_token twice. When the second
submission looks for its token before the first one commits, it goes on to
the checks, which the first one's comment now fails: the posting pace, the
repeated text, or the unique token. Its answer must still be the first
comment, as for any later resubmission, not a refusal telling the reader
their comment was not posted. Here the second submission's first look is
made to miss, as it does in that race; tests/reliability/test_double_submit.py
sends real twins to a real server.
"""

import pytest
from django.urls import reverse

from discussion import actions
from discussion.actions import CommentRefused
from discussion.models import Comment


@pytest.fixture
def racing(monkeypatch):
    """racing() makes the next token lookup miss, as if made before the
    other submission committed; later lookups see the database."""
    real = actions._posted_with
    misses = []

    def posted_with(author, client_token):
        if misses:
            misses.pop()
            return None
        return real(author, client_token)

    monkeypatch.setattr(actions, "_posted_with", posted_with)
    return lambda: misses.append(True)


def _post(article, author, form="form-1", body="Said once, sent twice."):
    return actions.post_comment(
        article=article, author=author, body=body, client_token=form
    )


def test_it_answers_the_twin_refused_for_the_pace_with_the_first_comment(
    article, alice, racing, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    first = _post(article, alice)
    racing()
    assert _post(article, alice) == first
    assert Comment.objects.count() == 1


def test_it_answers_the_twin_refused_as_a_repeated_text_with_the_first_comment(
    article, alice, racing, settings, no_rate_limit
):
    settings.TRIBUNE_DUPLICATE_WINDOW = 3600
    first = _post(article, alice)
    racing()
    assert _post(article, alice) == first
    assert Comment.objects.count() == 1


def test_it_answers_the_twin_stopped_by_the_unique_token_with_the_first_comment(
    article, alice, racing, settings, no_rate_limit
):
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    first = _post(article, alice)
    racing()
    assert _post(article, alice) == first
    assert Comment.objects.count() == 1
    article.refresh_from_db()
    # The number the twin took was given back with its rollback.
    assert (article.comment_counter, article.comment_count) == (1, 1)


def test_it_still_refuses_a_new_form_posted_too_soon(article, alice, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    _post(article, alice)
    with pytest.raises(CommentRefused, match="too fast"):
        _post(article, alice, form="form-2", body="Another thought.")
    assert Comment.objects.count() == 1


def test_it_does_not_give_another_readers_comment_for_their_token(
    article, alice, bob, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    theirs = _post(article, alice)
    mine = _post(article, bob)
    assert mine != theirs and mine.author == bob


def test_it_redirects_the_twin_form_to_the_first_comment(
    client, article, alice, racing, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    client.force_login(alice)
    url = reverse("discussion-post", args=[article.slug])
    data = {"body": "Said once, sent twice.", "client_token": "form-1"}
    assert client.post(url, data)["Location"].endswith("#c1")
    racing()
    second = client.post(url, data)
    assert second.status_code == 302
    assert second["Location"] == f"{article.get_absolute_url()}#c1"
    assert Comment.objects.count() == 1


def test_it_answers_the_twin_api_post_with_the_first_comment(
    client, article, alice, racing, settings
):
    from api.actions import create_token
    from api.tests.conftest import Api

    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    api = Api(client, create_token(user=alice, name="app")[1])
    data = {"body": "Said once, sent twice.", "client_token": "app-1"}
    first = api("POST", f"/articles/{article.slug}/comments", data)
    assert first.status_code == 201
    racing()
    second = api("POST", f"/articles/{article.slug}/comments", data)
    assert second.status_code == 201, second.json()
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["number"] == "1"
