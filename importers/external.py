"""Threads read from other comment systems (WordPress, Disqus), and writing
them into Tribune.

The readers (importers/wxr.py, importers/disqus.py) stream an export and
yield one ExternalThread at a time: an article's URL, what the export says
about the article, and every comment the export holds for it, spam and
pingbacks included. `build_thread` decides what is kept and numbers it;
`import_threads` writes everything in one transaction.

What is kept of each comment:

- approved: published;
- unapproved (WordPress "0", Disqus isApproved false): imported as pending,
  so moderators find it in their queue and decide; readers do not see it;
- deleted (WordPress trash, Disqus isDeleted): left out, unless replies to it
  are kept, in which case it becomes a "deleted" placeholder without its
  text, so the replies keep their place;
- spam, pingbacks and trackbacks: left out and counted (a spam comment with
  kept replies becomes a "removed" placeholder, without its text);
- a reply whose parent is not in the export (an orphan) becomes a top-level
  comment and is reported.

Commenters' e-mail and IP addresses are not imported; a hash of the e-mail
address identifies the commenter across imports (ImportedAuthor).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import Resolver404, resolve

from discussion import quotes as quote_matching
from discussion.actions import FoundQuote, render_body
from discussion.models import Comment, Quote, path_segment
from importers.actions import _plain_quote, _unique_slug
from importers.models import ImportedAuthor, ImportedComment
from importers.reference_page import ParsedComment, ParsedPage, ParsedQuote
from importers.xmlstream import ImportFormatError
from lib.markdown import article_paragraphs, escape_markdown, quote_markdown
from newsroom import search
from newsroom.models import Article, Author, Byline, Section, Tag
from newsroom.pagecache import bump_thread

PUBLISHED, PENDING, DELETED, SPAM, PINGBACK = (
    "published",
    "pending",
    "deleted",
    "spam",
    "pingback",
)

#: Replies nested deeper than this hang under their ancestor at this depth:
#: numbers and paths have a fixed width, and no page shows 30 levels.
MAX_DEPTH = 30


@dataclass(slots=True)
class ExternalComment:
    #: Unique across imports: "wxr:<site>:<id>", "disqus:<id>".
    source: str
    #: The id that replies give as their parent, and this comment's parent's.
    id: str
    parent_id: str | None
    author: str
    #: Who wrote it, for ImportedAuthor: "email:<sha256>", "name:<folded>" …
    author_key: str
    created_at: datetime
    #: (plain text, in a blockquote) for each paragraph.
    paragraphs: list[tuple[str, bool]]
    state: str
    line: int


@dataclass
class ExternalThread:
    url: str
    title: str
    site: str
    line: int
    comments: list[ExternalComment] = field(default_factory=list)
    #: What a WordPress export says about the article; empty for Disqus.
    authors: list[str] = field(default_factory=list)
    body: list[tuple[str, bool]] = field(default_factory=list)
    published_at: datetime | None = None
    status: str = Article.Status.DRAFT
    section: str = ""
    tags: list[str] = field(default_factory=list)
    slug: str = ""
    comments_open: bool = True
    #: A WordPress item always becomes an article; a Disqus thread only
    #: joins an existing one unless asked to create it.
    creates_article: bool = True


@dataclass
class Node:
    """A kept comment in thread order."""

    comment: ExternalComment
    parent: Node | None
    status: str
    #: Its number counting only what this file keeps ("2.1").
    number: str
    kept_children: int = 0


@dataclass
class BuiltThread:
    thread: ExternalThread
    nodes: list[Node]
    skipped: Counter
    orphans: list[str]


@dataclass
class ImportSummary:
    articles_created: int = 0
    articles_matched: int = 0
    comments_added: int = 0
    pending_added: int = 0
    placeholders_added: int = 0
    already_present: int = 0
    accounts_created: int = 0
    skipped: Counter = field(default_factory=Counter)
    orphans: list[str] = field(default_factory=list)
    #: (url, comments) of Disqus threads that match no article.
    unmatched: list[tuple[str, int]] = field(default_factory=list)


# --- URLs ------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """The form of a URL that matching compares: no scheme, no "www.", no
    fragment, no trailing slash, the host in lower case, %-escapes decoded."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def check_url(url: str, line: int, what: str) -> str:
    """Return `url`, or raise ImportFormatError if it cannot be taken apart
    as a URL (an unclosed "[" of an IPv6 host: "http://[::1")."""
    try:
        urlsplit(url)
    except ValueError as e:
        raise ImportFormatError(line, f"{what} {url!r} is not a URL ({e})") from None
    return url


