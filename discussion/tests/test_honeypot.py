import pytest
from django.urls import reverse

from discussion.models import Comment
from lib.honeypot import FIELD_NAME, REFUSED

BODY = "The Americans *once again* made it clear."


def _post(client, article, **data):
    return client.post(reverse("discussion-post", args=[article.slug]), data)


@pytest.fixture
def signed_in(client, alice, no_rate_limit):
    client.force_login(alice)
    return client


def test_the_comment_form_carries_a_hidden_honeypot(signed_in, article):
    html = signed_in.get(article.get_absolute_url()).content.decode()

    assert '<div class="hp-field" aria-hidden="true">' in html
    assert f'name="{FIELD_NAME}"' in html
    assert 'tabindex="-1"' in html


def test_the_reply_form_carries_a_hidden_honeypot(signed_in, alice, article):
    _post(signed_in, article, body="First")
    url = reverse("discussion-reply", args=[article.slug, "1"])

    for response in (signed_in.get(url), signed_in.get(url, HTTP_HX_REQUEST="true")):
        html = response.content.decode()
        assert 'class="hp-field"' in html
        comment = Comment.objects.get()
        # Inline reply forms get ids of their own, the honeypot's label too.
        assert f'for="id_reply{comment.pk}_{FIELD_NAME}"' in html
        assert f'id="id_reply{comment.pk}_{FIELD_NAME}"' in html


def test_it_refuses_a_comment_with_the_honeypot_filled(signed_in, article, caplog):
    with caplog.at_level("WARNING", logger="tribune.security"):
        response = _post(
            signed_in, article, body=BODY, **{FIELD_NAME: "http://x.example"}
        )

    assert response.status_code == 400
    html = response.content.decode()
    assert str(REFUSED) in html
    assert "The Americans *once again* made it clear." in html
    assert "x.example" not in html
    assert not Comment.objects.exists()
    article.refresh_from_db()
    assert article.comment_count == 0
    assert any("honeypot" in r.getMessage() for r in caplog.records)


def test_it_refuses_a_reply_with_the_honeypot_filled(signed_in, article):
    _post(signed_in, article, body="First")

    response = _post(
        signed_in, article, body=BODY, parent="1", **{FIELD_NAME: "anything"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert str(REFUSED) in html
    assert "The Americans *once again* made it clear." in html
    assert list(Comment.objects.values_list("number", flat=True)) == ["1"]


def test_it_posts_with_the_honeypot_empty(signed_in, article):
    response = _post(signed_in, article, body=BODY, **{FIELD_NAME: ""})

    assert response.status_code == 302
    assert Comment.objects.get().body == BODY
