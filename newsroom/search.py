"""Full-text search over published articles and comments.

Two backends share one interface, chosen by the database's vendor:

- PostgreSQL: `newsroom_searchdocument.vector`, a generated tsvector column
  stemmed by the row's language (english or russian), with a GIN index;
  queries through websearch_to_tsquery, ranked by ts_rank, snippets from
  ts_headline.
- SQLite: an FTS5 table over words stemmed in Python (lib.stemming; FTS5 has
  no Russian stemmer, and its `porter` tokenizer would stem English only and
  leave Russian whole), ranked by bm25, snippets made in Python from the same
  stems, so a highlighted word is always one that matched.

Either way the index holds text only. Whether readers may see a hit (a
published article that is due, a published comment) is read from the
articles and comments tables at search time, so no status change ever needs
the index touched. Text changes reach it through post_save signals (see
NewsroomConfig.ready): article saves, comment posts and edits, imports.

Snippets are user text: the database marks matches with private-use
characters, the whole snippet is escaped, and only then do those characters
become <mark> and </mark>.
"""

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from lib import stemming
from lib.markdown import ParsedComment, comment_plain_text, plain_text
from lib.prepared import PreparedInsert
from newsroom.models import Article, SearchDocument

# Matches are wrapped in these by the backends, then turned into <mark> after
# escaping. Private-use characters: stored text is cleaned of them.
MARK_START = "\ue000"
MARK_END = "\ue001"
# PostgreSQL's parser takes "<b>" for a tag and leaves it out of vectors and
# headlines; angle brackets go to it as these two and come back after.
TAG_OPEN = "\ue002"
TAG_CLOSE = "\ue003"


def _hide_tags(column: str) -> str:
    """SQL for `column` with its angle brackets swapped for TAG_OPEN/TAG_CLOSE."""
    return f"translate({column}, '<>', '{TAG_OPEN}{TAG_CLOSE}')"


_SHOW_TAGS = str.maketrans({TAG_OPEN: "<", TAG_CLOSE: ">"})
_UNSAFE = str.maketrans(
    {MARK_START: None, MARK_END: None, TAG_OPEN: None, TAG_CLOSE: None, "\x00": None}
)

# A longer query is cut here; more clauses than this are ignored.
MAX_QUERY_LENGTH = 200
MAX_CLAUSES = 12
# Hits on a page of results.
RESULTS_PER_PAGE = 20
# Words around the matches in a snippet.
SNIPPET_WORDS = 30
SNIPPET_SCAN = 30_000

_CLAUSE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Query:
    """A reader's query reduced to words: what must and must not appear.

    Each clause is a tuple of words (one word, or a phrase) as typed,
    normalized but not stemmed.
    """

    text: str
    include: tuple[tuple[str, ...], ...]
    exclude: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include)


def parse_query(raw: str) -> Query:
    """Reduce any text to a Query; never fails (quotes, operators, junk).

    Words are runs of letters and digits; "double quotes" make a phrase and
    a leading minus excludes a word or phrase. Everything else is ignored.
    """
    text = unicodedata.normalize("NFC", (raw or "").translate(_UNSAFE))
    text = text[:MAX_QUERY_LENGTH].strip()
    include, exclude = [], []
    for match in _CLAUSE.finditer(text):
        minus = match.group(1) or match.group(3)
        chunk = match.group(2) if match.group(2) is not None else match.group(4)
        words = tuple(stemming.normalize(w.group()) for w in stemming.words(chunk))
        if not words:
            continue
        target = exclude if minus else include
        if words not in target and len(include) + len(exclude) < MAX_CLAUSES:
            target.append(words)
    return Query(text, tuple(include), tuple(exclude))


@dataclass
class Filters:
    kind: str = ""  # "", "articles" or "comments"
    section_id: int | None = None
    # Byline authors' ids (their articles) and a reader's id (their comments).
    author_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    author_given: bool = False
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Row:
    article_id: int
    comment_id: int | None
    # Text with matches between MARK_START and MARK_END.
    title: str
    snippet: str


