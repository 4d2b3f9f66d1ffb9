"""Build the nested, numbered thread of an article for display.

One query fetches every comment in thread order (ordered by path, joined to
its author); the nesting, placeholders and sorting happen in Python, so the
number of queries does not depend on the number of comments.
"""

from dataclasses import dataclass, field

from django.conf import settings

from discussion.models import Comment


class Sort:
    THREAD = "thread"
    BEST = "best"
    NEWEST = "newest"
    CHOICES = [(THREAD, "Thread order"), (BEST, "Best"), (NEWEST, "Newest")]

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
    count: int


def thread_queryset(article_id: int):
    return (
        Comment.objects.filter(article_id=article_id)
        .select_related("author")
        .order_by("path")
        .only(
            "id",
            "article_id",
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
            "author__id",
            "author__username",
            "author__reputation",
            "author__is_claimed",
            "author__is_active",
        )
    )


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

    if sort != Sort.THREAD:
        shown = _sorted_by_top_level(shown, sort)

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
    return Thread(nodes=nodes, final_closes=range(max(previous_depth, 0)), count=count)


def _sorted_by_top_level(
    shown: list[tuple[Comment, str]], sort: str
) -> list[tuple[Comment, str]]:
    """Reorder whole top-level subtrees; replies stay in thread order."""
    groups: list[list[tuple[Comment, str]]] = []
    for item in shown:
        if item[0].depth == 0 or not groups:
            groups.append([item])
        else:
            groups[-1].append(item)
    if sort == Sort.BEST:
        groups.sort(key=lambda group: (-group[0][0].score, group[0][0].path))
    else:
        groups.sort(key=lambda group: group[0][0].created_at, reverse=True)
    return [item for group in groups for item in group]
