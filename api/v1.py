"""Version 1 of the JSON API, at /api/v1/.

Reads are open to everyone and show what an anonymous reader sees. Writes
need a personal access token or the site's session (with its CSRF token),
and go through the same actions as the site's pages: the same permissions,
policy and rate limits, with the refusals as JSON.
"""

import hashlib
import math
from typing import Annotated

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Path, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounts.ranks import rank_for
from api.auth import REQUIRED
from api.errors import ApiError
from api.schemas import (
    ArticleOut,
    ArticlePage,
    CommentIn,
    CommentOut,
    EditIn,
    Error,
    MeOut,
    ReportIn,
    ReportOut,
    ThreadOut,
    VoteIn,
    VoteOut,
)
from discussion import actions as discussion
from discussion.actions import CommentRefused
from discussion.models import Comment, Quote, Vote
from discussion.thread import FILL_BY_ID_MAX, Sort, build_thread, fill_text, thread_rows
from lib import ratelimit
from lib.gcpause import gc_paused
from lib.http import client_ip
from moderation import actions as moderation
from moderation import policy
from moderation.actions import ModerationRefused
from moderation.models import SiteMode
from newsroom.models import Article, Byline


class TribuneAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        return _cache_headers(request, response)

    def create_temporal_response(self, request):
        return _cache_headers(request, super().create_temporal_response(request))


def _cache_headers(request, response):
    """Keep answers given for a reader out of shared caches (nginx's micro-
    cache keys on the URL alone): they may hold that reader's own data."""
    patch_vary_headers(response, ["Authorization"])
    if "HTTP_AUTHORIZATION" in request.META or (
        settings.SESSION_COOKIE_NAME in request.COOKIES
    ):
        patch_cache_control(response, private=True)
    return response