def within_calendar(moment: datetime | None) -> datetime | None:
    """The moment, or None if it has no UTC time that Python and the
    database can hold (1 January of year 1 east of Greenwich, 31 December
    9999 west of it)."""
    if moment is None:
        return None
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def url_source_key(url: str) -> str:
    return f"url:{normalize_url(url)}"[:300]


def load_mapping(path: Path) -> dict[str, str]:
    """Read old URL -> new URL pairs from a JSON object or a two-column CSV.

    Raises ImportFormatError naming the line of a bad CSV row.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFormatError(0, f"cannot read the URL map: {e}") from None
    if text.lstrip().startswith("{"):
        try:
            pairs = json.loads(text)
        except json.JSONDecodeError as e:
            raise ImportFormatError(
                e.lineno, f"the URL map is not JSON: {e.msg}"
            ) from None
        if not isinstance(pairs, dict) or not all(
            isinstance(v, str) for v in pairs.values()
        ):
            raise ImportFormatError(0, "the URL map must map URLs to URLs")
        for old, new in pairs.items():
            check_url(old, 0, "the URL map's")
            check_url(new, 0, "the URL map's")
        return {normalize_url(old): new for old, new in pairs.items()}
    mapping = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and row[0].strip().lower() in ("old", "old_url")):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ImportFormatError(number, "expected two columns: old URL, new URL")
        check_url(row[0], number, "the old URL")
        check_url(row[1].strip(), number, "the new URL")
        mapping[normalize_url(row[0])] = row[1].strip()
    return mapping


def find_article(url: str, mapping: dict[str, str]) -> Article | None:
    """The Tribune article a URL of the old site stands for, or None.

    Follows the map, then looks for a Tribune article URL (a path, or an
    address on SITE_URL's or an ALLOWED_HOSTS host), then for an article an
    earlier import made from that URL. Runs at most three queries.
    """
    target = mapping.get(normalize_url(url), url)
    parts = urlsplit(target)
    match = None
    # Only an address on this site names a Tribune article: the old site may
    # well have had /articles/<slug>/ addresses of its own.
    if not parts.netloc or _this_site(parts.netloc):
        try:
            match = resolve(unquote(parts.path) or "/")
        except Resolver404:
            match = None
    if match is not None and match.url_name == "newsroom-article":
        article = Article.objects.filter(slug=match.kwargs["slug"]).first()
        if article is not None:
            return article
    keys = {url_source_key(url), url_source_key(target)}
    return Article.objects.filter(source_key__in=keys).first()


def _this_site(netloc: str) -> bool:
    host = netloc.lower().rpartition("@")[2]
    site = urlsplit(settings.SITE_URL).netloc.lower()
    hosts = {site, site.partition(":")[0]}
    hosts.update(h.lower() for h in settings.ALLOWED_HOSTS if not h.startswith("."))
    return host in hosts or host.partition(":")[0] in hosts


# --- Deciding what is kept, and numbering ------------------------------------


def build_thread(thread: ExternalThread) -> BuiltThread:
    """Return the comments of `thread` that are kept, in thread order, each
    numbered as if the thread were new.

    Siblings are ordered by time. Raises ImportFormatError when two comments
    share an id. Runs no queries.
    """
    comments = thread.comments
    skipped: Counter = Counter()
    orphans: list[str] = []
    by_id: dict[str, int] = {}
    for index, comment in enumerate(comments):
        if comment.id in by_id:
            first = comments[by_id[comment.id]]
            raise ImportFormatError(
                comment.line,
                f"comment id {comment.id} appears twice (lines {first.line} and "
                f"{comment.line}) in {thread.url}",
            )
        by_id[comment.id] = index

    def order(i: int):
        return (comments[i].created_at, i)

    children: dict[int | None, list[int]] = defaultdict(list)
    for index, comment in enumerate(comments):
        parent = by_id.get(comment.parent_id) if comment.parent_id else None
        if comment.parent_id and parent is None:
            orphans.append(
                f"{thread.url}: comment {comment.id} (line {comment.line}) replies "
                f"to {comment.parent_id}, which is not in the export; "
                "made a top-level comment"
            )
        children[parent if parent != index else None].append(index)

    # Walk from the top-level comments; what is not reached hangs in a cycle
    # of parents, and its earliest comment is made top-level.
    tree: dict[int | None, list[int]] = defaultdict(list)
    parent_of: dict[int, int | None] = {}
    depth_of: dict[int, int] = {}
    seen: set[int] = set()

    def walk(start: int | None) -> None:
        stack = [start]
        while stack:
            current = stack.pop()
            for child in children.get(current, ()):
                if child in seen:
                    continue
                seen.add(child)
                depth = 0 if current is None else depth_of[current] + 1
                holder = current
                while depth >= MAX_DEPTH:
                    holder = parent_of[holder]
                    depth -= 1
                depth_of[child] = depth
                parent_of[child] = holder
                tree[holder].append(child)
                stack.append(child)

    walk(None)
    for index in sorted(set(range(len(comments))) - seen, key=order):
        if index in seen:
            continue
        comment = comments[index]
        orphans.append(
            f"{thread.url}: comment {comment.id} (line {comment.line}) is in a "
            "cycle of replies; made a top-level comment"
        )
        seen.add(index)
        depth_of[index] = 0
        parent_of[index] = None
        tree[None].append(index)
        walk(index)

    # A comment is kept if it is visible or pending, or if a kept reply hangs
    # under it (then as a placeholder). Children come after parents in
    # `walk_order`, so going backwards sees replies first.
    walk_order = _preorder(tree, order)
    kept: set[int] = set()
    for index in reversed(walk_order):
        comment = comments[index]
        if comment.state in (PUBLISHED, PENDING) or any(
            child in kept for child in tree.get(index, ())
        ):
            kept.add(index)
        else:
            skipped[_SKIP_NAMES[comment.state]] += 1

    nodes: list[Node] = []
    node_of: dict[int, Node] = {}
    counters: Counter = Counter()
    for index in walk_order:
        if index not in kept:
            continue
        comment = comments[index]
        parent_index = parent_of[index]
        parent = node_of[parent_index] if parent_index is not None else None
        counters[parent_index] += 1
        position = counters[parent_index]
        number = f"{parent.number}.{position}" if parent else str(position)
        if parent is not None:
            parent.kept_children += 1
        status = {
            PUBLISHED: Comment.Status.PUBLISHED,
            PENDING: Comment.Status.PENDING,
            DELETED: Comment.Status.DELETED,
        }.get(comment.state, Comment.Status.REMOVED)
        node = Node(comment, parent, status, number)
        node_of[index] = node
        nodes.append(node)
    return BuiltThread(thread, nodes, skipped, orphans)


_SKIP_NAMES = {
    PUBLISHED: "published",
    PENDING: "pending",
    DELETED: "deleted",
    SPAM: "spam",
    PINGBACK: "pingbacks and trackbacks",
}


def _preorder(tree: dict, order) -> list[int]:
    result: list[int] = []
    stack = sorted(tree.get(None, ()), key=order, reverse=True)
    while stack:
        index = stack.pop()
        result.append(index)
        stack.extend(sorted(tree.get(index, ()), key=order, reverse=True))
    return result


# --- Bodies and quotes -------------------------------------------------------


def body_markdown(paragraphs: list[tuple[str, bool]]) -> str:
    """Markdown that shows the paragraphs literally, quoted ones as quotes."""
    blocks = []
    for text, quoted in paragraphs:
        escaped = escape_markdown(text)
        blocks.append(quote_markdown(escaped) if quoted else escaped)
    return "\n\n".join(blocks)


def find_quotes(
    paragraphs: list[tuple[str, bool]],
    article: list[str],
    parent: list[str] | None,
) -> list[ParsedQuote]:
    """Match each quoted paragraph to a passage of the parent or the article.

    Only what the comment itself marks as a quote (a blockquote) counts.
    """
    found = []
    for position, (text, quoted) in enumerate(paragraphs):
        if not quoted:
            continue
        # The text as the renderer will see it, so that render_body links it.
        plain = _plain_quote(quote_markdown(escape_markdown(text)))
        for source, candidates in (("parent", parent or []), ("article", article)):
            match = quote_matching.find_passage(plain, candidates)
            if match is not None:
                found.append(
                    ParsedQuote(
                        source=source,
                        text=plain,
                        passage=match.passage,
                        paragraph=match.paragraph if source == "article" else None,
                        position=position,
                    )
                )
                break
    return found


def _texts(paragraphs: list[tuple[str, bool]]) -> list[str]:
    return [text for text, _ in paragraphs]


# --- The dry run's JSON -------------------------------------------------------


def thread_to_json(built: BuiltThread, target: Article | None) -> dict[str, Any]:
    """The thread in import-page's JSON shape, with "url" (where the export
    had it), "matches" (the Tribune article it joins, or null) and each
    comment's "status". Placeholders have an empty body."""
    from importers.reference_page import page_to_json

    thread = built.thread
    article_text = _texts(thread.body)
    parsed = []
    by_node: dict[int, ParsedComment] = {}
    for node in built.nodes:
        placeholder = node.status not in (
            Comment.Status.PUBLISHED,
            Comment.Status.PENDING,
        )
        paragraphs = [] if placeholder else node.comment.paragraphs
        parent = by_node.get(id(node.parent)) if node.parent else None
        comment = ParsedComment(
            number=node.number,
            parent=node.parent.number if node.parent else None,
            author=node.comment.author,
            created_at=node.comment.created_at,
            paragraphs=_texts(paragraphs),
            quotes=find_quotes(
                paragraphs, article_text, parent.paragraphs if parent else None
            ),
            line=node.comment.line,
        )
        by_node[id(node)] = comment
        parsed.append(comment)
    page = ParsedPage(
        site=thread.site,
        title=thread.title,
        authors=list(thread.authors),
        byline_role="",
        body=article_text,
        attribution="",
        comments=parsed,
    )
    data = page_to_json(page, published_at=thread.published_at)
    data["url"] = thread.url
    data["matches"] = target.get_absolute_url() if target else None
    for item, node in zip(data["comments"], built.nodes, strict=True):
        item["status"] = node.status
    return data


