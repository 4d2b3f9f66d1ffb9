"""The discussion part of an article page.

The thread's HTML is rendered once per version of the thread and cached; a
signed-in reader's page reuses it and adds their controls (votes, edit
links) as an overlay. Readers whose view differs from everyone's (moderators,
and authors of comments awaiting review) get a fresh rendering.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from discussion.actions import new_client_token
from discussion.forms import CommentForm
from discussion.models import Comment, Vote
from discussion.render import ANONYMOUS, Viewer, join_with_actions, render_thread
from discussion.thread import Sort, build_thread, fill_text, thread_rows
from lib.gcpause import gc_paused
from lib.markdown import article_paragraphs, quote_markdown
from lib.memory import release_freed_memory
from moderation import policy
from newsroom.seo import comments_json
from notifications.models import Follow, Notification

# Threads at least this long are followed by a trim of the freed memory.
TRIM_ROWS = 2000
# Bounds what the thread version does not track: ranks, which change with
# votes in other threads.
CACHE_SECONDS = 300


def page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100000 else 1


def thread_cache_key(article, sort: str, page: int) -> str:
    # The version changes with every post, edit, vote and moderation decision;
    # language and zone change the dates' words and digits.
    return ":".join(
        [
            "thread",
            str(article.pk),
            str(article.thread_version),
            sort,
            str(page),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )


def _render(article, *, sort, page, viewer_id=None, moderator=False):
    per_page = settings.TRIBUNE_THREAD_PAGE_SIZE
    # Top-level numbers are never reused, so the counter bounds the number of
    # top-level comments: at most a page of them means the page shows the
    # whole thread, read with its text at once.
    whole = article.comment_counter <= per_page
    with gc_paused():
        # Otherwise the thread's shape first, and the text of the part shown.
        rows = thread_rows(article.pk, light=not whole)
        thread = build_thread(
            rows,
            sort=sort,
            viewer_id=viewer_id,
            moderator=moderator,
            page=page,
            per_page=per_page,
        )
        if not whole:
            fill_text(article.pk, [node.comment for node in thread.nodes])
        rendered = render_thread(thread)
        # schema.org Comments for the page's JSON-LD, from the same rows,
        # serialized once with the thread.
        structured = comments_json(thread.nodes, article.slug)
    meta = {
        "count": thread.count,
        "total": thread.total,
        "page": thread.page,
        "pages": thread.pages,
        "empty": not thread.nodes,
        # The newest comment readers can see, from the rows rendered: live
        # updates count new comments from it, so none falls in a gap.
        "max_id": max(
            (row.pk for row in rows if row.status == Comment.Status.PUBLISHED),
            default=0,
        ),
        "structured": structured,
    }
    long_thread = len(rows) >= TRIM_ROWS
    del rows, thread
    if long_thread:
        # Tens of megabytes were allocated and are free now: give them back.
        release_freed_memory()
    return rendered, meta


def shared_thread(article, sort: str, page: int):
    """(rendered thread, meta, anonymous HTML) for everyone's view, cached.

    A cold call runs one query for the comments; a warm one none.
    """
    key = thread_cache_key(article, sort, page)
    entry = cache.get(key)
    if entry is None:
        rendered, meta = _render(article, sort=sort, page=page)
        anonymous = join_with_actions(rendered, ANONYMOUS, article.slug)
        entry = (rendered, meta, anonymous)
        cache.set(key, entry, CACHE_SECONDS)
    return entry


@dataclass
class ReaderState:
    """What a signed-in reader's page needs to know about them."""

    editable: set[int] = field(default_factory=set)  # their comments open to edits
    own_pending: bool = False  # any of theirs awaits review
    my_votes: dict[int, int] = field(default_factory=dict)
    unread: int = 0  # unread notifications, for the page's header
    following: bool = False  # whether they follow this article's comments


