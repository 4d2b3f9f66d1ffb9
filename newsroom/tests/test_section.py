"""Section pages: that section's visible articles, newest first, paginated."""

from datetime import timedelta

import pytest
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article, Author, Byline, Section


@pytest.fixture
def politics(db):
    return Section.objects.create(
        name="Politics", slug="politics", description="Power and its uses."
    )


@pytest.fixture
def economy(db):
    return Section.objects.create(name="Economy", slug="economy")


def _article(section, slug, *, hours_ago=1, status=Article.Status.PUBLISHED, **extra):
    return Article.objects.create(
        title=extra.pop("title", slug.replace("-", " ").title()),
        slug=slug,
        body="Text.",
        section=section,
        status=status,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )


def _url(section):
    return reverse("newsroom-section", args=[section.slug])


def test_it_lists_the_sections_visible_articles_newest_first(client, politics, economy):
    _article(politics, "older", hours_ago=10)
    _article(politics, "newer", hours_ago=2)
    _article(economy, "elsewhere")

    response = client.get(_url(politics))

    assert response.status_code == 200
    assert [a.slug for a in response.context["page"]] == ["newer", "older"]
    html = response.content.decode()
    assert "<h1>Politics</h1>" in html
    assert '<p class="intro">Power and its uses.</p>' in html
    assert "Elsewhere" not in html


def test_it_hides_drafts_and_scheduled_articles(client, politics):
    _article(politics, "shown", title="Shown piece")
    _article(politics, "draft", status=Article.Status.DRAFT, title="Draft piece")
    _article(
        politics,
        "scheduled",
        hours_ago=-3,
        status=Article.Status.SCHEDULED,
        title="Scheduled piece",
    )

    response = client.get(_url(politics))

    html = response.content.decode()
    assert [a.slug for a in response.context["page"]] == ["shown"]
    assert "Draft piece" not in html
    assert "Scheduled piece" not in html


def test_it_says_so_when_the_section_is_empty(client, politics):
    response = client.get(_url(politics))

    assert response.status_code == 200
    assert "No articles here yet." in response.content.decode()


def test_it_is_404_for_an_unknown_section(client, politics):
    response = client.get(reverse("newsroom-section", args=["no-such-section"]))

    assert response.status_code == 404


def test_it_finds_a_section_with_a_unicode_slug(client, db):
    world = Section.objects.create(name="Мир", slug="мир")
    _article(world, "world-news")

    response = client.get(world.get_absolute_url())

    assert response.status_code == 200
    assert [a.slug for a in response.context["page"]] == ["world-news"]


def test_it_paginates(client, politics, settings):
    settings.ARTICLES_PER_PAGE = 2
    for i in range(3):
        _article(politics, f"a-{i}", hours_ago=i + 1)

    second = client.get(_url(politics), {"page": "2"})
    junk = client.get(_url(politics), {"page": "<script>"})

    assert [a.slug for a in second.context["page"]] == ["a-2"]
    assert 'href="?page=1" rel="prev"' in second.content.decode()
    assert junk.status_code == 200
    assert [a.slug for a in junk.context["page"]] == ["a-0", "a-1"]
    assert "<script>" not in junk.content.decode().split("</head>")[1]


def _queries(client, url):
    Site.objects.clear_cache()
    cache.clear()  # the site mode, like the site, is cached after a request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _fill(section, count, *, start=0):
    authors = [
        Author.objects.get_or_create(name=f"Author {n}", slug=f"author-{n}")[0]
        for n in range(2)
    ]
    for i in range(start, start + count):
        article = _article(section, f"n-{i}", hours_ago=i + 1)
        for position, author in enumerate(authors):
            Byline.objects.create(article=article, author=author, position=position)


def test_it_runs_as_many_queries_for_30_articles_as_for_3(client, politics, settings):
    settings.ARTICLES_PER_PAGE = 50
    _fill(politics, 3)
    few = _queries(client, _url(politics))

    _fill(politics, 27, start=3)
    many = _queries(client, _url(politics))

    assert many == few
