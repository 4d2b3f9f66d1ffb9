"""What search engines, feed readers and link previews read about pages.

Absolute URLs come from SITE_URL, the one public address of the site (the
same that e-mails link to), never from the request's Host header: a canonical
link must not depend on which name a page was fetched under.

Structured data (schema.org JSON-LD) is built here from data the pages
already hold: the article from the cached article block, its comments from
the rows the thread rendering reads, so neither costs a query of its own.
"""

import json
import re
from html import unescape
from json.encoder import encode_basestring as _string
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

# og:locale wants language_TERRITORY; the site's languages and their usual one.
_LOCALES = {"en": "en_US", "ru": "ru_RU"}
_SENTINEL = "987654321"


def iso(moment) -> str:
    """ISO 8601 to the second, as dates in structured data are usually given."""
    return moment.isoformat(timespec="seconds")


def absolute(path: str) -> str:
    """SITE_URL + path (a path already absolute is returned as it is)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def og_locale(language: str) -> str:
    return _LOCALES.get(language, language.replace("-", "_"))


_CLOSE = "</script>"


def escaped_json(data) -> str:
    """`data` (plain JSON types) as JSON escaped for a <script> element.

    Django's json_script escaping (a test holds the two equal): <, > and &
    become \\u003C, \\u003E and \\u0026, so no text inside (a comment saying
    "</script>" included) can end the element early. Unlike json_script it
    keeps non-ASCII text as it is (Russian comments would grow sixfold) and
    escapes with three str.replace calls: json_script's str.translate took
    most of the time of a thousand comments' JSON. Pieces escaped this way
    can be joined into one document: the escaping is per character.
    """
    return _escape(json.dumps(data, ensure_ascii=False))


def _escape(text: str) -> str:
    return text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")


def ld_json(data: dict, **escaped: str) -> SafeString:
    """A <script type="application/ld+json"> element holding `data`.

    `escaped` adds members whose values are already escaped JSON (from
    `escaped_json` or `comments_json`: the comments cached with the thread),
    so a large part is serialized once rather than on every page.
    """
    text = escaped_json(data)
    if escaped:
        # Keys are this module's callers' identifiers, never input.
        members = "".join(f', "{key}": {value}' for key, value in escaped.items())
        text = text[:-1] + members + "}"
    return mark_safe('<script type="application/ld+json">' + text + _CLOSE)


def description(article, limit: int = 300) -> str:
    """The article's lead, or the start of its text: for link previews."""
    text = " ".join((article.lead or plain_text(article.body_html)).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _person(name: str, url: str = "") -> dict:
    person = {"@type": "Person", "name": name}
    if url:
        person["url"] = url
    return person


def article_data(article, bylines, site_name: str) -> dict:
    """schema.org NewsArticle for an article, without its comments.

    `bylines` are the article's Byline rows with their authors (prefetched).
    """
    url = absolute(article.get_absolute_url())
    modified = article.updated_at
    if article.published_at and modified and modified < article.published_at:
        # Written before its scheduled time: readers first saw it then.
        modified = article.published_at
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        # The article, not the page about it (mainEntityOfPage).
        "@id": url + "#article",
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": article.title,
        "inLanguage": article.language,
        "articleSection": article.section.name,
        "author": [
            _person(byline.author.name, absolute(byline.author.get_absolute_url()))
            for byline in bylines
        ],
        "publisher": {
            "@type": "Organization",
            "name": site_name,
            "url": absolute("/"),
        },
        "isAccessibleForFree": True,
    }
    if article.lead:
        data["description"] = article.lead
    if article.published_at:
        data["datePublished"] = iso(article.published_at)
    if modified:
        data["dateModified"] = iso(modified)
    return data


# A tag of sanitized HTML: nh3 writes < and > inside attribute values as
# entities, so the first > ends the tag.
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def plain_text(html: str) -> str:
    """The text of sanitized comment HTML, paragraphs on their own lines.

    String replacements and one regular expression rather than an HTML
    parser: the input is the sanitizer's well-formed output (nh3 writes a
    line break as <br>), and a thread part has hundreds of these.
    """
    text = (
        html.replace("</p>", "\n")
        .replace("</li>", "\n")
        .replace("</blockquote>", "\n")
        .replace("<br>", "\n")
    )
    text = _TAG.sub("", text)
    if "&" in text:
        text = unescape(text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def comments_json(nodes, article_slug: str) -> str:
    """schema.org Comment items for the published comments among thread nodes,
    as a JSON array escaped like `escaped_json`'s output.

    Nodes are discussion.thread nodes whose rows carry their text and authors'
    names (the part of the thread a page shows). Each item has its permalink
    as @id and url, its author (a Person with name and profile url; none for
    a deleted account, which names no one), dateCreated, dateModified if
    edited, its text as plain text, and for a reply a parentItem naming the
    parent's @id, whether or not the parent is shown in full (a removed one
    keeps its place and number).

    Runs with every cold rendering of a thread part, so it writes the JSON
    text directly, each string through the json module's C encoder, rather
    than building dicts for json.dumps: half the cost at a thousand comments.
    The permalink's JSON is encoded once around the comment's number (digits
    and dots, which JSON leaves as they are). No queries: URLs are filled
    into patterns reversed once.
    """
    before, after = _string(
        absolute(reverse("discussion-comment", args=[article_slug, _SENTINEL]))
    ).split(_SENTINEL)
    profile = absolute(reverse("accounts-profile", args=["__user__"]))
    authors: dict[str, str] = {}
    items = []
    append = items.append
    for node in nodes:
        if node.shown_as != "full":
            continue
        row = node.comment
        number = row.number
        url = f"{before}{number}{after}"
        username = row.username
        author = ""
        if row.author_id is not None and username:
            author = authors.get(username)
            if author is None:
                where = profile.replace(
                    "__user__", quote(username, safe="!$&'()*+,;=~:@")
                )
                author = authors[username] = (
                    ', "author": {"@type": "Person", "name": '
                    f'{_string(username)}, "url": {_string(where)}}}'
                )
        modified = ""
        if row.edited_at is not None:
            modified = f', "dateModified": "{iso(row.edited_at)}"'
        parent_number = number.rpartition(".")[0]
        parent = (
            f', "parentItem": {{"@id": {before}{parent_number}{after}}}'
            if parent_number
            else ""
        )
        append(
            f'{{"@type": "Comment", "@id": {url}, "url": {url}{author}, '
            f'"dateCreated": "{iso(row.created_at)}", '
            f'"text": {_string(plain_text(row.body_html))}{modified}{parent}}}'
        )
    return _escape("[" + ", ".join(items) + "]")