def highlight(marked: str) -> SafeString:
    """Escape `marked` and turn the match markers into <mark> elements."""
    html = escape(marked)
    # Markers come in pairs from the backends; a stray one must not leave an
    # element open.
    opened = False
    parts = []
    for piece in re.split(f"([{MARK_START}{MARK_END}])", html):
        if piece == MARK_START:
            if not opened:
                parts.append("<mark>")
                opened = True
        elif piece == MARK_END:
            if opened:
                parts.append("</mark>")
                opened = False
        else:
            parts.append(piece)
    if opened:
        parts.append("</mark>")
    # Escaped above; the only tags are the <mark> pairs added here.
    return mark_safe("".join(parts))


# --- Indexing ----------------------------------------------------------------


def _clean(text: str) -> str:
    return text.translate(_UNSAFE)


def _fields(title: str, body: str) -> dict[str, str]:
    fields = {"title": title, "body": body}
    if connection.vendor == "sqlite":
        fields["title_terms"] = " ".join(stemming.terms(title))
        fields["body_terms"] = " ".join(stemming.terms(body))
    return fields


def prepare_comment(comment, parsed: ParsedComment | None = None) -> None:
    """Work out an unsaved comment's document now, so that saving it, inside
    the write transaction, only inserts: posting a comment holds SQLite's
    write lock for less time. `parsed`: its body, already parsed."""
    if parsed is None or parsed.text != comment.body:
        parsed = ParsedComment(comment.body)
    comment._search_fields = (comment.body, _fields("", _clean(parsed.plain())))


def _document(article: Article, comment=None) -> SearchDocument:
    """Return the unsaved SearchDocument of an article or of one of its comments."""
    if comment is None:
        title = _clean(article.title)
        body = _clean("\n".join(filter(None, [article.lead, plain_text(article.body)])))
        fields = _fields(title, body)
    else:
        prepared = comment.__dict__.get("_search_fields")
        if prepared is not None and prepared[0] == comment.body:
            fields = prepared[1]
        else:
            fields = _fields("", _clean(comment_plain_text(comment.body)))
    return SearchDocument(
        article_id=article.pk,
        comment_id=comment.pk if comment is not None else None,
        language=article.language,
        **fields,
    )


_DOCUMENT_FIELDS = ["language", "title", "body", "title_terms", "body_terms"]


def _save(document: SearchDocument, *, created: bool) -> None:
    """Write one document: an UPDATE, or an INSERT for a new object (1-2 queries)."""
    values = {name: getattr(document, name) for name in _DOCUMENT_FIELDS}
    if not created:
        if document.comment_id is not None:
            existing = SearchDocument.objects.filter(comment_id=document.comment_id)
        else:
            existing = SearchDocument.objects.filter(
                article_id=document.article_id, comment__isnull=True
            )
        if existing.update(**values):
            return
    _INSERT_DOCUMENT.save(document)


# Every comment posted adds a document (lib.prepared: compiled once).
_INSERT_DOCUMENT = PreparedInsert(SearchDocument)


def index_article(article: Article, *, created: bool = False) -> None:
    """Index the article's title, lead and body (1-3 queries).

    Its comments' documents follow the article's language.
    """
    _save(_document(article), created=created)
    if not created:
        SearchDocument.objects.filter(
            article_id=article.pk, comment__isnull=False
        ).exclude(language=article.language).update(language=article.language)


def index_comment(comment, *, created: bool = False) -> None:
    """Index one comment's text (1-2 queries, plus its article if not loaded)."""
    _save(_document(comment.article, comment), created=created)


def reindex_article(article: Article) -> int:
    """Index an article and all its comments afresh; return the documents written.

    For bulk writes that send no signals (imports). Runs 3 queries plus one
    per 500 comments.
    """
    from discussion.models import Comment

    with transaction.atomic():
        SearchDocument.objects.filter(article_id=article.pk).delete()
        documents = [_document(article)]
        comments = Comment.objects.filter(article_id=article.pk).only("id", "body")
        documents += [_document(article, c) for c in comments.iterator(2000)]
        SearchDocument.objects.bulk_create(documents, batch_size=500)
    return len(documents)