def reader_state(user, article) -> ReaderState:
    """The reader's comments, votes, unread notifications and follow of
    `article`, in one query.

    Four small questions asked in one UNION ALL of indexed lookups (their
    own comments: discussion_own_on_article; votes: discussion_vote_unique;
    unread: notifications_unread; follow: the follow's unique pair) rather
    than four ORM queries: a signed-in reader's page asks them every time.
    """
    since = timezone.now() - timedelta(seconds=settings.TRIBUNE_EDIT_WINDOW_SECONDS)
    qn = connection.ops.quote_name
    comments = qn(Comment._meta.db_table)
    votes = qn(Vote._meta.db_table)
    notifications = qn(Notification._meta.db_table)
    follows = qn(Follow._meta.db_table)
    # Only quoted table names are interpolated; every value is a parameter.
    sql = (
        f"SELECT 'c', c.id, c.status, 0 FROM {comments} c "  # noqa: S608
        "WHERE c.article_id = %s AND c.author_id = %s "
        "AND (c.status = %s OR (c.status = %s AND c.created_at >= %s)) "
        f"UNION ALL SELECT 'v', v.comment_id, '', v.value FROM {votes} v "
        f"INNER JOIN {comments} vc ON vc.id = v.comment_id "
        "WHERE v.user_id = %s AND vc.article_id = %s "
        f"UNION ALL SELECT 'n', COUNT(*), '', 0 FROM {notifications} n "
        "WHERE n.recipient_id = %s AND n.read_at IS NULL "
        f"UNION ALL SELECT 'f', COUNT(*), '', 0 FROM {follows} f "
        "WHERE f.user_id = %s AND f.article_id = %s"
    )
    params = [
        article.pk,
        user.pk,
        Comment.Status.PENDING,
        Comment.Status.PUBLISHED,
        connection.ops.adapt_datetimefield_value(since),
        user.pk,
        article.pk,
        user.pk,
        user.pk,
        article.pk,
    ]
    state = ReaderState()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, number, status, value in cursor.fetchall():
            if kind == "c":
                if status == Comment.Status.PENDING:
                    state.own_pending = True
                else:
                    state.editable.add(number)
            elif kind == "v":
                state.my_votes[number] = value
            elif kind == "n":
                state.unread = number
            else:
                state.following = number > 0
    return state


def _viewer(request, article, write_refusal, state: ReaderState) -> Viewer:
    """The signed-in reader's controls on this article."""
    closed = policy.comments_closed_message(article)
    return Viewer(
        user_id=request.user.pk,
        can_write=not write_refusal and not closed,
        csrf_token=get_token(request),
        my_votes=state.my_votes,
        editable=state.editable,
    )


def discussion_context(request, article, *, form=None):
    """Return the template context for an article's discussion.

    A translation shows its original's thread: editions share one. The number
    of queries does not depend on the number of comments.
    """
    edition = article
    article = edition.discussion_article
    user = request.user
    sort = Sort.clean(request.GET.get("sort"))
    page = page_number(request)
    write_refusal = None
    reader = {}
    if not user.is_authenticated:
        rendered, meta, html = shared_thread(article, sort, page)
    else:
        write_refusal = policy.account_refusal(user)
        moderator = user.is_moderator
        state = reader_state(user, article)
        if moderator or state.own_pending:
            rendered, meta = _render(
                article, sort=sort, page=page, viewer_id=user.pk, moderator=moderator
            )
        else:
            rendered, meta, _ = shared_thread(article, sort, page)
        html = join_with_actions(
            rendered, _viewer(request, article, write_refusal, state), edition.slug
        )
        # For the page's header and follow button: asked with the rest.
        reader = {"unread_notifications": state.unread, "following": state.following}
    if form is None and user.is_authenticated:
        form = _new_form(request, edition)
    return {
        "write_refusal": write_refusal,
        # Built by discussion.render from sanitized comment HTML and escaped text.
        "thread_html": mark_safe(html),
        "thread": meta,
        "sort": sort,
        "sort_choices": Sort.CHOICES,
        "comment_form": form,
        "thread_article": article,
        **reader,
    }


def _new_form(request, article) -> CommentForm:
    initial = {"client_token": new_client_token()}
    passage = _passage_to_quote(request, article)
    if passage:
        initial["body"] = quote_markdown(passage) + "\n\n"
    else:
        draft = request.session.get(f"draft:{article.pk}")
        if draft:
            initial["body"] = draft
    return CommentForm(initial=initial)


def _passage_to_quote(request, article) -> str:
    """The article paragraph named by ?quote=p-N, to pre-fill the comment form."""
    wanted = request.GET.get("quote", "")
    if not wanted.startswith("p-") or not wanted[2:].isdigit():
        return ""
    paragraphs = article_paragraphs(article.body)
    index = int(wanted[2:]) - 1
    return paragraphs[index] if 0 <= index < len(paragraphs) else ""
