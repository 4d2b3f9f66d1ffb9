"""RSS and Atom feeds of articles and of comments, read as a feed reader would."""

from datetime import timedelta

import feedparser
import pytest
from django.contrib.sites.models import Site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussion import actions
from discussion.models import Comment
from moderation.actions import remove_comment
from newsroom.models import Article, Author, Byline, Section, Tag

SITE_URL = "https://news.example.org"
KINDS = ["rss", "atom"]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def _article(section, slug, *, hours_ago=1.0, status=None, **extra):
    return Article.objects.create(
        title=extra.pop("title", f"Title {slug}"),
        slug=slug,
        body=extra.pop("body", f"Body of {slug}."),
        section=section,
        status=status or Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )


@pytest.fixture
def newsroom(section):
    """Published articles in two sections, a draft, a due and a future one."""
    world = Section.objects.create(name="World", slug="world")
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    bo = Author.objects.create(name="Bo Other", slug="bo")
    syria = Tag.objects.create(name="Syria", slug="syria")
    old = _article(section, "old", hours_ago=5, lead="An old <b>lead</b> & more")
    _article(section, "new", hours_ago=1)
    abroad = _article(world, "abroad", hours_ago=3)
    due = _article(section, "due", hours_ago=2, status=Article.Status.SCHEDULED)
    _article(section, "draft", hours_ago=0.5, status=Article.Status.DRAFT)
    _article(section, "future", hours_ago=-2, status=Article.Status.SCHEDULED)
    Byline.objects.create(article=old, author=ann, position=0)
    Byline.objects.create(article=old, author=bo, position=1)
    Byline.objects.create(article=abroad, author=ann)
    Byline.objects.create(article=due, author=bo)
    old.tags.add(syria)
    abroad.tags.add(syria)
    return {"world": world, "ann": ann, "bo": bo, "syria": syria}


def _read(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return response, feed


def _slugs(feed):
    return [entry.link.rstrip("/").rsplit("/", 1)[-1] for entry in feed.entries]


@pytest.mark.parametrize("kind", KINDS)
def test_it_lists_visible_articles_newest_first(client, newsroom, kind):
    response, feed = _read(client, reverse(f"newsroom-feed-{kind}"))
    expected = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    assert response["Content-Type"].startswith(expected)
    # Drafts and articles scheduled for later are absent; a due one is there.
    assert _slugs(feed) == ["new", "due", "abroad", "old"]
    assert feed.feed.title == Site.objects.get_current().name
    assert feed.feed.link == f"{SITE_URL}/"
    old = feed.entries[-1]
    assert old.link == f"{SITE_URL}/articles/old/"
    assert old.title == "Title old"
    assert old.author == "Ann Writer and Bo Other"
    assert {tag.term for tag in old.tags} == {"Politics", "Syria"}
    published = Article.objects.get(slug="old").published_at
    assert old.published_parsed[:6] == published.utctimetuple()[:6]


@pytest.mark.parametrize("kind", KINDS)
def test_it_escapes_the_lead_and_keeps_the_sanitized_body(client, section, kind):
    _article(
        section,
        "xss",
        lead="Lead <script>alert(1)</script>",
        body="Body <script>alert(2)</script> and **bold**",
    )
    response, feed = _read(client, reverse(f"newsroom-feed-{kind}"))
    summary = feed.entries[0].summary
    assert "<strong>bold</strong>" in summary
    assert "<script" not in summary
    assert "&lt;script&gt;alert(1)" in summary
    # Nowhere in the document is there markup that the escaping let through.
    assert b"<script" not in response.content


@pytest.mark.parametrize("kind", KINDS)
def test_it_narrows_to_a_section_an_author_and_a_tag(client, newsroom, kind):
    _, section = _read(client, reverse(f"newsroom-section-feed-{kind}", args=["world"]))
    assert _slugs(section) == ["abroad"]
    assert section.feed.title == f"{Site.objects.get_current().name}: World"
    assert section.feed.link == f"{SITE_URL}/sections/world/"
    _, author = _read(client, reverse(f"newsroom-author-feed-{kind}", args=["bo"]))
    assert _slugs(author) == ["due", "old"]
    _, tag = _read(client, reverse(f"newsroom-tag-feed-{kind}", args=["syria"]))
    assert _slugs(tag) == ["abroad", "old"]


def test_it_answers_404_for_unknown_scopes(client, newsroom, article):
    assert client.get("/sections/nowhere/feed/rss/").status_code == 404
    assert client.get("/authors/nobody/feed/atom/").status_code == 404
    assert client.get("/tags/nothing/feed/rss/").status_code == 404
    assert client.get("/articles/draft/comments/feed/rss/").status_code == 404
    assert client.get("/articles/future/comments/feed/atom/").status_code == 404
    assert client.get("/articles/missing/comments/feed/rss/").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_it_answers_304_until_an_article_changes(client, newsroom, kind):
    url = reverse(f"newsroom-feed-{kind}")
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    _article(Section.objects.get(slug="world"), "fresh", hours_ago=0.1)
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    assert "fresh" in _slugs(feedparser.parse(fresh.content))

    # Withdrawing an article changes both validators (Last-Modified counts
    # whole seconds: the withdrawal happens a few seconds later).
    etag = fresh["ETag"]
    Article.objects.filter(slug="old").update(
        status=Article.Status.DRAFT, updated_at=timezone.now() + timedelta(seconds=3)
    )
    after = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert "old" not in _slugs(feedparser.parse(after.content))
    withdrawn = client.get(url, HTTP_IF_MODIFIED_SINCE=fresh["Last-Modified"])
    assert withdrawn.status_code == 200


def test_a_section_feed_has_its_own_validator(client, newsroom):
    url = reverse("newsroom-section-feed-rss", args=["world"])
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A new article elsewhere leaves this section's feed as it was.
    _article(Section.objects.get(slug="politics"), "elsewhere", hours_ago=0.1)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    _article(newsroom["world"], "here", hours_ago=0.1)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "name,args",
    [
        ("newsroom-feed-rss", []),
        ("newsroom-feed-atom", []),
        ("newsroom-section-feed-rss", ["politics"]),
        ("newsroom-author-feed-atom", ["ann"]),
        ("newsroom-tag-feed-rss", ["syria"]),
    ],
)
def test_article_feeds_run_the_same_queries_for_3_and_30_items(
    client, section, name, args
):
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    syria = Tag.objects.create(name="Syria", slug="syria")
    client.get(reverse("newsroom-feed-rss"))  # the Site lookup is cached after this

    def add(count):
        start = Article.objects.count()
        for n in range(start, start + count):
            article = _article(section, f"a{n}")
            Byline.objects.create(article=article, author=ann)
            article.tags.add(syria)

    add(3)
    url = reverse(name, args=args)
    small = _queries(client, url)
    add(27)
    _, feed = _read(client, url)
    assert len(feed.entries) == 30
    assert _queries(client, url) == small
    # Validators, articles, bylines with authors, tags; plus the scope's row.
    assert small == (4 if not args else 5)