def rebuild() -> int:
    """Index every article and comment from scratch; return the documents written."""
    with transaction.atomic():
        SearchDocument.objects.all().delete()
        total = 0
        articles = Article.objects.only("id", "title", "lead", "body", "language")
        for article in articles.iterator(200):
            total += reindex_article(article)
    return total


def article_saved(sender, instance, created, update_fields=None, **kwargs):
    """post_save of Article: index it when words or language may have changed."""
    if kwargs.get("raw"):
        return
    if update_fields is not None and not (
        {"title", "lead", "body", "language"} & set(update_fields)
    ):
        return
    index_article(instance, created=created)


def comment_saved(sender, instance, created, update_fields=None, **kwargs):
    """post_save of Comment: index it when its text may have changed."""
    if kwargs.get("raw"):
        return
    if update_fields is not None and "body" not in update_fields:
        return
    index_comment(instance, created=created)


# --- Searching ---------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _where(filters: Filters) -> tuple[list[str], list]:
    """SQL conditions (on d: document, a: article, c: comment) for visibility
    and the reader's filters, with their parameters."""
    from discussion.models import Comment

    adapt = connection.ops.adapt_datetimefield_value
    where = [
        "a.status IN (%s, %s)",
        "a.published_at IS NOT NULL",
        "a.published_at <= %s",
        "(d.comment_id IS NULL OR c.status = %s)",
    ]
    params = [
        Article.Status.PUBLISHED,
        Article.Status.SCHEDULED,
        adapt(timezone.now()),
        Comment.Status.PUBLISHED,
    ]
    if filters.kind == "articles":
        where.append("d.comment_id IS NULL")
    elif filters.kind == "comments":
        where.append("d.comment_id IS NOT NULL")
    if filters.section_id is not None:
        where.append("a.section_id = %s")
        params.append(filters.section_id)
    if filters.author_given:
        either = ["1 = 0"]
        if filters.author_ids:
            marks = ", ".join(["%s"] * len(filters.author_ids))
            bylines = (
                "SELECT 1 FROM newsroom_byline b "  # noqa: S608 - placeholders only
                f"WHERE b.article_id = a.id AND b.author_id IN ({marks})"
            )
            either.append(f"(d.comment_id IS NULL AND EXISTS ({bylines}))")
            params += filters.author_ids
        if filters.user_ids:
            marks = ", ".join(["%s"] * len(filters.user_ids))
            either.append(f"c.author_id IN ({marks})")
            params += filters.user_ids
        where.append("(" + " OR ".join(either) + ")")
    when = "COALESCE(c.created_at, a.published_at)"
    if filters.since is not None:
        where.append(f"{when} >= %s")
        params.append(adapt(_day_start(filters.since)))
    if filters.until is not None:
        where.append(f"{when} < %s")
        params.append(adapt(_day_start(filters.until + timedelta(days=1))))
    return where, params


_JOINS = """
    JOIN newsroom_article a ON a.id = d.article_id
    LEFT JOIN discussion_comment c ON c.id = d.comment_id
"""


class SqliteBackend:
    """FTS5 over Python-stemmed words; snippets cut in Python."""

    @staticmethod
    def _match(query: Query) -> str:
        def phrase(words):
            stems = [stemming.stem(w) for w in words]
            return '"' + " ".join(stems).replace('"', '""') + '"'

        expression = " AND ".join(phrase(words) for words in query.include)
        for words in query.exclude:
            expression = f"({expression}) NOT {phrase(words)}"
        return expression

    def _from(self, query: Query, filters: Filters) -> tuple[str, list]:
        where, params = _where(filters)
        sql = (
            "FROM newsroom_search_fts JOIN newsroom_searchdocument d "
            f"ON d.id = newsroom_search_fts.rowid {_JOINS} "
            "WHERE newsroom_search_fts MATCH %s AND " + " AND ".join(where)
        )
        return sql, [self._match(query), *params]

    def count(self, query: Query, filters: Filters) -> int:
        sql, params = self._from(query, filters)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {sql}", params)
            return cursor.fetchone()[0]

    def search(self, query: Query, filters: Filters, offset: int, limit: int):
        sql, params = self._from(query, filters)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.article_id, d.comment_id, d.title, d.body {sql} "
                # The title counts for more than the body; lower bm25 is better.
                "ORDER BY bm25(newsroom_search_fts, 4.0, 1.0), d.id DESC "
                "LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()
        stems = {stemming.stem(w) for words in query.include for w in words}
        return [
            Row(
                article_id,
                comment_id,
                _mark_all(title, stems),
                _snippet(body, stems),
            )
            for article_id, comment_id, title, body in rows
        ]


