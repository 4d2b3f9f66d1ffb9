"""Read a WordPress export (WXR 1.0-1.2, RSS with wp: elements).

Items are read one at a time (their comments come inside them), so memory
holds the largest item, not the file. Posts and pages become threads;
attachments, menu items and the like are skipped.
"""

from __future__ import annotations

import email.utils
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from importers.external import (
    DELETED,
    PENDING,
    PINGBACK,
    PUBLISHED,
    SPAM,
    ExternalComment,
    ExternalThread,
    author_key,
    check_url,
    normalize_url,
    within_calendar,
)
from importers.xmlstream import ImportFormatError, html_paragraphs, ns, records
from newsroom.models import Article

WP_PREFIX = "http://wordpress.org/export/"
_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "": "",
}
CHANNEL_FIELDS = {"title", "link", "wp:base_site_url", "wp:author"}
POST_TYPES = {"post", "page"}
NO_DATE = "0000-00-00 00:00:00"


def _prefixed(tag: str) -> str:
    """Turn "{http://wordpress.org/export/1.2/}comment" into "wp:comment"."""
    namespace, local = ns(tag)
    if namespace.startswith(WP_PREFIX):
        return ("excerpt:" if namespace.endswith("/excerpt/") else "wp:") + local
    prefix = _PREFIXES.get(namespace)
    if prefix is None:
        return f"{{{namespace}}}{local}"
    return f"{prefix}:{local}" if prefix else local


def _is_record(tag: str, depth: int) -> bool:
    name = _prefixed(tag)
    if depth == 2:
        return name == "item" or name in CHANNEL_FIELDS
    return depth == 3 and name == "wp:comment"


def _check_root(tag: str) -> None:
    if _prefixed(tag) == "rss":
        return
    namespace, local = ns(tag)
    if namespace == "http://disqus.com":
        raise ImportFormatError(1, "this is a Disqus export; use --format disqus")
    raise ImportFormatError(
        1, f"not a WordPress export: the document is <{local}>, not <rss>"
    )


def _fields(element: Element) -> dict[str, str]:
    """Text of each child, by prefixed name (the first of each name)."""
    found: dict[str, str] = {}
    for child in element:
        found.setdefault(_prefixed(child.tag), child.text or "")
    return found