api = TribuneAPI(
    title="Tribune API",
    version="1",
    description=(
        "Articles and their numbered discussions. Reads are public. Writes "
        "need a personal access token (`Authorization: Bearer tribune_…`, made "
        "on the Access tokens page of your account) or the site's session "
        "cookie with the `X-CSRFToken` header. Errors are JSON: `detail` says "
        "why, `errors` names fields (400); 429 carries `Retry-After`."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

# Path parameters: what the site's URLs and the database can hold, so any
# other value is a 400 (or a 404), never a server error.
Slug = Annotated[str, Path(pattern=r"^[-\w]{1,200}$", description="The article's slug")]
CommentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The comment's id")]

# Responses every write may give besides its success.
WRITE_ERRORS = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    413: Error,
    429: Error,
}
# The 429 answers say when to try again, in seconds.
RETRY_AFTER = {
    "responses": {
        "429": {
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the reader may try again.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        }
    }
}
# Bounds what the thread version does not track: ranks change with votes in
# other threads (the page's cached thread keeps them as long).
THREAD_CACHE_SECONDS = 300


# Errors


def _error(request, status, detail, *, errors=None, headers=None) -> HttpResponse:
    body = {"detail": detail}
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, exc.retry_after))
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return _error(request, exc.status, exc.detail, errors=exc.errors, headers=headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(
        request,
        401,
        _("Sign in, or send a personal access token as 'Authorization: Bearer …'."),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    """400 with the messages by field, as the site's forms give them."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is (where, [param name,] field …): keep the field's own path.
        loc = [str(part) for part in error.get("loc", ())]
        # A missing or empty JSON body concerns no one field.
        field = ".".join(loc[2:] or (loc[1:] if loc[:1] != ["body"] else []))
        field = field or "__all__"
        errors.setdefault(field, []).append(error.get("msg") or _("Invalid value."))
    return _error(request, 400, _("Check the fields named in errors."), errors=errors)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, str(exc) or _("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _error(request, 413, _("The request is too large."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


def _refused_as_error(refused: CommentRefused, field: str = "body") -> ApiError:
    """A refusal the action found in the text (400) or in the pace (429)."""
    if refused.retry_after is not None:
        return ApiError(429, refused.message, retry_after=refused.retry_after)
    return ApiError(400, refused.message, errors={field: [refused.message]})


def _forbidden_unless(check, *args) -> None:
    """Run one of the actions' own permission checks; its refusal is a 403."""
    try:
        check(*args)
    except CommentRefused as refused:
        raise ApiError(403, refused.message) from None


# Reads


def _visible_article(slug: str) -> Article:
    article = Article.objects.select_related("section").filter(slug=slug).first()
    if article is None or not article.is_visible:
        raise Http404(_("No such article."))
    return article


def _bylines():
    return Prefetch(
        "byline_set",
        queryset=Byline.objects.select_related("author").order_by("position"),
    )


def _summary(request, article: Article) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "lead": article.lead,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "section": {"name": article.section.name, "slug": article.section.slug},
        "authors": [
            {"name": b.author.name, "slug": b.author.slug, "role": b.role}
            for b in article.byline_set.all()
        ],
        "tags": [{"name": t.name, "slug": t.slug} for t in article.tags.all()],
        "language": article.language,
        "published_at": timezone.localtime(article.published_at),
        "comment_count": article.comment_count,
        "comments_open": article.comments_open,
    }


@api.get(
    "/articles",
    response={200: ArticlePage, 400: Error},
    tags=["articles"],
    summary="Published articles, newest first",
)
def list_articles(
    request: HttpRequest,
    section: str | None = Query(None, max_length=100, description="A section slug"),
    tag: str | None = Query(None, max_length=100, description="A tag slug"),
    author: str | None = Query(None, max_length=200, description="An author slug"),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(20, ge=1, le=100),
):
    """Four queries whatever the page size: count, page, bylines, tags."""
    articles = Article.objects.visible()
    if section:
        articles = articles.filter(section__slug=section)
    if tag:
        articles = articles.filter(tags__slug=tag)
    if author:
        articles = articles.filter(authors__slug=author)
    count = articles.count()
    start = (page - 1) * per_page
    items = list(
        articles.select_related("section")
        .prefetch_related(_bylines(), "tags")
        .defer("body", "body_html")[start : start + per_page]
        if start < count
        else []
    )
    return {
        "items": [_summary(request, article) for article in items],
        "count": count,
        "page": page,
        "pages": max(1, math.ceil(count / per_page)),
        "per_page": per_page,
    }


@api.get(
    "/articles/{slug}",
    response={200: ArticleOut, 404: Error},
    tags=["articles"],
    summary="One published article",
)
def read_article(request: HttpRequest, slug: Slug):
    article = _visible_article(slug)
    prefetch_related_objects([article], _bylines(), "tags", "sources")
    return {
        **_summary(request, article),
        "body_html": article.body_html,
        "updated_at": timezone.localtime(article.updated_at),
        "sources": [
            {"title": source.title, "url": source.safe_url}
            for source in article.sources.all()
        ],
    }


def _quotes_by_comment(article_id: int, ids: list[int]) -> dict[int, list]:
    """The quotes of these comments, in order (one query)."""
    if not ids:
        return {}
    quotes = Quote.objects.order_by("comment_id", "position")
    if len(ids) > FILL_BY_ID_MAX:
        # Most of the thread anyway: cheaper than a long list of ids.
        quotes = quotes.filter(comment__article_id=article_id)
    else:
        quotes = quotes.filter(comment_id__in=ids)
    found: dict[int, list] = {}
    for quote in quotes.values_list(
        "comment_id", "source", "text", "passage", "paragraph"
    ):
        found.setdefault(quote[0], []).append(quote[1:])
    return found


def _quote(source, text, passage, paragraph, parent_number) -> dict:
    is_parent = source == Quote.Source.PARENT
    return {
        "source": source,
        "text": text,
        "passage": passage,
        "paragraph": None if is_parent else paragraph,
        "comment_number": parent_number if is_parent else None,
    }


def _parent_number(number: str) -> str | None:
    head, _, _ = number.rpartition(".")
    return head or None


def _thread_payload(article: Article, sort: str, page: int) -> dict:
    """Everyone's view of one part of the thread, nested (three queries).

    Parts are the site's: TRIBUNE_THREAD_PAGE_SIZE top-level comments with
    all their replies, in the same order as the page shows them.
    """
    with gc_paused():
        rows = thread_rows(article.pk, light=True)
        thread = build_thread(
            rows, sort=sort, page=page, per_page=settings.TRIBUNE_THREAD_PAGE_SIZE
        )
        shown = [node.comment for node in thread.nodes]
        fill_text(article.pk, shown)
    full_ids = [node.comment.pk for node in thread.nodes if node.shown_as == "full"]
    quotes = _quotes_by_comment(article.pk, full_ids)
    zone = timezone.get_current_timezone()
    ranks: dict[int, str] = {}
    top: list[dict] = []
    # The open comment at each depth, to hang replies under.
    stack: list[dict] = []
    for node in thread.nodes:
        row = node.comment
        full = node.shown_as == "full"
        author = None
        if full and row.author_id is not None:
            if row.reputation not in ranks:
                ranks[row.reputation] = rank_for(row.reputation)
            author = {
                "name": row.username,
                "rank": ranks[row.reputation],
                "reputation": row.reputation,
            }
        item = {
            "id": row.pk,
            "number": row.number,
            "depth": row.depth,
            "status": "published" if full else "placeholder",
            "placeholder": None if full else node.shown_as,
            "author": author,
            "created_at": row.created_at.astimezone(zone) if full else None,
            "edited_at": (
                row.edited_at.astimezone(zone) if full and row.edited_at else None
            ),
            "body_html": row.body_html if full else None,
            "emoticons": list(row.emoticons or []) if full else [],
            "score": row.score if full else None,
            "collapsed": node.collapsed,
            "quotes": [
                _quote(*quote, _parent_number(row.number))
                for quote in quotes.get(row.pk, [])
            ],
            "replies": [],
        }
        del stack[row.depth :]
        if stack:
            stack[-1]["replies"].append(item)
        else:
            top.append(item)
        stack.append(item)
    return {
        "article": article.slug,
        "sort": sort,
        "page": thread.page,
        "pages": thread.pages,
        "count": thread.count,
        "total": thread.total,
        "comments": top,
    }


@api.get(
    "/articles/{slug}/comments",
    response={200: ThreadOut, 304: None, 400: Error, 404: Error},
    tags=["discussion"],
    summary="The article's numbered thread, nested, one part at a time",
)
def read_thread(
    request: HttpRequest,
    slug: Slug,
    sort: str = Query("thread", pattern="^(thread|best|newest)$"),
    page: int = Query(1, ge=1, le=100_000),
):
    """Placeholders keep the places of deleted, removed and held comments that
    have replies. Cached per version of the thread: one query when warm, four
    when cold, whatever the number of comments."""
    article = _visible_article(slug)
    sort = Sort.clean(sort)
    key = ":".join(
        [
            "api-thread",
            str(article.pk),
            str(article.thread_version),
            sort,
            str(page),
            timezone.get_current_timezone_name(),
            # Rank names and placeholders are in the reader's language.
            translation.get_language() or "",
        ]
    )
    entry = cache.get(key)
    if entry is None:
        # Validated and rendered once per version: a warm answer is the
        # cached bytes, not the nested objects checked and encoded again.
        payload = ThreadOut.model_validate(_thread_payload(article, sort, page))
        content = api.renderer.render(
            request, payload.model_dump(), response_status=200
        ).encode()
        entry = (content, f'"{hashlib.sha256(content).hexdigest()[:32]}"')
        cache.set(key, entry, THREAD_CACHE_SECONDS)
    content, etag = entry
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type=api.get_content_type())
    response["ETag"] = etag
    return _cache_headers(request, response)