def _words(text: str, stems: set[str]) -> list[tuple[int, int, str | None]]:
    """(start, end, matched stem or None) for every word of `text`."""
    found = []
    # Stemming only changes a word's end: a word whose first letter no stem
    # has cannot match, and most words are let go on that alone.
    firsts = {stem[0] for stem in stems}
    normalize = stemming.normalize
    for m in stemming.words(text):
        word = m.group()
        stem = stemming.stem(word) if normalize(word[0]) in firsts else None
        found.append((m.start(), m.end(), stem if stem in stems else None))
    return found


def _mark_all(text: str, stems: set[str]) -> str:
    parts, last = [], 0
    for start, end, hit in _words(text, stems):
        if hit:
            parts += [text[last:start], MARK_START, text[start:end], MARK_END]
            last = end
    return "".join(parts) + text[last:]


def _snippet(text: str, stems: set[str], size: int = SNIPPET_WORDS) -> str:
    """About `size` words of `text` around the most different matches, marked.

    Looks for matches in the first SNIPPET_SCAN characters only: a few
    milliseconds for a long article.
    """
    words = _words(text[:SNIPPET_SCAN], stems)
    if not words:
        return " ".join(text[:300].split()) + (" …" if len(text) > 300 else "")
    hits = [i for i, word in enumerate(words) if word[2]]
    first, best = 0, (0, 0)
    for hit in hits:
        # A window opening a few words before this match.
        start = max(0, min(hit - 5, len(words) - size))
        inside = hits[bisect_left(hits, start) : bisect_left(hits, start + size)]
        score = (len({words[i][2] for i in inside}), len(inside))
        if score > best:
            first, best = start, score
    window = words[first : first + size]
    start = 0 if first == 0 else window[0][0]
    end = window[-1][1]
    if text[end : end + 1] in (".", "!", "?", "…", ")", "»", "”", '"'):
        end += 1  # the sentence's end, not a dangling word
    marked = " ".join(_mark_all(text[start:end], stems).split())
    return ("… " if start else "") + marked + (" …" if end < len(text) else "")