class WxrReader:
    """Iterate over the threads of a WXR export; counts what it skips."""

    def __init__(self, stream: BinaryIO, *, timezone: tzinfo) -> None:
        self.stream = stream
        self.timezone = timezone
        self.skipped: Counter = Counter()
        self.site = ""
        self.site_url = ""
        self.authors: dict[str, str] = {}  # login -> display name

    def __iter__(self) -> Iterator[ExternalThread]:
        comments: list[tuple[Element, int]] = []
        for element, line in records(self.stream, _is_record, root=_check_root):
            name = _prefixed(element.tag)
            if name == "wp:comment":
                comments.append((element, line))
            elif name == "item":
                thread = self._thread(element, line, comments)
                comments = []
                if thread is not None:
                    yield thread
            elif name == "title":
                self.site = (element.text or "").strip()
            elif name == "link":
                link = check_url((element.text or "").strip(), line, "<link>")
                self.site_url = self.site_url or link
            elif name == "wp:base_site_url":
                self.site_url = check_url(
                    (element.text or "").strip(), line, "<wp:base_site_url>"
                )
            elif name == "wp:author":
                fields = _fields(element)
                login = fields.get("wp:author_login", "").strip()
                display = fields.get("wp:author_display_name", "").strip()
                if login:
                    self.authors[login] = display or login

    def _thread(self, item: Element, line: int, comments) -> ExternalThread | None:
        fields = _fields(item)
        title = fields.get("title", "").strip()
        where = f'item "{title}" (line {line})' if title else f"item at line {line}"
        post_type = fields.get("wp:post_type", "post").strip() or "post"
        if post_type not in POST_TYPES:
            self.skipped[f"{post_type} items"] += 1
            return None
        url = fields.get("link", "").strip() or fields.get("guid", "").strip()
        if not url:
            raise ImportFormatError(line, f"{where} has no <link> to match it by")
        check_url(url, line, f"{where}: <link>")
        status = {
            "publish": Article.Status.PUBLISHED,
            "future": Article.Status.SCHEDULED,
        }.get(fields.get("wp:status", "publish").strip(), Article.Status.DRAFT)
        published_at = self._when(
            fields.get("wp:post_date", ""), fields.get("wp:post_date_gmt", "")
        )
        if published_at is None and fields.get("pubDate", "").strip():
            try:
                published_at = within_calendar(
                    email.utils.parsedate_to_datetime(fields["pubDate"])
                )
            except (TypeError, ValueError):
                published_at = None
        categories = [
            (child.get("domain", ""), (child.text or "").strip())
            for child in item
            if child.tag == "category"
        ]
        creator = fields.get("dc:creator", "").strip()
        thread = ExternalThread(
            url=url,
            title=title,
            site=self.site,
            line=line,
            authors=[self.authors.get(creator, creator)] if creator else [],
            body=html_paragraphs(fields.get("content:encoded", "")),
            published_at=published_at,
            status=status,
            section=next((n for d, n in categories if d == "category" and n), ""),
            tags=[n for d, n in categories if d == "post_tag" and n],
            slug=unquote(fields.get("wp:post_name", "").strip()),
            comments_open=fields.get("wp:comment_status", "").strip() != "closed",
        )
        site = normalize_url(self.site_url or url)
        for number, (element, comment_line) in enumerate(comments, start=1):
            thread.comments.append(
                self._comment(element, comment_line, number, where, site)
            )
        if thread.published_at is None and thread.comments:
            # Out no later than its first comment.
            thread.published_at = min(c.created_at for c in thread.comments)
        if thread.published_at is None:
            thread.status = Article.Status.DRAFT
        return thread

    def _comment(self, element, line, number, where, site) -> ExternalComment:
        fields = _fields(element)
        comment_id = fields.get("wp:comment_id", "").strip()
        label = f"comment #{number} (wp:comment_id {comment_id or '?'}) in {where}"
        if not comment_id:
            raise ImportFormatError(line, f"{label} has no wp:comment_id")
        created_at = self._when(
            fields.get("wp:comment_date", ""), fields.get("wp:comment_date_gmt", "")
        )
        if created_at is None:
            raise ImportFormatError(
                line,
                f"{label} has no readable wp:comment_date or wp:comment_date_gmt "
                '(expected "YYYY-MM-DD HH:MM:SS")',
            )
        approved = fields.get("wp:comment_approved", "1").strip()
        kind = fields.get("wp:comment_type", "").strip()
        if kind in ("pingback", "trackback"):
            state = PINGBACK
        else:
            state = {
                "1": PUBLISHED,
                "approve": PUBLISHED,
                "0": PENDING,
                "hold": PENDING,
                "spam": SPAM,
                "trash": DELETED,
                "post-trashed": DELETED,
            }.get(approved)
            if state is None:
                raise ImportFormatError(
                    line,
                    f"{label}: unknown wp:comment_approved {approved!r} "
                    '(expected "1", "0", "spam" or "trash")',
                )
        parent = fields.get("wp:comment_parent", "0").strip()
        author = " ".join(fields.get("wp:comment_author", "").split()) or "Anonymous"
        return ExternalComment(
            source=f"wxr:{site}:{comment_id}"[:300],
            id=comment_id,
            parent_id=parent if parent not in ("", "0") else None,
            author=author,
            author_key=author_key(
                email=fields.get("wp:comment_author_email", ""), name=author
            ),
            created_at=created_at,
            paragraphs=html_paragraphs(fields.get("wp:comment_content", "")),
            state=state,
            line=line,
        )

    def _when(self, local: str, gmt: str) -> datetime | None:
        """The moment, in the zone the site showed it in where the export
        gives both clocks; local times without GMT are in self.timezone.
        None if there is none, or if it falls outside the calendar in UTC or
        in its zone (year 1 or 9999)."""
        try:
            return within_calendar(self._moment(local, gmt))
        except OverflowError:
            return None

    def _moment(self, local: str, gmt: str) -> datetime | None:
        local_time = _parse(local)
        gmt_time = _parse(gmt)
        if gmt_time is None:
            return local_time.replace(tzinfo=self.timezone) if local_time else None
        utc = gmt_time.replace(tzinfo=UTC)
        if local_time is None:
            return utc
        offset = local_time - gmt_time
        if abs(offset) <= timedelta(hours=14) and not offset % timedelta(minutes=15):
            return utc.astimezone(timezone(offset))
        return utc


def _parse(value: str) -> datetime | None:
    value = value.strip()
    if not value or value == NO_DATE:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
