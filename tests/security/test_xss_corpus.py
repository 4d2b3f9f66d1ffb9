"""Every payload of the corpus through every field a person controls.

Each page that shows the field is parsed, and nothing in it may run: no
script element but the site's own files and JSON data blocks, no event
handler attribute, no javascript:/vbscript:/data: URL (after decoding
entities and dropping the characters browsers ignore), no SVG, MathML,
frame, object, embed or base element, no style attribute. The corpus holds
117 payloads (tests/security/payloads.py).
"""

import json
import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from discussion import actions as discussion
from discussion.models import Comment
from moderation.models import Report
from newsroom.models import Article
from tests.security.payloads import PAYLOADS

FORBIDDEN_ELEMENTS = {
    "svg", "math", "iframe", "frame", "object", "embed", "base", "applet",
    "template", "noscript", "xmp", "listing", "marquee", "keygen",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
_IGNORED = re.compile(r"[\x00-\x20\u200b\u200e\u200f\u202a-\u202e\ufeff]")


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._data_block = False
        self._data: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("style", "srcdoc"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES:
                scheme = _IGNORED.sub("", unescape(value)).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"<{tag} {name}={value[:40]}>")
            if name == "http-equiv":
                self.problems.append(f"<{tag} http-equiv>")
        if tag == "script":
            attrs = dict(attrs)
            kind = (attrs.get("type") or "").lower()
            if kind in ("application/json", "application/ld+json"):
                self._data_block, self._data = True, []
            elif not (attrs.get("src") or "").startswith("/static/"):
                self.problems.append("<script> not from /static/")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._data_block:
            self._data.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._data_block:
            self._data_block = False
            try:
                json.loads("".join(self._data))
            except ValueError:
                self.problems.append("a JSON data block that is not JSON")


def problems(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.problems


def test_the_checker_sees_what_it_looks_for():
    found = problems(
        '<script>x()</script><img src=x onerror="x()"><a href="jav&#x09;ascript:x">'
        '<svg></svg><p style="x"><script type="application/ld+json">{"a": </script>'
        '<script src="/static/tribune/tribune.js"></script>'
    )
    assert found == [
        "<script> not from /static/",
        "<img onerror=…>",
        "<a href=jav\tascript:x>",
        "<svg>",
        "<p style=…>",
        "a JSON data block that is not JSON",
    ]


def test_the_corpus_is_large_enough():
    assert len(set(PAYLOADS)) >= 100


@pytest.fixture
def relaxed(settings, no_rate_limit):
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    settings.TRIBUNE_LINKS_MIN_TRUST = 0
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 100_000


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_comment_text_and_quotes(client, article, alice, bob, relaxed):
    """Every payload as a comment, and quoted in a reply; the article page
    (anonymous and signed in), the comment feed and the API thread."""
    parents = []
    for payload in PAYLOADS:
        parents.append(
            discussion.post_comment(article=article, author=alice, body=payload)
        )
    for parent, payload in zip(parents[:40], PAYLOADS[:40], strict=True):
        quoted = "\n".join(f"> {line}" for line in payload.split("\n"))
        discussion.post_comment(
            article=article, author=bob, body=f"{quoted}\n\nSo?", parent=parent
        )
    url = article.get_absolute_url()
    for part in (1, 2):
        assert problems(_page(client, f"{url}?page={part}")) == []
    client.force_login(bob)
    assert problems(_page(client, url)) == []
    feed = client.get(f"{url}comments/feed/rss/").content.decode()
    assert "<script>window" not in feed  # escaped inside the XML
    thread = client.get(f"/api/v1/articles/{article.slug}/comments").json()

    def html_of(comments):
        for comment in comments:
            yield comment.get("body_html") or ""
            yield from html_of(comment.get("replies") or [])

    for html in html_of(thread["comments"]):
        assert problems(html) == [], html


def _no_nul(text: str) -> str:
    """The pages' forms refuse NUL (Django's ProhibitNullCharactersValidator)."""
    return text.replace("\x00", "")


def test_profile_fields(client, alice):
    for payload in map(_no_nul, PAYLOADS):
        alice.bio = payload
        alice.location = payload[:100]
        alice.save()
        assert problems(_page(client, alice.get_absolute_url())) == [], payload


def test_report_reasons_in_the_moderation_queue(
    client, article, alice, bob, maude, relaxed
):
    """Reports filed through the action (one per comment: one open report per
    reader and comment), then the queue pages a moderator reads."""
    for number, payload in enumerate(PAYLOADS):
        comment = discussion.post_comment(
            article=article, author=alice, body=f"Comment {number}"
        )
        # Stored as report_comment stores it (NUL dropped).
        Report.objects.create(
            comment=comment,
            reporter=bob,
            reason="other",
            detail=payload.replace("\x00", "")[:1000],
        )
    client.force_login(maude)
    queue = reverse("moderation-queue")
    for page in range(1, 5):
        assert problems(_page(client, f"{queue}?page={page}")) == []


def test_search_queries(client, article):
    for payload in PAYLOADS:
        page = _page(client, f"/search/?q={payload[:200]}".replace("#", "%23"))
        assert problems(page) == [], payload


def test_article_fields_written_by_an_editor(client, section):
    for number, payload in enumerate(map(_no_nul, PAYLOADS)):
        article = Article.objects.create(
            title=payload[:300],
            slug=f"hostile-{number}",
            lead=payload,
            body=payload,
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(hours=1),
        )
        page = _page(client, article.get_absolute_url())
        assert problems(page) == [], payload
    assert problems(_page(client, "/")) == []
    assert problems(_page(client, section.get_absolute_url())) == []


def _wxr(payloads) -> str:
    """A WordPress export whose post and comments carry the payloads: the
    post's title, text and author URL, each comment's author name, URL and
    text (XML forbids NUL, so those payloads go without it)."""
    from xml.sax.saxutils import escape

    def text(value: str) -> str:
        return escape(value.replace("\x00", ""))

    comments = "".join(
        f"""
        <wp:comment>
          <wp:comment_id>{number + 1}</wp:comment_id>
          <wp:comment_author>{text(payload[:60])}</wp:comment_author>
          <wp:comment_author_email>r{number}@example.org</wp:comment_author_email>
          <wp:comment_author_url>{text(payload[:200])}</wp:comment_author_url>
          <wp:comment_date>2016-05-25 06:35:00</wp:comment_date>
          <wp:comment_date_gmt>2016-05-25 03:35:00</wp:comment_date_gmt>
          <wp:comment_content>{text(payload)}</wp:comment_content>
          <wp:comment_approved>1</wp:comment_approved>
          <wp:comment_type></wp:comment_type>
          <wp:comment_parent>{number if number % 3 == 2 else 0}</wp:comment_parent>
        </wp:comment>"""
        for number, payload in enumerate(payloads)
    )
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Old site</title>
  <link>https://old.example.com</link>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>https://old.example.com</wp:base_site_url>
  <item>
    <title>{text(payloads[0])}</title>
    <link>https://old.example.com/hostile/</link>
    <dc:creator>{text(payloads[1][:60])}</dc:creator>
    <content:encoded>{text(" ".join(payloads[:20]))}</content:encoded>
    <wp:post_id>7</wp:post_id>
    <wp:post_date>2016-05-25 06:00:00</wp:post_date>
    <wp:post_date_gmt>2016-05-25 03:00:00</wp:post_date_gmt>
    <wp:post_name>hostile</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    {comments}
  </item>
</channel>
</rss>
"""


def test_import_files(db, client, tmp_path, settings):
    """A WordPress export carrying the payloads, imported, then its article
    page (two parts), the front page and a commenter's profile."""
    from io import StringIO

    from django.core.management import call_command

    settings.SITE_URL = "https://tribune.example"
    path = tmp_path / "hostile.xml"
    path.write_text(_wxr(PAYLOADS), encoding="utf-8")
    call_command("import", str(path), "--format", "wxr", stdout=StringIO())
    article = Article.objects.get()
    assert article.comment_count >= 100
    url = article.get_absolute_url()
    for part in (1, 2):
        assert problems(_page(client, f"{url}?page={part}")) == []
    assert problems(_page(client, "/")) == []
    commenter = article.comments.exclude(author=None).first().author
    assert problems(_page(client, commenter.get_absolute_url())) == []


def test_usernames_offered_at_sign_up(db, client, settings):
    """The form refuses them (letters, digits, spaces, . - _ only) and shows
    the offered name back, escaped."""
    settings.TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR = 10_000
    url = reverse("accounts-signup")
    for payload in PAYLOADS:
        response = client.post(
            url,
            {
                "username": payload[:150],
                "email": "new@example.org",
                "password1": "a long enough passphrase 1",
                "password2": "a long enough passphrase 1",
            },
        )
        assert response.status_code == 200, payload
        assert problems(response.content.decode()) == [], payload


def test_a_nul_character_is_dropped_not_a_server_error(client, article, alice):
    """Through the API (JSON allows \\u0000), a comment and a report with NUL
    are stored without it; PostgreSQL would refuse the text otherwise."""
    from api.actions import create_token

    _, token = create_token(user=alice, name="nul")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    posted = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json.dumps({"body": "Before\u0000after"}),
        content_type="application/json",
        **auth,
    )
    assert posted.status_code == 201, posted.content
    assert Comment.objects.get(pk=posted.json()["id"]).body == "Beforeafter"
