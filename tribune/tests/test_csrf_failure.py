from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussion.models import Comment
from newsroom.models import Article, Section


def test_it_gives_back_the_text_of_an_expired_comment_form(db, alice, settings):
    section = Section.objects.create(name="Politics", slug="politics")
    article = Article.objects.create(
        title="T",
        slug="t",
        body="Body",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("discussion-post", args=[article.slug])
    response = client.post(
        url,
        {"body": "Two hours of careful <writing>", "parent": "", "client_token": "t1"},
    )
    assert response.status_code == 403
    content = response.content.decode()
    assert "The form expired" in content
    assert "Two hours of careful &lt;writing&gt;" in content
    assert f'action="{url}"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert not Comment.objects.exists()


def test_it_explains_an_expired_form_without_text(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts-signin"), {"username": "x"})
    assert response.status_code == 403
    assert "The form expired" in response.content.decode()
