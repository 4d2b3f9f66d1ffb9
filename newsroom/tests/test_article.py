"""The article page as readers see it, and what it refuses to show."""

import json
import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article, Author, Byline, Source, Tag

BODY = """The Americans once again made it clear.

> A quotation that is not a paragraph of ours.

Noble Americans are fighting with **bearded terrorists**.

- a list item
"""


def _article(section, slug="syria", *, hours_ago=1, **extra):
    return Article.objects.create(
        title=extra.pop("title", "Proposal for joint operations is not discussed."),
        slug=slug,
        body=extra.pop("body", BODY),
        section=section,
        status=extra.pop("status", Article.Status.PUBLISHED),
        published_at=(
            None if hours_ago is None else timezone.now() - timedelta(hours=hours_ago)
        ),
        **extra,
    )


@pytest.fixture
def article(section):
    article = _article(section, lead="Washington said no.")
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    bo = Author.objects.create(name="Bo Other", slug="bo")
    Byline.objects.create(
        article=article, author=ann, position=0, role="Observed and commented on"
    )
    Byline.objects.create(article=article, author=bo, position=1)
    article.tags.set(
        [
            Tag.objects.create(name="Syria", slug="syria"),
            Tag.objects.create(name="USA", slug="usa"),
        ]
    )
    Source.objects.create(
        article=article, title="Kommersant", url="https://kommersant.example/a"
    )
    Source.objects.create(article=article, title="Private conversation", position=1)
    Article.objects.filter(pk=article.pk).update(comment_count=2)
    article.refresh_from_db()
    return article


def _get(client, slug):
    return client.get(reverse("newsroom-article", args=[slug]))


def test_it_shows_the_article(client, article):
    response = _get(client, "syria")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Proposal for joint operations is not discussed.</h1>" in html
    assert '<p class="lead">Washington said no.</p>' in html
    assert '<a href="/sections/politics/">Politics</a>' in html
    local = timezone.localtime(article.published_at)
    assert f'<time datetime="{local.isoformat()}">' in html
    assert '<a href="#comments">2 comments</a>' in html


def test_it_shows_the_byline_with_its_role(client, article):
    html = " ".join(_get(client, "syria").content.decode().split())

    assert (
        '<p class="byline">Observed and commented on '
        '<a href="/authors/ann/" rel="author">Ann Writer</a> and '
        '<a href="/authors/bo/" rel="author">Bo Other</a> </p>'
    ) in html


def test_it_shows_tags_and_sources(client, article):
    html = _get(client, "syria").content.decode()

    assert '<a href="/tags/syria/" rel="tag">Syria</a>, ' in html
    assert '<a href="/tags/usa/" rel="tag">USA</a>' in html
    assert (
        '<a href="https://kommersant.example/a" rel="nofollow noopener">Kommersant</a>'
    ) in html
    assert "<li>Private conversation</li>" in html


def test_it_shows_the_body_with_numbered_paragraphs(client, article):
    html = _get(client, "syria").content.decode()

    assert '<p id="p-1">The Americans once again made it clear.</p>' in html
    assert "<blockquote>\n<p>A quotation that is not a paragraph of ours.</p>" in html
    assert (
        '<p id="p-2">Noble Americans are fighting with '
        "<strong>bearded terrorists</strong>.</p>"
    ) in html
    assert 'id="p-3"' not in html


def test_it_counts_a_single_comment_in_the_singular(client, section):
    article = _article(section, "one")
    Article.objects.filter(pk=article.pk).update(comment_count=1)

    html = _get(client, "one").content.decode()

    assert '<a href="#comments">1 comment</a>' in html


def test_it_reads_by_default_without_a_role(client, section):
    article = _article(section, "plain")
    Byline.objects.create(
        article=article, author=Author.objects.create(name="Cy", slug="cy")
    )

    html = _get(client, "plain").content.decode()

    assert 'By <a href="/authors/cy/" rel="author">Cy</a>' in html


def test_it_is_404_for_a_draft(client, eddie, section):
    _article(section, "draft", status=Article.Status.DRAFT, hours_ago=None)
    _article(section, "dated-draft", status=Article.Status.DRAFT, hours_ago=5)

    assert _get(client, "draft").status_code == 404
    assert _get(client, "dated-draft").status_code == 404
    # Editors preview drafts; the public address stays closed to them too.
    client.force_login(eddie)
    assert _get(client, "draft").status_code == 404


@pytest.mark.parametrize("status", [Article.Status.SCHEDULED, Article.Status.PUBLISHED])
def test_it_is_404_until_the_publication_time(client, alice, section, status):
    _article(section, "later", status=status, hours_ago=-1)
    client.force_login(alice)

    assert _get(client, "later").status_code == 404


def test_it_shows_a_scheduled_article_once_due(client, section):
    _article(section, "due", status=Article.Status.SCHEDULED, hours_ago=0.001)

    assert _get(client, "due").status_code == 200


def test_it_is_404_for_an_unknown_article(client, article):
    assert _get(client, "no-such-article").status_code == 404


def test_it_shows_the_same_article_to_a_signed_in_reader(client, alice, article):
    client.force_login(alice)

    response = _get(client, "syria")

    assert response.status_code == 200
    assert '<p id="p-1">' in response.content.decode()


# --- editor-written fields are inert ----------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._in_script = False
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            scheme = re.sub(r"[\x00-\x20]", "", unescape(value or "")).lower()
            if name in ("href", "src", "action", "formaction") and (
                scheme.startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            # Structured data: inert, and must be JSON to its end.
            self._in_data = True
            return
        if tag in ("script", "svg", "iframe", "object", "embed"):
            # The site's own scripts load from /static/ and carry no code.
            src = dict(attrs).get("src") or ""
            if tag != "script" or not src.startswith("/static/"):
                self.problems.append(f"<{tag}>")
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = False
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            try:
                json.loads(data)
            except ValueError:
                self.problems.append(f"broken structured data {data!r}")
        elif self._in_script and data.strip():
            self.problems.append(f"inline script {data!r}")


def _problems(html):
    page = _Page()
    page.feed(html)
    page.close()
    return page.problems


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("path", ["newsroom-article", "newsroom-front"])
def test_it_renders_editor_payloads_inert(client, section, payload, path):
    article = _article(
        section,
        "xss",
        title=f"Title {payload}",
        lead=f"Lead {payload}",
        body=f"Body {payload}\n\n{payload}",
    )
    Byline.objects.create(
        article=article,
        author=Author.objects.create(name=f"Name {payload}", slug="mallory"),
        role=f"Role {payload}",
    )
    article.tags.add(Tag.objects.create(name=f"Tag {payload}", slug="tag"))
    Source.objects.create(article=article, title=f"Source {payload}")
    url = reverse(path, args=["xss"] if path == "newsroom-article" else [])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Title " in html
    assert _problems(html) == []
    # Payloads appear only as escaped text; the parser found no live markup.
    for raw in ("<script>alert", "<img src=x", "<svg"):
        assert raw not in html


def test_it_shows_a_script_in_the_title_as_text(client, section):
    _article(section, "xss", title="<script>alert(1)</script>")

    html = _get(client, "xss").content.decode()

    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; — " in html
