"""The front page: latest visible articles, then the latest of each section."""

from datetime import timedelta

import pytest
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article, Author, Byline, Section

FRONT = reverse("newsroom-front")


@pytest.fixture
def politics(db):
    return Section.objects.create(name="Politics", slug="politics", position=1)


@pytest.fixture
def economy(db):
    return Section.objects.create(name="Economy", slug="economy", position=2)


def _article(section, slug, *, hours_ago=1, status=Article.Status.PUBLISHED, **extra):
    when = None if hours_ago is None else timezone.now() - timedelta(hours=hours_ago)
    return Article.objects.create(
        title=extra.pop("title", slug.replace("-", " ").title()),
        slug=slug,
        body=extra.pop("body", "Text."),
        section=section,
        status=status,
        published_at=when,
        **extra,
    )


def _titles(response, key="page"):
    return [a.title for a in response.context[key]]


def test_it_lists_visible_articles_newest_first(client, politics, economy):
    _article(politics, "oldest", hours_ago=30)
    _article(economy, "newest", hours_ago=1)
    _article(politics, "middle", hours_ago=5)

    response = client.get(FRONT)

    assert response.status_code == 200
    assert _titles(response) == ["Newest", "Middle", "Oldest"]
    html = response.content.decode()
    assert html.index("Newest") < html.index("Middle") < html.index("Oldest")
    assert 'href="/articles/newest/"' in html


def test_it_shows_the_latest_five_of_each_section(client, politics, economy):
    for i in range(7):
        _article(politics, f"politics-{i}", hours_ago=i + 1)
    _article(economy, "economy-0", hours_ago=2)
    Section.objects.create(name="Empty", slug="empty", position=3)

    response = client.get(FRONT)

    sections = response.context["sections"]
    assert [section.name for section, _ in sections] == ["Politics", "Economy"]
    assert [a.slug for a in sections[0][1]] == [f"politics-{i}" for i in range(5)]
    assert [a.slug for a in sections[1][1]] == ["economy-0"]
    html = response.content.decode()
    assert '<a href="/sections/politics/">Politics</a></h2>' in html
    assert "/sections/empty/" not in html


def test_it_hides_drafts_and_articles_scheduled_for_later(client, politics):
    _article(politics, "published", title="Published piece")
    _article(politics, "draft", status=Article.Status.DRAFT, title="Draft piece")
    _article(
        politics, "dated-draft", status=Article.Status.DRAFT, title="Dated draft piece"
    )
    _article(
        politics,
        "scheduled",
        hours_ago=-2,
        status=Article.Status.SCHEDULED,
        title="Scheduled piece",
    )
    _article(politics, "future", hours_ago=-2, title="Future published piece")

    response = client.get(FRONT)

    html = response.content.decode()
    assert _titles(response) == ["Published piece"]
    assert [a.title for a in response.context["sections"][0][1]] == ["Published piece"]
    for hidden in ("Draft piece", "Dated draft piece", "Scheduled piece", "Future"):
        assert hidden not in html


def test_it_shows_a_scheduled_article_once_its_time_has_come(client, politics):
    _article(
        politics,
        "was-scheduled",
        hours_ago=0.01,
        status=Article.Status.SCHEDULED,
        title="Due now",
    )

    response = client.get(FRONT)

    assert _titles(response) == ["Due now"]


def test_it_says_so_when_nothing_is_published(client, politics):
    _article(politics, "draft", status=Article.Status.DRAFT, hours_ago=None)

    response = client.get(FRONT)

    assert "Nothing has been published yet." in response.content.decode()
    assert response.context["sections"] == []


def test_it_shows_bylines_and_comment_counts_in_the_list(client, politics):
    article = _article(politics, "with-byline", lead="A short lead.")
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    Byline.objects.create(article=article, author=ann, role="Observed and commented on")
    Article.objects.filter(pk=article.pk).update(comment_count=3)

    html = client.get(FRONT).content.decode()

    assert 'Observed and commented on <a href="/authors/ann/" rel="author">' in html
    assert "3 comments" in html
    assert "A short lead." in html


def test_it_paginates(client, politics, settings):
    settings.ARTICLES_PER_PAGE = 2
    for i in range(5):
        _article(politics, f"a-{i}", hours_ago=i + 1)

    first = client.get(FRONT)
    second = client.get(FRONT, {"page": 2})
    last = client.get(FRONT, {"page": 3})

    assert [a.slug for a in first.context["page"]] == ["a-0", "a-1"]
    assert [a.slug for a in second.context["page"]] == ["a-2", "a-3"]
    assert [a.slug for a in last.context["page"]] == ["a-4"]
    assert 'href="?page=2" rel="next"' in first.content.decode()
    assert "Page 2 of 3" in second.content.decode()
    # The section blocks belong to the first page only.
    assert first.context["sections"]
    assert second.context["sections"] == []


@pytest.mark.parametrize(
    ("page", "expected"),
    [("junk", 1), ("", 1), ("-1", 3), ("0", 3), ("999", 3), ("2.5", 1)],
)
def test_it_shows_a_real_page_for_a_junk_page_number(
    client, politics, settings, page, expected
):
    settings.ARTICLES_PER_PAGE = 2
    for i in range(5):
        _article(politics, f"a-{i}", hours_ago=i + 1)

    response = client.get(FRONT, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected


def _front_queries(client):
    # The site name is cached after the first request; count it every time.
    Site.objects.clear_cache()
    cache.clear()  # the site mode, like the site, is cached after a request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(FRONT)
    assert response.status_code == 200
    return len(queries)


def _fill(sections, count, *, start=0):
    authors = [
        Author.objects.get_or_create(name=f"Author {n}", slug=f"author-{n}")[0]
        for n in range(2)
    ]
    for i in range(start, start + count):
        article = _article(sections[i % len(sections)], f"n-{i}", hours_ago=i + 1)
        for position, author in enumerate(authors):
            Byline.objects.create(article=article, author=author, position=position)


def test_it_runs_as_many_queries_for_30_articles_as_for_3(client, politics, economy):
    _fill([politics, economy], 3)
    few = _front_queries(client)

    _fill([politics, economy], 27, start=3)
    many = _front_queries(client)

    assert many == few


def test_it_runs_as_many_queries_for_many_sections_as_for_two(
    client, politics, economy
):
    _fill([politics, economy], 4)
    two = _front_queries(client)

    more = [
        Section.objects.create(name=f"Section {n}", slug=f"section-{n}")
        for n in range(6)
    ]
    _fill(more, 6, start=4)
    eight = _front_queries(client)

    assert eight == two
