"""What search engines and link previews read from pages: JSON-LD, canonical
links, OpenGraph and Twitter tags."""

import json
import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.sites.models import Site

from accounts.privacy import delete_account
from discussion import actions
from discussion.models import Comment
from discussion.tests.conftest import make_comments
from moderation.actions import remove_comment
from newsroom.models import Article, Author, Byline, Tag

SITE_URL = "https://news.example.org"
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def bylined(article):
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    bo = Author.objects.create(name="Bo Other", slug="bo")
    Byline.objects.create(article=article, author=ann, position=0)
    Byline.objects.create(article=article, author=bo, position=1)
    article.tags.add(Tag.objects.create(name="Syria", slug="syria"))
    article.lead = "Washington said no."
    article.save()
    return article


def _structured(html: str) -> dict:
    found = LD.findall(html)
    assert len(found) == 1
    return json.loads(found[0])


class _Head(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.links["canonical"] = attrs["href"]


def _head(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def test_an_article_page_describes_the_article(client, bylined):
    html = client.get(bylined.get_absolute_url()).content.decode()
    data = _structured(html)
    url = f"{SITE_URL}/articles/{bylined.slug}/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == bylined.title
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert data["url"] == url
    assert data["@id"] != url  # the article is not the page
    assert data["author"] == [
        {"@type": "Person", "name": "Ann Writer", "url": f"{SITE_URL}/authors/ann/"},
        {"@type": "Person", "name": "Bo Other", "url": f"{SITE_URL}/authors/bo/"},
    ]
    published = datetime.fromisoformat(data["datePublished"])
    assert published == bylined.published_at.replace(microsecond=0)
    modified = datetime.fromisoformat(data["dateModified"])
    assert modified == bylined.updated_at.replace(microsecond=0)
    assert data["articleSection"] == "Politics"
    assert data["inLanguage"] == "en"
    assert data["description"] == "Washington said no."
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == Site.objects.get_current().name
    assert data["commentCount"] == 0
    assert data["comment"] == []


def test_it_has_canonical_opengraph_and_twitter_tags(client, bylined):
    head = _head(client.get(bylined.get_absolute_url() + "?sort=best").content.decode())
    url = f"{SITE_URL}/articles/{bylined.slug}/"
    # Every sort and part of the thread names the article as canonical.
    assert head.links["canonical"] == url
    meta = head.meta
    assert meta["og:type"] == ["article"]
    assert meta["og:title"] == [bylined.title]
    assert meta["og:url"] == [url]
    assert meta["og:description"] == ["Washington said no."]
    assert meta["og:site_name"] == [Site.objects.get_current().name]
    assert meta["og:locale"] == ["en_US"]
    published = datetime.fromisoformat(meta["article:published_time"][0])
    assert published == bylined.published_at
    assert meta["article:section"] == ["Politics"]
    assert meta["article:author"] == [
        f"{SITE_URL}/authors/ann/",
        f"{SITE_URL}/authors/bo/",
    ]
    assert meta["article:tag"] == ["Syria"]
    assert meta["twitter:card"] == ["summary"]
    assert meta["twitter:title"] == [bylined.title]


def test_it_lists_published_comments_with_replies_pointing_to_parents(
    client, article, alice, bob, maude, no_rate_limit
):
    first = actions.post_comment(article=article, author=alice, body="First *one*")
    reply = actions.post_comment(
        article=article, author=bob, body="A reply\n\nin two paragraphs", parent=first
    )
    removed = actions.post_comment(article=article, author=bob, body="Abusive")
    orphan = actions.post_comment(
        article=article, author=alice, body="Under a removed one", parent=removed
    )
    remove_comment(actor=maude, comment=removed, reason="abuse")
    pending = actions.post_comment(article=article, author=alice, body="Held back")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)

    # A moderator's page shows the pending comment, but not as data.
    client.force_login(maude)
    for _ in range(2):
        data = _structured(client.get(article.get_absolute_url()).content.decode())
        numbers = [item["url"].rsplit("/", 2)[-2] for item in data["comment"]]
        assert numbers == ["1", "1.1", orphan.number]
        client.logout()

    assert data["commentCount"] == 3
    base = f"{SITE_URL}/articles/{article.slug}/comments"
    top, answer, under_removed = data["comment"]
    assert top == {
        "@type": "Comment",
        "@id": f"{base}/1/",
        "url": f"{base}/1/",
        "author": {
            "@type": "Person",
            "name": "alice",
            "url": f"{SITE_URL}/accounts/readers/alice/",
        },
        "dateCreated": first.created_at.replace(microsecond=0).isoformat(),
        "text": "First one",
    }
    assert answer["parentItem"] == {"@id": top["@id"]}
    assert answer["text"] == "A reply\n\nin two paragraphs"
    assert answer["author"]["name"] == "bob"
    assert reply.number == "1.1"
    # The removed parent keeps its number and permalink: the reply names it.
    assert under_removed["parentItem"] == {"@id": f"{base}/{removed.number}/"}
    text = json.dumps(data)
    assert "Abusive" not in text
    assert "Held back" not in text


def test_a_comment_of_a_deleted_account_has_no_author(client, article, alice):
    actions.post_comment(article=article, author=alice, body="Mine")
    delete_account(alice)
    article.refresh_from_db()
    (item,) = _structured(client.get(article.get_absolute_url()).content.decode())[
        "comment"
    ]
    assert "author" not in item
    assert item["text"] == "Mine"


def test_a_hostile_comment_cannot_leave_the_script_element(client, article, alice):
    hostile = '</script><script>alert("x")</script><!-- & "quotes" \u2028'
    actions.post_comment(article=article, author=alice, body=hostile)
    html = client.get(article.get_absolute_url()).content.decode()
    # The element ends at its own closing tag, and what is inside is JSON
    # holding the text exactly as written.
    data = _structured(html)
    assert data["comment"][0]["text"] == hostile.strip()
    raw = LD.search(html).group(1)
    assert "<" not in raw
    assert ">" not in raw
    assert '<script>alert("x")' not in html


def test_a_hostile_title_cannot_leave_the_script_element(client, section):
    article = Article.objects.create(
        title="</script><script>alert(1)</script>",
        slug="hostile",
        body="Body",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=datetime.now().astimezone(),
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert _structured(html)["headline"] == article.title
    assert "<script>alert(1)" not in html


def test_a_long_thread_describes_the_part_shown(client, article, alice, bob, settings):
    settings.TRIBUNE_THREAD_PAGE_SIZE = 10
    make_comments(article, [alice, bob], 50)  # 20 top-level, each with replies
    first = _structured(client.get(article.get_absolute_url()).content.decode())
    second = _structured(
        client.get(article.get_absolute_url() + "?page=2").content.decode()
    )
    assert first["commentCount"] == second["commentCount"] == 50

    def tops(data):
        return {
            item["url"].rsplit("/", 2)[-2].split(".")[0] for item in data["comment"]
        }

    assert tops(first) == {str(n) for n in range(1, 11)}
    assert tops(second) == {str(n) for n in range(11, 21)}
    assert len(first["comment"]) + len(second["comment"]) == 50


def test_a_new_comment_reaches_the_cached_page_data(client, article, alice):
    assert (
        _structured(client.get(article.get_absolute_url()).content.decode())[
            "commentCount"
        ]
        == 0
    )
    actions.post_comment(article=article, author=alice, body="News")
    data = _structured(client.get(article.get_absolute_url()).content.decode())
    assert data["commentCount"] == 1
    assert data["comment"][0]["text"] == "News"


def test_listing_pages_have_canonical_and_opengraph(client, bylined):
    section = _head(client.get("/sections/politics/?page=1").content.decode())
    assert section.links["canonical"] == f"{SITE_URL}/sections/politics/"
    assert section.meta["og:type"] == ["website"]
    assert section.meta["og:title"] == ["Politics"]
    assert section.meta["og:url"] == [f"{SITE_URL}/sections/politics/"]
    assert section.meta["og:site_name"] == [Site.objects.get_current().name]
    author = _head(client.get("/authors/ann/").content.decode())
    assert author.links["canonical"] == f"{SITE_URL}/authors/ann/"
    assert author.meta["og:title"] == ["Ann Writer"]
    front = _head(client.get("/").content.decode())
    assert front.links["canonical"] == f"{SITE_URL}/"
    assert front.meta["og:title"] == [Site.objects.get_current().name]


def test_a_later_part_of_a_listing_is_its_own_canonical_page(client, section, settings):
    settings.ARTICLES_PER_PAGE = 1
    for n in range(2):
        Article.objects.create(
            title=f"A{n}",
            slug=f"a{n}",
            body="Body",
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=datetime.now().astimezone(),
        )
    head = _head(client.get("/sections/politics/?page=2").content.decode())
    assert head.links["canonical"] == f"{SITE_URL}/sections/politics/?page=2"


def test_a_preview_is_not_for_search_engines(client, eddie, section):
    article = Article.objects.create(
        title="Draft", slug="draft", body="Body", section=section
    )
    client.force_login(eddie)
    head = _head(client.get(f"/articles/{article.slug}/preview/").content.decode())
    assert head.meta["robots"] == ["noindex, nofollow"]


def test_without_a_lead_the_description_is_the_start_of_the_text(client, article):
    assert not article.lead
    head = _head(client.get(article.get_absolute_url()).content.decode())
    (description,) = head.meta["og:description"]
    assert description.startswith("The Americans once again made it clear")
    assert len(description) <= 301
    assert "<" not in description


def test_the_escaping_is_django_json_scripts():
    from django.utils.html import json_script

    from newsroom.seo import escaped_json

    data = {"text": '</script><!-- & "q" \\ <b>', "n": [1, True, None]}
    element = json_script(data)
    assert escaped_json(data) == element.removeprefix(
        '<script type="application/json">'
    ).removesuffix("</script>")
    # Text beyond ASCII is kept as written, and is still inert.
    assert escaped_json({"t": "Привет </script>"}) == (
        '{"t": "Привет \\u003C/script\\u003E"}'
    )


def test_plain_text_of_sanitized_comment_html():
    from lib.markdown import render_comment
    from newsroom.seo import plain_text

    html = render_comment(
        '> quoted\n\nSee [the "a>b" link](https://x.org/?a=1&b=2 "t>i<t")'
        " & more\n\n- one\n- two"
    )
    assert plain_text(html) == 'quoted\n\nSee the "a>b" link & more\n\none\n\ntwo'