class PostgresBackend:
    """A tsvector column with a GIN index; ts_rank and ts_headline."""

    # Each document's text configuration, as the generated column uses it.
    CONFIG = (
        "CASE d.language WHEN 'ru' THEN 'russian'::regconfig "
        "ELSE 'english'::regconfig END"
    )
    # Matches in either language's stemming: the reader's language is unknown.
    # A constant expression, so the GIN index on vector serves it.
    TSQUERY = (
        "(websearch_to_tsquery('english', %s) || websearch_to_tsquery('russian', %s))"
    )
    HEADLINE = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    TITLE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"

    @staticmethod
    def _websearch(query: Query) -> str:
        """The query again in websearch_to_tsquery's syntax, every clause quoted."""
        clauses = ['"' + " ".join(words) + '"' for words in query.include]
        clauses += ['-"' + " ".join(words) + '"' for words in query.exclude]
        return " ".join(clauses)

    def _from(self, query: Query, filters: Filters) -> tuple[str, list]:
        where, params = _where(filters)
        text = self._websearch(query)
        sql = (
            f"FROM newsroom_searchdocument d {_JOINS} "
            f"WHERE d.vector @@ {self.TSQUERY} AND " + " AND ".join(where)
        )
        return sql, [text, text, *params]

    def count(self, query: Query, filters: Filters) -> int:
        sql, params = self._from(query, filters)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {sql}", params)
            return cursor.fetchone()[0]

    def search(self, query: Query, filters: Filters, offset: int, limit: int):
        sql, params = self._from(query, filters)
        text = self._websearch(query)
        own = f"websearch_to_tsquery({self.CONFIG}, %s)"
        title, body = _hide_tags("d.title"), _hide_tags("d.body")
        # Headlines are costly: only for the page's rows, after the ranking.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT d.article_id, d.comment_id,
                    ts_headline({self.CONFIG}, {title}, {own}, %s),
                    ts_headline({self.CONFIG}, {body}, {own}, %s),
                    left(d.body, 200), right(d.body, 200)
                FROM (
                    SELECT d.id, ts_rank(d.vector, {self.TSQUERY}) AS rank {sql}
                    ORDER BY rank DESC, d.id DESC LIMIT %s OFFSET %s
                ) hits
                JOIN newsroom_searchdocument d ON d.id = hits.id
                ORDER BY hits.rank DESC, hits.id DESC
                """,  # noqa: S608 - fragments are constants; values are parameters
                [
                    text,
                    self.TITLE,
                    text,
                    self.HEADLINE,
                    text,
                    text,
                    *params,
                    limit,
                    offset,
                ],
            )
            rows = cursor.fetchall()
        return [
            Row(
                article_id,
                comment_id,
                title.translate(_SHOW_TAGS),
                _ellipses(snippet.translate(_SHOW_TAGS), head, tail),
            )
            for article_id, comment_id, title, snippet, head, tail in rows
        ]


def _ellipses(snippet: str, head: str, tail: str) -> str:
    """Mark with "…" the ends of a headline that are not the text's own ends."""
    plain = " ".join(snippet.translate(_UNSAFE).split())
    if not plain:
        return snippet
    if not " ".join(head.split()).startswith(plain[:40]):
        snippet = "… " + snippet.strip()
    if not " ".join(tail.split()).endswith(plain[-40:]):
        snippet = snippet.strip() + " …"
    return snippet


def backend():
    """The search backend for the default database."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"No search for {connection.vendor}")


@dataclass
class Hit:
    article: Article
    comment: object | None
    title: SafeString
    snippet: SafeString

    @property
    def kind(self) -> str:
        return "comment" if self.comment is not None else "article"

    @property
    def date(self) -> datetime:
        return self.comment.created_at if self.comment else self.article.published_at

    @property
    def url(self) -> str:
        return (self.comment or self.article).get_absolute_url()


def _hits(rows: list[Row]) -> list[Hit]:
    """Load the rows' articles and comments for display (2 or 3 queries)."""
    from django.db.models import Prefetch

    from discussion.models import Comment
    from newsroom.models import Byline

    comment_ids = [row.comment_id for row in rows if row.comment_id]
    comments = (
        Comment.objects.select_related("author").in_bulk(comment_ids)
        if comment_ids
        else {}
    )
    articles = (
        Article.objects.select_related("section")
        .prefetch_related(
            Prefetch(
                "byline_set",
                queryset=Byline.objects.select_related("author").order_by("position"),
            )
        )
        .defer("body", "body_html")
        .in_bulk({row.article_id for row in rows})
        if rows
        else {}
    )
    hits = []
    for row in rows:
        article = articles.get(row.article_id)
        comment = comments.get(row.comment_id) if row.comment_id else None
        if article is None or (row.comment_id and comment is None):
            continue  # deleted between the two queries
        if comment is not None:
            comment.article = article
        title = highlight(row.title) if comment is None else escape(article.title)
        hits.append(Hit(article, comment, title, highlight(row.snippet)))
    return hits


class Results:
    """Search results as a sequence a Paginator can page through lazily.

    count() runs one query, a slice runs one more plus two or three to load
    what it shows, whatever the page size.
    """

    def __init__(self, query: Query, filters: Filters):
        self.query = query
        self.filters = filters
        self.backend = backend()
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.backend.count(self.query, self.filters)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Results are read a page at a time")
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        if stop <= start:
            return []
        return _hits(self.backend.search(self.query, self.filters, start, stop - start))