# --- Writing -----------------------------------------------------------------


@transaction.atomic
def import_threads(
    threads: Iterable[ExternalThread],
    *,
    mapping: dict[str, str] | None = None,
    section_name: str = "News",
    language: str = "en",
    create_missing: bool = False,
) -> ImportSummary:
    """Write every thread, in one transaction, and return what was done.

    `threads` is consumed as it is written, so a reader's error on the last
    record (ImportFormatError) rolls back everything before it. Comments
    already imported (ImportedComment) are left as they are; new ones are
    numbered after what the article already has. Runs a few queries per
    thread and about two per new comment.
    """
    mapping = mapping or {}
    summary = ImportSummary()
    accounts = _Accounts(summary)
    for thread in threads:
        built = build_thread(thread)
        summary.skipped.update(built.skipped)
        summary.orphans.extend(built.orphans)
        article = find_article(thread.url, mapping)
        if article is None:
            if not (thread.creates_article or create_missing):
                if built.nodes:
                    summary.unmatched.append((thread.url, len(built.nodes)))
                continue
            article = _create_article(thread, section_name, language)
            summary.articles_created += 1
        else:
            summary.articles_matched += 1
        _write_comments(article, built, accounts, summary)
    return summary


def _create_article(thread: ExternalThread, section_name: str, language: str):
    name = (thread.section or section_name)[:100]
    section = Section.objects.filter(name__iexact=name).first()
    if section is None:
        section = Section.objects.create(
            name=name, slug=_unique_slug(Section, name, max_length=100)
        )
    status = thread.status
    published_at = thread.published_at
    if thread.creates_article is False:
        # A Disqus thread knows only its title: a draft for an editor to fill.
        status = Article.Status.DRAFT
    article = Article.objects.create(
        title=(thread.title or thread.url)[:300],
        slug=_unique_slug(Article, thread.slug or thread.title or "article"),
        body=body_markdown(thread.body),
        section=section,
        language=language,
        status=status,
        published_at=published_at,
        source_key=url_source_key(thread.url),
        comments_open=thread.comments_open,
    )
    if published_at is not None:
        # An archived article was last updated when it was published, not now.
        Article.objects.filter(pk=article.pk).update(updated_at=published_at)
    for position, full_name in enumerate(thread.authors):
        name = full_name[:200]
        author = Author.objects.filter(name=name).first() or Author.objects.create(
            name=name, slug=_unique_slug(Author, name)
        )
        Byline.objects.create(article=article, author=author, position=position)
    for full_name in thread.tags:
        name = full_name[:100]
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(
            name=name, slug=_unique_slug(Tag, name, max_length=100)
        )
        article.tags.add(tag)
    return article


