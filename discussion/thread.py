"""Build the nested, numbered thread of an article for display.

One query fetches every comment in thread order (ordered by path, joined to
its author); the nesting, placeholders and sorting happen in Python, so the
number of queries does not depend on the number of comments.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy

from discussion.models import Comment

User = get_user_model()


class Sort:
    THREAD = "thread"
    BEST = "best"
    NEWEST = "newest"
    CHOICES = [
        (THREAD, gettext_lazy("Thread order")),
        (BEST, gettext_lazy("Best")),
        (NEWEST, gettext_lazy("Newest")),
    ]

    @classmethod
    def clean(cls, value: str | None) -> str:
        return value if value in {cls.BEST, cls.NEWEST} else cls.THREAD


@dataclass
class Node:
    comment: Comment
    # What a reader sees: "full", "pending" (to its author and moderators), or
    # a placeholder: "deleted", "removed", "held" (awaiting review).
    shown_as: str
    # Markup bookkeeping for nested <ol>: open a replies list before this item,
    # or close the previous item and `closes` levels of replies.
    opens: bool = False
    closes: range = field(default_factory=lambda: range(0))
    collapsed: bool = False


@dataclass
class Thread:
    nodes: list[Node]
    final_closes: range
    # Comments shown in full on this page, and in the whole thread.
    count: int
    total: int = 0
    page: int = 1
    pages: int = 1


class Row:
    """One comment as the thread needs it: a plain object, ~10× cheaper to
    build than a model instance, which matters at thousands of comments."""

    __slots__ = (
        "author_id",
        "body_html",
        "created_at",
        "depth",
        "edited_at",
        "emoticons",
        "number",
        "parent_id",
        "path",
        "pk",
        "reputation",
        "score",
        "status",
        "username",
    )

    def __init__(self, values):
        (
            self.pk,
            self.parent_id,
            self.number,
            self.path,
            self.depth,
            self.body_html,
            self.emoticons,
            self.status,
            self.created_at,
            self.edited_at,
            self.score,
            self.author_id,
            self.username,
            self.reputation,
        ) = values

    @classmethod
    def from_comment(cls, comment: Comment) -> "Row":
        author = comment.author
        return cls(
            (
                comment.pk,
                comment.parent_id,
                comment.number,
                comment.path,
                comment.depth,
                comment.body_html,
                comment.emoticons,
                comment.status,
                comment.created_at,
                comment.edited_at,
                comment.score,
                comment.author_id,
                author.username if author else None,
                author.reputation if author else 0,
            )
        )


ROW_FIELDS = (
    "id",
    "parent_id",
    "number",
    "path",
    "depth",
    "body_html",
    "emoticons",
    "status",
    "created_at",
    "edited_at",
    "score",
    "author_id",
    "author__username",
    "author__reputation",
)


_FULL = (
    "c.id, c.parent_id, c.number, c.path, c.depth, c.body_html, c.emoticons, "
    "c.status, c.created_at, c.edited_at, c.score, c.author_id, "
    "u.username, u.reputation"
)
# The shape of the thread without the text: enough to nest, sort and page.
_LIGHT = (
    "c.id, c.parent_id, c.number, c.path, c.depth, '', '[]', "
    "c.status, c.created_at, NULL, c.score, c.author_id, NULL, 0"
)


def _select(columns: str, where: str, params: list, *, authors: bool = True):
    qn = connection.ops.quote_name
    comments = qn(Comment._meta.db_table)
    users = qn(User._meta.db_table)
    join = f"LEFT JOIN {users} u ON u.id = c.author_id " if authors else ""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        # Read the times as text: the driver's converter (Django's regular
        # expression) costs three times datetime.fromisoformat in `as_utc`.
        columns = columns.replace("c.created_at", "CAST(c.created_at AS TEXT)").replace(
            "c.edited_at", "CAST(c.edited_at AS TEXT)"
        )
    # Only fixed column lists and quoted table names are interpolated.
    sql = (
        f"SELECT {columns} FROM {comments} c {join}"  # noqa: S608
        f"WHERE {where} ORDER BY c.path"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchall()
    rows = [Row(v) for v in values]
    for row in rows:
        if sqlite:
            # SQLite hands back naive UTC datetimes.
            row.created_at = as_utc(row.created_at)
            if row.edited_at is not None:
                row.edited_at = as_utc(row.edited_at)
        # JSON comes back as text on every database: Django turns off the
        # driver's own decoding of jsonb to do it itself, which raw SQL skips.
        if isinstance(row.emoticons, str):
            row.emoticons = [] if row.emoticons == "[]" else json.loads(row.emoticons)
    return rows


def thread_rows(article_id: int, *, light: bool = False) -> list[Row]:
    """Every comment of the article in thread order (one query).

    With `light`, without text or author names (see `fill_text`). Plain SQL
    rather than the ORM: at thousands of rows Django's per-value converters
    (datetime parsing, JSON decoding) cost more than the query.
    """
    if light:
        return _select(_LIGHT, "c.article_id = %s", [article_id], authors=False)
    return _select(_FULL, "c.article_id = %s", [article_id])


# Above this many comments a part is filled by reading the whole thread.
FILL_BY_ID_MAX = 1000


def fill_text(article_id: int, rows: list[Row]) -> None:
    """Give light rows their text and authors (one query).

    A part of a long thread needs the text of its own comments only: reading
    it for those keeps memory and time in step with the part, not the thread.
    """
    if not rows:
        return
    ids = [row.pk for row in rows]
    if len(ids) > FILL_BY_ID_MAX:
        # Most of the thread anyway: read it whole rather than list the ids.
        where, params = "c.article_id = %s", [article_id]
    else:
        placeholders = ", ".join(["%s"] * len(ids))
        where = f"c.article_id = %s AND c.id IN ({placeholders})"
        params = [article_id, *ids]
    full = {row.pk: row for row in _select(_FULL, where, params)}
    for row in rows:
        found = full[row.pk]
        row.body_html = found.body_html
        row.emoticons = found.emoticons
        row.edited_at = found.edited_at
        row.username = found.username
        row.reputation = found.reputation


def as_utc(value) -> datetime:
    """A time read by plain SQL as an aware datetime: SQLite gives text or
    naive UTC, PostgreSQL an aware value."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _shown_as(comment: Comment, viewer_id: int | None, moderator: bool) -> str | None:
    status = comment.status
    if status == Comment.Status.PUBLISHED:
        return "full"
    if status == Comment.Status.PENDING:
        return "pending" if moderator or comment.author_id == viewer_id else None
    if status == Comment.Status.REMOVED:
        return "removed"
    return "deleted"


