"""sitemap.xml, the Google News sitemap and robots.txt, read as crawlers do."""

from datetime import datetime, timedelta

import pytest
from defusedxml import ElementTree
from django.contrib.sites.models import Site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsroom.models import Article, Author, Byline, Section, Tag

SITE_URL = "https://news.example.org"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def _article(section, slug, *, hours_ago=1.0, status=None, **extra):
    return Article.objects.create(
        title=extra.pop("title", f"Title {slug}"),
        slug=slug,
        body=f"Body of {slug}.",
        section=section,
        status=status or Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )


@pytest.fixture
def newsroom(section):
    empty = Section.objects.create(name="Empty", slug="empty")
    hidden = Section.objects.create(name="Hidden", slug="hidden")
    ann = Author.objects.create(name="Ann", slug="ann")
    nobody = Author.objects.create(name="Nobody", slug="nobody")
    syria = Tag.objects.create(name="Syria", slug="syria")
    unused = Tag.objects.create(name="Unused", slug="unused")
    fresh = _article(section, "fresh", hours_ago=1, title="Tom & Jerry <talk>")
    yesterday = _article(section, "yesterday", hours_ago=30, language="ru")
    old = _article(section, "old", hours_ago=24 * 3)
    _article(section, "draft", hours_ago=1, status=Article.Status.DRAFT)
    future = _article(hidden, "future", hours_ago=-3, status=Article.Status.SCHEDULED)
    for article in (fresh, old):
        Byline.objects.create(article=article, author=ann)
        article.tags.add(syria)
    Byline.objects.create(article=future, author=nobody)
    future.tags.add(unused)
    return {"empty": empty, "yesterday": yesterday}


def _xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)


def _locations(root, tag="url"):
    return [node.findtext(f"{SM}loc") for node in root.iter(f"{SM}{tag}")]


def test_the_index_names_every_sitemap_on_the_site_url(client, newsroom):
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    assert _locations(index, "sitemap") == [
        f"{SITE_URL}/sitemaps/{name}.xml"
        for name in ("articles", "sections", "authors", "tags")
    ]


def test_the_sitemaps_list_what_readers_can_see(client, newsroom):
    articles = _locations(_xml(client, "/sitemaps/articles.xml"))
    assert articles == [
        f"{SITE_URL}/articles/{slug}/" for slug in ("fresh", "yesterday", "old")
    ]
    # Listings with something visible in them; empty ones are left out.
    assert _locations(_xml(client, "/sitemaps/sections.xml")) == [
        f"{SITE_URL}/sections/politics/"
    ]
    assert _locations(_xml(client, "/sitemaps/authors.xml")) == [
        f"{SITE_URL}/authors/ann/"
    ]
    assert _locations(_xml(client, "/sitemaps/tags.xml")) == [f"{SITE_URL}/tags/syria/"]
    assert client.get("/sitemaps/nothing.xml").status_code == 404


def test_it_dates_entries_by_their_last_change(client, newsroom):
    root = _xml(client, "/sitemaps/articles.xml")
    dates = [node.findtext(f"{SM}lastmod") for node in root.iter(f"{SM}url")]
    yesterday = newsroom["yesterday"]
    expected = timezone.localtime(yesterday.updated_at).date().isoformat()
    assert dates[1] == expected


def test_the_news_sitemap_holds_the_last_two_days(client, newsroom):
    root = _xml(client, "/sitemap-news.xml")
    assert root.tag == f"{SM}urlset"
    urls = list(root.iter(f"{SM}url"))
    assert [url.findtext(f"{SM}loc") for url in urls] == [
        f"{SITE_URL}/articles/fresh/",
        f"{SITE_URL}/articles/yesterday/",
    ]
    fresh, yesterday = urls
    news = fresh.find(f"{NEWS}news")
    publication = news.find(f"{NEWS}publication")
    assert publication.findtext(f"{NEWS}name") == Site.objects.get_current().name
    assert publication.findtext(f"{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Tom & Jerry <talk>"
    published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))
    article = Article.objects.get(slug="fresh")
    assert published == article.published_at
    language = yesterday.find(f"{NEWS}news/{NEWS}publication/{NEWS}language")
    assert language.text == "ru"
    # Two days back exactly: one published just inside the window is listed.
    _article(Section.objects.get(slug="politics"), "edge", hours_ago=47.9)
    _article(Section.objects.get(slug="politics"), "outside", hours_ago=48.1)
    slugs = [
        loc.rstrip("/").rsplit("/", 1)[-1]
        for loc in _locations(_xml(client, "/sitemap-news.xml"))
    ]
    assert slugs == ["fresh", "yesterday", "edge"]


def test_sitemaps_run_the_same_queries_for_3_and_30_articles(client, section):
    client.get("/sitemap.xml")  # the Site lookup is cached after this
    ann = Author.objects.create(name="Ann", slug="ann")
    tag = Tag.objects.create(name="Syria", slug="syria")

    def add(start, count):
        for n in range(start, start + count):
            article = _article(section, f"a{n}", hours_ago=1 + n)
            Byline.objects.create(article=article, author=ann)
            article.tags.add(tag)

    def queries():
        counts = {}
        for url in (
            "/sitemap.xml",
            "/sitemaps/articles.xml",
            "/sitemaps/authors.xml",
            "/sitemaps/tags.xml",
            "/sitemap-news.xml",
        ):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts[url] = len(captured)
        return counts

    add(0, 3)
    small = queries()
    add(3, 27)
    assert len(_locations(_xml(client, "/sitemaps/articles.xml"))) == 30
    assert queries() == small


def test_robots_allows_the_public_site_and_names_the_sitemaps(client, newsroom):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {
        line.split(": ", 1)[1] for line in lines if line.startswith("Disallow")
    }
    assert {"/admin/", "/accounts/", "/moderation/"} <= disallowed
    # Articles, sections, authors, tags and feeds stay open.
    for public in ("/articles/", "/sections/", "/authors/", "/tags/", "/feeds/"):
        assert not any(public.startswith(path) for path in disallowed), public
    assert "Allow: /" in lines
    sitemaps = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap")]
    assert sitemaps == [f"{SITE_URL}/sitemap.xml", f"{SITE_URL}/sitemap-news.xml"]
    for url in sitemaps:
        assert client.get(url.removeprefix(SITE_URL)).status_code == 200
    assert client.post("/robots.txt").status_code == 405