def _existing(sources: list[str]) -> dict[str, Comment]:
    """Comments already imported under these source ids (a query per 500)."""
    found = {}
    for start in range(0, len(sources), 500):
        rows = ImportedComment.objects.filter(
            source__in=sources[start : start + 500]
        ).select_related("comment")
        found.update((row.source, row.comment) for row in rows)
    return found


def _write_comments(article, built: BuiltThread, accounts, summary) -> None:
    """Write the thread's new comments, a level of replies at a time.

    Runs a fixed number of queries per thread and per level of replies
    (inserts in batches), plus a few per new commenter.
    """
    if not built.nodes:
        return
    article = Article.objects.select_for_update().get(pk=article.pk)
    existing = _existing([node.comment.source for node in built.nodes])
    fresh = [node for node in built.nodes if node.comment.source not in existing]
    # New replies under each new comment, so it is written with its final
    # reply counter instead of updated after.
    new_replies: Counter = Counter(id(n.parent) for n in fresh if n.parent)
    authors = accounts.ids_for([node.comment for node in fresh])
    article_text = article_paragraphs(article.body)
    placed: dict[int, Comment] = {}  # id(node) -> its comment, old or new
    texts: dict[int, list[str]] = {}  # id(node) -> its paragraphs, for quotes
    counters: dict[int | None, int] = {None: article.comment_counter}
    grown: set[int] = set()  # comments written before that got new replies
    levels: dict[int, list[tuple[Node, Comment, list[FoundQuote]]]] = defaultdict(list)
    published = 0
    for node in built.nodes:
        source = node.comment.source
        parent = placed.get(id(node.parent)) if node.parent else None
        if parent is not None and parent.pk and parent.article_id != article.pk:
            parent = None  # imported into another article by an earlier run
        if source in existing:
            comment = existing[source]
            placed[id(node)] = comment
            texts[id(node)] = _texts(node.comment.paragraphs)
            counters[id(comment)] = comment.reply_counter
            summary.already_present += 1
            continue
        key = id(parent) if parent is not None else None
        counters[key] += 1
        position = counters[key]
        if parent is None:
            number, path, depth = str(position), path_segment(position), 0
        else:
            number = f"{parent.number}.{position}"
            path = f"{parent.path}.{path_segment(position)}"
            depth = parent.depth + 1
            if parent.pk:
                grown.add(id(parent))
        placeholder = node.status in (Comment.Status.DELETED, Comment.Status.REMOVED)
        paragraphs = [] if placeholder else node.comment.paragraphs
        body = body_markdown(paragraphs)
        found = [
            FoundQuote(q.text, q.source, q.passage, q.paragraph)
            for q in find_quotes(
                paragraphs, article_text, texts.get(id(node.parent)) if parent else None
            )
        ]
        comment = Comment(
            article=article,
            parent=parent,
            author_id=authors[node.comment.author_key],
            number=number,
            path=path,
            depth=depth,
            reply_counter=new_replies[id(node)],
            body=body,
            body_html=render_body(body, found, parent),
            status=node.status,
            hold_reason="not approved on the old site"
            if node.status == PENDING
            else "",
            created_at=node.comment.created_at,
        )
        counters[id(comment)] = 0
        placed[id(node)] = comment
        texts[id(node)] = _texts(paragraphs)
        levels[depth].append((node, comment, found))
        summary.comments_added += 1
        if node.status == Comment.Status.PUBLISHED:
            published += 1
        elif node.status == Comment.Status.PENDING:
            summary.pending_added += 1
        else:
            summary.placeholders_added += 1
    if not levels:
        return
    links, quotes = [], []
    for depth in sorted(levels):
        batch = levels[depth]
        for _, comment, _ in batch:
            # The parent was inserted with the level above and has its key now.
            if comment.parent is not None:
                comment.parent_id = comment.parent.pk
        Comment.objects.bulk_create([c for _, c, _ in batch], batch_size=500)
        for node, comment, found in batch:
            links.append(ImportedComment(source=node.comment.source, comment=comment))
            quotes.extend(
                Quote(
                    comment=comment,
                    source=q.source,
                    text=q.text,
                    passage=q.passage,
                    paragraph=q.paragraph,
                    position=position,
                )
                for position, q in enumerate(found)
            )
    ImportedComment.objects.bulk_create(links, batch_size=500)
    Quote.objects.bulk_create(quotes, batch_size=500)
    for comment in placed.values():
        if id(comment) in grown:
            Comment.objects.filter(pk=comment.pk).update(
                reply_counter=counters[id(comment)]
            )
    bump_thread(
        article.pk,
        comment_counter=counters[None],
        comment_delta=published,
    )
    # bulk_create sends no signals: the search index learns of them here.
    search.reindex_article(article)