@api.get(
    "/me",
    auth=REQUIRED,
    response={200: MeOut, 401: Error, 403: Error},
    tags=["readers"],
    summary="The reader the request acts for",
)
def me(request: HttpRequest):
    user = request.auth
    refusal = policy.account_refusal(user)
    return {
        "username": user.username,
        "rank": user.rank,
        "reputation": user.reputation,
        "moderator": user.is_moderator,
        "can_write": refusal is None and not SiteMode.current().read_only,
        "refusal": refusal,
    }


# Writes


def _own_view(comment: Comment) -> dict:
    parent_number = _parent_number(comment.number)
    return {
        "id": comment.pk,
        "article": comment.article.slug,
        "number": comment.number,
        "status": comment.status,
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": timezone.localtime(comment.created_at),
        "edited_at": (
            timezone.localtime(comment.edited_at) if comment.edited_at else None
        ),
        "score": comment.score,
        "quotes": [
            _quote(q.source, q.text, q.passage, q.paragraph, parent_number)
            for q in comment.quotes.all()
        ],
    }


def _comment_on_visible_article(pk: int) -> Comment:
    comment = (
        Comment.objects.select_related("article", "author", "parent")
        .filter(pk=pk)
        .first()
    )
    if comment is None or not comment.article.is_visible:
        raise Http404(_("No such comment."))
    return comment


def _own_comment(request, pk: int) -> Comment:
    """The comment, if the reader wrote it: 404 or 403 otherwise (as the pages)."""
    comment = _comment_on_visible_article(pk)
    if comment.author_id != request.auth.pk:
        raise ApiError(403, _("You can only change your own comments."))
    return comment


@api.post(
    "/articles/{slug}/comments",
    auth=REQUIRED,
    response={201: CommentOut, **WRITE_ERRORS},
    openapi_extra=RETRY_AFTER,
    tags=["discussion"],
    summary="Post a comment, or a reply with parent",
)
def post_comment(request: HttpRequest, slug: Slug, data: CommentIn):
    """The same rules as the article page's form: bans, suspensions, closed or
    read-only discussions (403); empty, too long, banned words or the same
    text again (400); posting too fast (429). A comment held for review comes
    back with status pending."""
    user = request.auth
    article = _visible_article(slug)
    _forbidden_unless(discussion.check_can_comment, user, article)
    parent = None
    if data.parent:
        parent = (
            Comment.objects.filter(article=article, number=data.parent)
            .select_related("author")
            .first()
        )
        if parent is None:
            message = _("The comment you replied to does not exist.")
            raise ApiError(400, message, errors={"parent": [message]})
        if parent.status != Comment.Status.PUBLISHED:
            message = _("That comment is no longer there to reply to.")
            raise ApiError(400, message, errors={"parent": [message]})
    try:
        comment = discussion.post_comment(
            article=article,
            author=user,
            body=data.body,
            parent=parent,
            client_token=data.client_token,
            ip_address=client_ip(request) or None,
        )
    except CommentRefused as refused:
        raise _refused_as_error(refused) from None
    return Status(201, _own_view(comment))