def _thread(article, alice, bob, maude):
    first = actions.post_comment(article=article, author=alice, body="First")
    reply = actions.post_comment(
        article=article, author=bob, body="A reply", parent=first
    )
    removed = actions.post_comment(article=article, author=bob, body="Abusive")
    remove_comment(actor=maude, comment=removed, reason="abuse")
    pending = actions.post_comment(article=article, author=alice, body="Held back")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)
    deleted = actions.post_comment(article=article, author=alice, body="Regretted")
    actions.delete_comment(comment=deleted, user=alice)
    last = actions.post_comment(article=article, author=bob, body="Last **word**")
    return first, reply, last


@pytest.mark.parametrize("kind", KINDS)
def test_it_lists_published_comments_newest_first(
    client, article, alice, bob, maude, no_rate_limit, kind
):
    _, _, last = _thread(article, alice, bob, maude)
    url = reverse(f"newsroom-comments-feed-{kind}", args=[article.slug])
    _, feed = _read(client, url)
    assert [entry.title for entry in feed.entries] == [
        f"Comment {last.number} by bob",
        "Comment 1.1 by bob",
        "Comment 1 by alice",
    ]
    newest = feed.entries[0]
    assert newest.link == f"{SITE_URL}/articles/{article.slug}/comments/{last.number}/"
    assert newest.author == "bob"
    assert "<strong>word</strong>" in newest.summary
    assert newest.published_parsed[:6] == last.created_at.utctimetuple()[:6]
    assert feed.feed.link == f"{SITE_URL}{article.get_absolute_url()}#comments"
    text = " ".join(entry.summary for entry in feed.entries)
    for hidden in ("Abusive", "Held back", "Regretted"):
        assert hidden not in text
    # The permalink leads to the comment's anchor on the article page.
    redirect = client.get(newest.link.removeprefix(SITE_URL))
    assert redirect["Location"] == f"{article.get_absolute_url()}#c{last.number}"


def test_a_hostile_comment_stays_text_in_the_feed(client, article, alice):
    actions.post_comment(
        article=article, author=alice, body="</description><script>x()</script>"
    )
    response, feed = _read(
        client, reverse("newsroom-comments-feed-rss", args=[article.slug])
    )
    assert "<script" not in feed.entries[0].summary
    assert "&lt;script&gt;" in feed.entries[0].summary
    assert b"<script" not in response.content


def test_the_comment_feed_answers_304_until_the_thread_changes(
    client, article, alice, bob, no_rate_limit
):
    first = actions.post_comment(article=article, author=alice, body="First")
    url = reverse("newsroom-comments-feed-atom", args=[article.slug])
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    actions.post_comment(article=article, author=bob, body="Second", parent=first)
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert len(feedparser.parse(fresh.content).entries) == 2


def test_the_comment_feed_runs_the_same_queries_for_3_and_30_comments(
    client, article, alice, bob
):
    from discussion.tests.conftest import make_comments
    from newsroom.pagecache import forget

    other = _article(article.section, "other")
    make_comments(article, [alice, bob], 3)
    make_comments(other, [alice, bob], 30)
    client.get(reverse("newsroom-feed-rss"))  # the Site lookup is cached after this
    forget()
    small = _queries(client, reverse("newsroom-comments-feed-rss", args=["other"]))
    forget()
    large = _queries(client, reverse("newsroom-comments-feed-rss", args=[article.slug]))
    assert small == large == 3  # the validator, the article, the comments


def test_pages_point_to_their_feeds(client, newsroom, article):
    front = client.get("/").content.decode()
    assert 'type="application/rss+xml"' in front
    assert f'href="{reverse("newsroom-feed-atom")}"' in front
    section = client.get("/sections/world/").content.decode()
    assert 'href="/sections/world/feed/rss/"' in section
    assert 'href="/sections/world/feed/atom/"' in section
    author = client.get("/authors/ann/").content.decode()
    assert 'href="/authors/ann/feed/rss/"' in author
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'href="/articles/{article.slug}/comments/feed/rss/"' in page
    assert f'href="/articles/{article.slug}/comments/feed/atom/"' in page
    for url in (
        "/sections/world/feed/atom/",
        "/authors/ann/feed/rss/",
        f"/articles/{article.slug}/comments/feed/rss/",
    ):
        assert client.get(url).status_code == 200
