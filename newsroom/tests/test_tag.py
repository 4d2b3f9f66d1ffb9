"""Tag pages: visible articles with that tag, newest first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article, Tag


@pytest.fixture
def syria(db):
    return Tag.objects.create(name="Syria", slug="syria")


def _article(section, slug, tags=(), *, hours_ago=1, **extra):
    article = Article.objects.create(
        title=extra.pop("title", slug.replace("-", " ").title()),
        slug=slug,
        body="Text.",
        section=section,
        status=extra.pop("status", Article.Status.PUBLISHED),
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )
    article.tags.set(tags)
    return article


def test_it_lists_the_tags_visible_articles_newest_first(client, section, syria):
    other = Tag.objects.create(name="Economy", slug="economy")
    _article(section, "old", [syria], hours_ago=20)
    _article(section, "new", [syria, other], hours_ago=1)
    _article(section, "untagged", [other], title="Untagged piece")

    response = client.get(reverse("newsroom-tag", args=["syria"]))

    assert response.status_code == 200
    assert [a.slug for a in response.context["page"]] == ["new", "old"]
    html = response.content.decode()
    assert '<p class="kicker">Tag</p>' in html
    assert "<h1>Syria</h1>" in html
    assert "Untagged piece" not in html


def test_it_hides_drafts_and_scheduled_articles(client, section, syria):
    _article(section, "shown", [syria])
    _article(section, "draft", [syria], status=Article.Status.DRAFT, title="Draft X")
    _article(
        section,
        "later",
        [syria],
        hours_ago=-1,
        status=Article.Status.SCHEDULED,
        title="Later X",
    )

    response = client.get(reverse("newsroom-tag", args=["syria"]))

    assert [a.slug for a in response.context["page"]] == ["shown"]
    assert "Draft X" not in response.content.decode()
    assert "Later X" not in response.content.decode()


def test_it_is_404_for_an_unknown_tag(client, syria):
    response = client.get(reverse("newsroom-tag", args=["nope"]))

    assert response.status_code == 404


def test_it_paginates(client, section, syria, settings):
    settings.ARTICLES_PER_PAGE = 1
    _article(section, "first", [syria], hours_ago=1)
    _article(section, "second", [syria], hours_ago=2)

    response = client.get(reverse("newsroom-tag", args=["syria"]), {"page": 2})
    junk = client.get(reverse("newsroom-tag", args=["syria"]), {"page": "x"})

    assert [a.slug for a in response.context["page"]] == ["second"]
    assert [a.slug for a in junk.context["page"]] == ["first"]