# --- Accounts ------------------------------------------------------------------

_ALLOWED = re.compile(r"[A-Za-z0-9\u0400-\u04FF _.\-]")


def username_for(name: str) -> str:
    """A username the site accepts (accounts.validators) for a commenter's
    display name: accents dropped from Latin letters, other characters
    turned into spaces, at most 40 characters."""
    chars = []
    for char in unicodedata.normalize("NFC", name):
        if _ALLOWED.match(char):
            chars.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if _ALLOWED.match(c)
        )
        chars.append(base or " ")
    text = " ".join("".join(chars).split())
    text = text.lstrip(" _.-")[:40].rstrip()
    return text or "Anonymous"


def author_key(*, email: str = "", username: str = "", name: str = "") -> str:
    """How an imported commenter is recognised on the next import: by the
    e-mail address they gave (so a WordPress and a Disqus export of the same
    site agree), else their Disqus username, else their name."""
    if email.strip():
        digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
        return f"email:{digest}"
    if username:
        return f"disqus:{username.casefold()}"[:300]
    return f"name:{unicodedata.normalize('NFKC', name).strip().casefold()}"[:300]


class _Accounts:
    """Finds or makes the unclaimed account of each commenter.

    Remembers the account ids of the last CACHE commenters, so memory does
    not grow with the number of commenters in the export.
    """

    CACHE = 5000

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary
        self.cache: OrderedDict[str, int] = OrderedDict()

    def ids_for(self, comments: list[ExternalComment]) -> dict[str, int]:
        """The account id of each comment's author, by author key.

        A query per 500 commenters not seen lately, and a few for each new
        one.
        """
        names = {c.author_key: c.author for c in comments}
        found = {key: self.cache[key] for key in names if key in self.cache}
        for key in found:
            self.cache.move_to_end(key)
        missing = sorted(names.keys() - found.keys())
        for start in range(0, len(missing), 500):
            links = ImportedAuthor.objects.filter(
                source__in=missing[start : start + 500]
            ).values_list("source", "user_id")
            found.update(links)
        for key in missing:
            if key not in found:
                user = self._find_or_create(username_for(names[key]))
                ImportedAuthor.objects.create(source=key, user=user)
                found[key] = user.pk
        for key in missing:
            self.cache[key] = found[key]
        while len(self.cache) > self.CACHE:
            self.cache.popitem(last=False)
        return found

    def _find_or_create(self, base: str):
        """An unclaimed account named `base` that no other commenter of an
        import owns (one the page importer made is shared, as it is there),
        or a new one. A claimed account is never taken over: "alice" who
        signed up here is not the "alice" of the old site."""
        User = get_user_model()
        name, n = base, 1
        while True:
            user = User.objects.find(name)
            if user is None:
                user = User(username=name, is_claimed=False)
                user.set_unusable_password()
                user.save()
                self.summary.accounts_created += 1
                return user
            if (
                not user.is_claimed
                and not ImportedAuthor.objects.filter(user=user).exists()
            ):
                return user
            n += 1
            suffix = f" {n}"
            name = base[: 40 - len(suffix)].rstrip() + suffix
