"""The discussion part of an article page.

The thread's HTML is rendered once per version of the thread and cached; a
signed-in reader's page reuses it and adds their controls (votes, edit
links) as an overlay. Readers whose view differs from everyone's (moderators,
and authors of comments awaiting review) get a fresh rendering.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
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
    with gc_paused():
        # The thread's shape first; the text only for the part shown.
        rows = thread_rows(article.pk, light=True)
        thread = build_thread(
            rows,
            sort=sort,
            viewer_id=viewer_id,
            moderator=moderator,
            page=page,
            per_page=settings.TRIBUNE_THREAD_PAGE_SIZE,
        )
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


def _own_comments(user, article) -> tuple[set[int], bool]:
    """(ids of the reader's comments still open to editing, whether any of
    theirs awaits review) on this article, in one query."""
    since = timezone.now() - timedelta(seconds=settings.TRIBUNE_EDIT_WINDOW_SECONDS)
    rows = (
        Comment.objects.filter(article=article, author=user)
        .filter(
            Q(status=Comment.Status.PENDING)
            | Q(status=Comment.Status.PUBLISHED, created_at__gte=since)
        )
        .order_by()
    )
    editable, pending = set(), False
    for pk, status in rows.values_list("id", "status"):
        if status == Comment.Status.PENDING:
            pending = True
        else:
            editable.add(pk)
    return editable, pending


def _viewer(request, article, write_refusal, editable) -> Viewer:
    """The signed-in reader's state on this article (one query)."""
    user = request.user
    my_votes = dict(
        Vote.objects.filter(user=user, comment__article=article).values_list(
            "comment_id", "value"
        )
    )
    closed = policy.comments_closed_message(article)
    return Viewer(
        user_id=user.pk,
        can_write=not write_refusal and not closed,
        csrf_token=get_token(request),
        my_votes=my_votes,
        editable=editable,
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
    if not user.is_authenticated:
        rendered, meta, html = shared_thread(article, sort, page)
    else:
        write_refusal = policy.account_refusal(user)
        moderator = user.is_moderator
        editable, own_pending = _own_comments(user, article)
        if moderator or own_pending:
            rendered, meta = _render(
                article, sort=sort, page=page, viewer_id=user.pk, moderator=moderator
            )
        else:
            rendered, meta, _ = shared_thread(article, sort, page)
        html = join_with_actions(
            rendered, _viewer(request, article, write_refusal, editable), edition.slug
        )
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
