"""Read a Disqus export (the XML of disqus.com/api/export).

A Disqus export lists every thread first and then every post, in time
order, each post naming its thread by dsq:id. To hand out one thread with
its posts at a time without holding the file in memory, a first pass
streams the posts into a temporary SQLite file indexed by thread; the
second pass reads them back a thread at a time. Memory holds the largest
thread, disk a copy of the posts (deleted with the reader).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element

from importers.external import (
    DELETED,
    PENDING,
    PUBLISHED,
    SPAM,
    ExternalComment,
    ExternalThread,
    author_key,
    check_url,
    within_calendar,
)
from importers.xmlstream import ImportFormatError, html_paragraphs, records

DISQUS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"

_SCHEMA = """
create table thread (
    dsq_id text primary key, link text, title text, forum text, deleted int,
    line int
);
create table post (
    thread text, dsq_id text, parent text, created text, deleted int, spam int,
    approved int, name text, username text, email text, message text, line int
);
-- The second pass reads one thread's posts in file order.
create index post_thread on post (thread);
"""


def _is_record(tag: str, depth: int) -> bool:
    return depth == 1 and tag in (f"{DISQUS}thread", f"{DISQUS}post")


def _check_root(tag: str) -> None:
    if tag == f"{DISQUS}disqus":
        return
    if tag == "rss":
        raise ImportFormatError(1, "this is a WordPress export; use --format wxr")
    local = tag.rpartition("}")[2]
    raise ImportFormatError(
        1, f"not a Disqus export: the document is <{local}>, not <disqus>"
    )


def _text(element: Element, name: str) -> str:
    child = element.find(DISQUS + name)
    return (child.text or "").strip() if child is not None else ""


def _flag(element: Element, name: str, default: bool = False) -> bool:
    value = _text(element, name).lower()
    return value == "true" if value else default


def _ref(element: Element, name: str) -> str:
    child = element.find(DISQUS + name)
    return (child.get(DSQ_ID) or "").strip() if child is not None else ""


def _when(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Disqus writes UTC with a "Z"; anything naive is taken as UTC too.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return within_calendar(moment)


class DisqusReader:
    """Iterate over the threads of a Disqus export; counts what it skips."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.skipped: Counter = Counter()
        self.orphans: list[str] = []

    def __iter__(self) -> Iterator[ExternalThread]:
        with tempfile.TemporaryDirectory(prefix="tribune-disqus-") as folder:
            db = sqlite3.connect(Path(folder) / "posts.sqlite3")
            try:
                db.executescript(_SCHEMA)
                self._load(db)
                yield from self._threads(db)
            finally:
                db.close()

    def _load(self, db: sqlite3.Connection) -> None:
        posts = 0
        for element, line in records(self.stream, _is_record, root=_check_root):
            dsq_id = (element.get(DSQ_ID) or "").strip()
            if element.tag == f"{DISQUS}thread":
                if not dsq_id:
                    raise ImportFormatError(line, "thread without a dsq:id")
                db.execute(
                    "insert or ignore into thread values (?, ?, ?, ?, ?, ?)",
                    (
                        dsq_id,
                        _text(element, "link"),
                        _text(element, "title"),
                        _text(element, "forum"),
                        _flag(element, "isDeleted"),
                        line,
                    ),
                )
                continue
            posts += 1
            label = f"post #{posts} (dsq:id {dsq_id or '?'})"
            if not dsq_id:
                raise ImportFormatError(line, f"{label} has no dsq:id")
            thread = _ref(element, "thread")
            if not thread:
                raise ImportFormatError(line, f"{label} names no thread")
            created = _text(element, "createdAt")
            if _when(created) is None:
                raise ImportFormatError(
                    line,
                    f"{label}: cannot read <createdAt> {created!r} "
                    '(expected "YYYY-MM-DDTHH:MM:SSZ")',
                )
            author = element.find(DISQUS + "author")
            name = username = email = ""
            if author is not None:
                name = " ".join(_text(author, "name").split())
                email = _text(author, "email")
                if not _flag(author, "isAnonymous"):
                    username = _text(author, "username")
            db.execute(
                "insert into post values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    thread,
                    dsq_id,
                    _ref(element, "parent") or None,
                    created,
                    _flag(element, "isDeleted"),
                    _flag(element, "isSpam"),
                    _flag(element, "isApproved", default=True),
                    name or username or "Anonymous",
                    username,
                    email,
                    _text(element, "message"),
                    line,
                ),
            )
        db.commit()

    def _threads(self, db: sqlite3.Connection) -> Iterator[ExternalThread]:
        for thread, count, first in db.execute(
            "select thread, count(*), min(line) from post "
            "where thread not in (select dsq_id from thread) group by thread"
        ):
            self.orphans.append(
                f"{count} post(s) (the first at line {first}) belong to thread "
                f"{thread}, which is not in the export; not imported"
            )
        threads = db.execute(
            "select dsq_id, link, title, forum, deleted, line from thread "
            "where dsq_id in (select thread from post) order by rowid"
        ).fetchall()
        for dsq_id, link, title, forum, deleted, line in threads:
            if deleted:
                self.skipped["threads deleted in Disqus"] += 1
                continue
            if not link:
                raise ImportFormatError(
                    line, f"thread {dsq_id} has posts but no <link> to match it by"
                )
            check_url(link, line, f"thread {dsq_id}: <link>")
            yield self._thread(db, dsq_id, link, title, forum, line)

    def _thread(self, db, dsq_id, link, title, forum, line) -> ExternalThread:
        thread = ExternalThread(
            url=link, title=title, site=forum, line=line, creates_article=False
        )
        rows = db.execute(
            "select dsq_id, parent, created, deleted, spam, approved, name, "
            "username, email, message, line from post where thread = ? "
            "order by rowid",
            (dsq_id,),
        )
        for (
            post_id,
            parent,
            created,
            deleted,
            spam,
            approved,
            name,
            username,
            email,
            message,
            post_line,
        ) in rows:
            if spam:
                state = SPAM
            elif deleted:
                state = DELETED
            elif not approved:
                state = PENDING
            else:
                state = PUBLISHED
            thread.comments.append(
                ExternalComment(
                    source=f"disqus:{post_id}"[:300],
                    id=post_id,
                    parent_id=parent,
                    author=name,
                    author_key=author_key(email=email, username=username, name=name),
                    created_at=_when(created),
                    paragraphs=html_paragraphs(message),
                    state=state,
                    line=post_line,
                )
            )
        return thread