def build_thread(
    comments: list[Comment],
    *,
    sort: str = Sort.THREAD,
    viewer_id: int | None = None,
    moderator: bool = False,
    page: int = 1,
    per_page: int | None = None,
) -> Thread:
    """Return the nodes to render from comments in path order.

    A deleted comment without shown replies disappears; one with replies stays
    as a placeholder so the replies keep their place and numbers. A removed
    comment always leaves its placeholder.
    """
    shown: list[tuple[Comment, str]] = []
    # Walk backwards so each comment knows whether anything under it is shown.
    has_shown_child: set[int] = set()
    for comment in reversed(comments):
        kind = _shown_as(comment, viewer_id, moderator)
        if comment.pk in has_shown_child:
            # Something under it is shown, so it must hold its place.
            kind = kind or "held"
        elif kind == "deleted":
            kind = None
        if kind is None:
            continue
        shown.append((comment, kind))
        if comment.parent_id is not None:
            has_shown_child.add(comment.parent_id)
    shown.reverse()

    total = sum(1 for _, kind in shown if kind == "full")
    groups = _top_level_groups(shown)
    if sort != Sort.THREAD:
        groups = _sorted_groups(groups, sort)
    pages = 1
    if per_page:
        pages = max(1, -(-len(groups) // per_page))
        page = min(max(page, 1), pages)
        groups = groups[(page - 1) * per_page : page * per_page]
    else:
        page = 1
    shown = [item for group in groups for item in group]

    collapse_at = settings.TRIBUNE_COLLAPSE_SCORE
    nodes = []
    previous_depth = -1
    for comment, kind in shown:
        depth = comment.depth
        node = Node(comment=comment, shown_as=kind)
        node.collapsed = kind == "full" and comment.score <= collapse_at
        if depth > previous_depth and previous_depth >= 0:
            node.opens = True
        elif previous_depth >= 0:
            node.closes = range(previous_depth - depth)
        nodes.append(node)
        previous_depth = depth
    count = sum(1 for node in nodes if node.shown_as == "full")
    return Thread(
        nodes=nodes,
        final_closes=range(max(previous_depth, 0)),
        count=count,
        total=total,
        page=page,
        pages=pages,
    )


def _top_level_groups(shown):
    """Split shown comments into top-level subtrees, keeping thread order."""
    groups = []
    for item in shown:
        if item[0].depth == 0 or not groups:
            groups.append([item])
        else:
            groups[-1].append(item)
    return groups


def _sorted_groups(groups, sort: str):
    """Reorder whole top-level subtrees; replies stay in thread order."""
    if sort == Sort.BEST:
        return sorted(groups, key=lambda group: (-group[0][0].score, group[0][0].path))
    # Imported threads give times to the minute: within one, the later
    # number is the newer comment.
    return sorted(
        groups,
        key=lambda group: (group[0][0].created_at, group[0][0].path),
        reverse=True,
    )


def page_of(article_id: int, number: str, per_page: int) -> int:
    """The part of the (thread-ordered) thread that shows comment `number`.

    Reads the whole thread (one query); used by permalinks, not by pages.
    """
    top = number.split(".", 1)[0]
    thread = build_thread(thread_rows(article_id))
    index = 0
    for node in thread.nodes:
        if node.comment.depth == 0:
            if node.comment.number == top:
                return index // per_page + 1
            index += 1
    return 1