@api.patch(
    "/comments/{comment_id}",
    auth=REQUIRED,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["discussion"],
    summary="Edit your own comment within the edit window",
)
def edit_comment(request: HttpRequest, comment_id: CommentId, data: EditIn):
    user = request.auth
    comment = _own_comment(request, comment_id)
    if not discussion.can_edit(user, comment):
        minutes = settings.TRIBUNE_EDIT_WINDOW_SECONDS // 60
        raise ApiError(
            403,
            ngettext(
                "Comments can be edited for %(minutes)d minute after posting; "
                "this one can no longer be changed.",
                "Comments can be edited for %(minutes)d minutes after posting; "
                "this one can no longer be changed.",
                minutes,
            )
            % {"minutes": minutes},
        )
    _forbidden_unless(discussion.check_can_write, user)
    closed = policy.comments_closed_message(comment.article)
    if closed:
        raise ApiError(403, closed)
    try:
        comment = discussion.edit_comment(comment=comment, editor=user, body=data.body)
    except CommentRefused as refused:
        raise _refused_as_error(refused) from None
    return _own_view(comment)


@api.delete(
    "/comments/{comment_id}",
    auth=REQUIRED,
    response={204: None, **WRITE_ERRORS},
    tags=["discussion"],
    summary="Delete your own comment (its number stays taken)",
)
def delete_comment(request: HttpRequest, comment_id: CommentId):
    comment = _own_comment(request, comment_id)
    try:
        discussion.delete_comment(comment=comment, user=request.auth)
    except CommentRefused as refused:
        raise ApiError(400, refused.message) from None
    return Status(204, None)


@api.post(
    "/comments/{comment_id}/vote",
    auth=REQUIRED,
    response={200: VoteOut, **WRITE_ERRORS},
    tags=["discussion"],
    summary="Vote +1 or −1 on a comment, or withdraw your vote with 0",
)
def vote(request: HttpRequest, comment_id: CommentId, data: VoteIn):
    user = request.auth
    comment = _comment_on_visible_article(comment_id)
    _forbidden_unless(discussion.check_can_write, user)
    if SiteMode.current().read_only:
        raise ApiError(403, policy.comments_closed_message(comment.article))
    if comment.author_id == user.pk:
        raise ApiError(403, _("You cannot vote on your own comment."))
    try:
        comment = discussion.cast_vote(comment=comment, user=user, value=data.value)
    except CommentRefused as refused:
        raise ApiError(400, refused.message) from None
    mine = (
        Vote.objects.filter(comment=comment, user=user)
        .values_list("value", flat=True)
        .first()
    )
    return {
        "id": comment.pk,
        "score": comment.score,
        "upvotes": comment.upvotes,
        "downvotes": comment.downvotes,
        "my_vote": mine or 0,
    }


@api.post(
    "/comments/{comment_id}/reports",
    auth=REQUIRED,
    response={201: ReportOut, **WRITE_ERRORS},
    openapi_extra=RETRY_AFTER,
    tags=["discussion"],
    summary="Report a comment to the moderators",
)
def report(request: HttpRequest, comment_id: CommentId, data: ReportIn):
    user = request.auth
    comment = _comment_on_visible_article(comment_id)
    if comment.status != Comment.Status.PUBLISHED:
        raise Http404(_("No such comment."))
    refusal = policy.account_refusal(user)
    if refusal:
        raise ApiError(403, refusal)
    if comment.author_id == user.pk:
        raise ApiError(403, _("You cannot report your own comment; delete it instead."))
    wait = ratelimit.retry_after(moderation.REPORTS_PER_HOUR, str(user.pk))
    if wait:
        raise ApiError(
            429,
            _(
                "You have filed many reports in the last hour; moderators will "
                "get to them. You can report again %(when)s."
            )
            % {"when": ratelimit.describe_wait(wait)},
            retry_after=wait,
        )
    try:
        filed = moderation.report_comment(
            reporter=user, comment=comment, reason=data.reason, detail=data.detail
        )
    except ModerationRefused as refused:
        raise ApiError(400, refused.message) from None
    return Status(
        201,
        {
            "id": filed.pk,
            "comment": comment.pk,
            "reason": filed.reason,
            "status": filed.status,
        },
    )
