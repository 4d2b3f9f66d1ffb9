"""Whole article pages for anonymous readers, served from the cache.

Most readers of a hot article are anonymous and see the same page. The
middleware keeps each such page as bytes, keyed by the article's
thread_version and updated_at as read from the database. Every change to a
thread goes through `bump_thread`. With Redis the versions are kept there and
dropped by every change, so every process sees it at once. Without Redis a
process reads an article's version at most once every VALIDATOR_SECONDS and
forgets it at once when it makes a change itself, so an anonymous reader sees
a change made through another process within that time. Readers with a
session never get a cached page.
"""

import re
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, F, Q, When
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_request

# A bound for what the key does not track (ranks that change with votes in
# other threads, the site's name).
PAGE_SECONDS = 300
# How long a process trusts the version it read for an article (without
# Redis). Behind nginx's one-second micro-cache a new comment then reaches
# anonymous readers within 1.5 s.
VALIDATOR_SECONDS = 0.5
_ARTICLE_PAGE = re.compile(r"^/articles/([^/]+)/$")
# slug -> (read at, (pk, thread_version, updated_at) or None)
_validators: dict[str, tuple[float, tuple | None]] = {}


def _shared() -> bool:
    """With Redis the cache is shared: versions live there, for every process."""
    return bool(settings.REDIS_URL)


def _shared_key(slug: str) -> str:
    return f"pagecache:validator:{slug}"


def forget(slug: str | None = None) -> None:
    """Make this process read the article's version again (all if no slug)."""
    if slug is None:
        _validators.clear()
    else:
        _validators.pop(slug, None)
        if _shared():
            cache.delete(_shared_key(slug))


def bump_thread(article_ids, *, comment_delta: int = 0, **updates) -> None:
    """Record a change to these articles' threads (one UPDATE).

    Bumps thread_version, which keys the cached thread renderings, the cached
    pages and the pages' ETags, adds `comment_delta` to the visible comment
    count and applies any other `updates`. Translations of these articles show
    the same thread, so their thread_version is bumped in the same UPDATE; the
    count and the `updates` apply to the originals only, which the
    translations read theirs from.
    """
    if isinstance(article_ids, int) and not updates:
        slugs = _bump_one(article_ids, comment_delta)
    else:
        slugs = _bump_many(article_ids, comment_delta, updates)

    # The writer's own process shows the change at once, before and after
    # commit; with a shared cache every process does, otherwise the others
    # within VALIDATOR_SECONDS.
    if not _shared():
        slugs = []

    def expire():
        forget()
        if slugs:
            cache.delete_many([_shared_key(slug) for slug in slugs])

    expire()
    transaction.on_commit(expire)


def _bump_one(article_id: int, comment_delta: int) -> list[str]:
    """bump_thread of one article, the case of every comment posted, voted
    on or moderated: plain SQL, which costs a tenth of the ORM's UPDATE with
    its CASE. Returns the slugs of the article and its translations."""
    from newsroom.models import Article

    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET thread_version = thread_version + 1, "  # noqa: S608 - names from the model
            "comment_count = comment_count + CASE WHEN id = %s THEN %s ELSE 0 END "
            "WHERE id = %s OR translation_of_id = %s RETURNING slug",
            [article_id, comment_delta, article_id, article_id],
        )
        return [slug for (slug,) in cursor.fetchall()]


def _bump_many(article_ids, comment_delta: int, updates: dict) -> list[str]:
    from newsroom.models import Article

    ids = [article_ids] if isinstance(article_ids, int) else list(article_ids)
    if comment_delta:
        updates["comment_count"] = F("comment_count") + comment_delta
    editions = Q(pk__in=ids) | Q(translation_of__in=ids)
    Article.objects.filter(editions).update(
        thread_version=F("thread_version") + 1,
        **{
            name: Case(
                When(pk__in=ids, then=value),
                default=F(name),
                output_field=Article._meta.get_field(name),
            )
            for name, value in updates.items()
        },
    )
    if not _shared():
        return []
    return list(Article.objects.filter(editions).values_list("slug", flat=True))


def article_validator(request, slug: str):
    """(pk, thread_version, updated_at) of the article (at most one query).

    Read once per request, and by a process at most every VALIDATOR_SECONDS.
    """
    cached = getattr(request, "_article_validator", None)
    if cached is not None and cached[0] == slug:
        return cached[1]
    row = validator(slug)
    request._article_validator = (slug, row)
    return row


def validator(slug: str):
    """(pk, thread_version, updated_at) of the article, or None if none.

    From Redis when shared (one query when Redis has forgotten it), otherwise
    from this process's memory, read again after VALIDATOR_SECONDS.
    """
    if _shared():
        row = cache.get(_shared_key(slug))
        if row is None:
            row = _read_validator(slug)
            cache.set(_shared_key(slug), row, PAGE_SECONDS)
        return row
    now = time.monotonic()
    known = _validators.get(slug)
    if known is not None and now - known[0] < VALIDATOR_SECONDS:
        return known[1]
    row = _read_validator(slug)
    if len(_validators) > 10000:
        _validators.clear()
    _validators[slug] = (now, row)
    return row


def _read_validator(slug: str):
    from newsroom.models import Article

    return (
        Article.objects.filter(slug=slug)
        .values_list("pk", "thread_version", "updated_at")
        .first()
    )


def anonymous(request) -> bool:
    return anonymous_cookies(request.COOKIES)


def anonymous_cookies(cookies) -> bool:
    """No session and no pending messages: the page is everyone's page."""
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def article_slug(path: str) -> str | None:
    """The slug if `path` is an article page's."""
    match = _ARTICLE_PAGE.match(path)
    return match.group(1) if match else None


def page_key(row, *, query: str, host: str, language: str) -> str:
    """The cache key of an anonymous article page.

    `row` is the article's `validator`; `language` the one LocaleMiddleware
    will pick (cookie, then Accept-Language), so readers of each language get
    their own copy. The key holds everything the page depends on: the
    thread's version, the article's last change, the site mode, the
    language, the host and the query string.
    """
    from moderation.models import SiteMode

    pk, version, updated = row
    mode = SiteMode.current().updated_at
    return ":".join(
        [
            "pagecache",
            str(pk),
            str(version),
            str(updated.timestamp()),
            str(mode.timestamp()) if mode else "0",
            language,
            host,
            query,
        ]
    )


class AnonymousPageCacheMiddleware:
    """Serve anonymous GETs of article pages from whole cached responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            etag = headers.get("ETag")
            if etag and request.headers.get("If-None-Match") == etag:
                return HttpResponseNotModified(headers={"ETag": etag})
            response = HttpResponse(content, headers=headers)
            response.page_key = key
            return response
        response = self.get_response(request)
        # The page is in the reader's language, chosen from these headers.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        if self._cacheable(response):
            # Every header the layers below added (security headers among
            # them) but the per-response ones.
            headers = {
                name: value
                for name, value in response.items()
                if name.lower() not in ("date", "content-length", "set-cookie")
            }
            cache.set(key, (response.content, headers), PAGE_SECONDS)
            response.page_key = key
        return response

    def _key(self, request) -> str | None:
        if request.method != "GET" or not anonymous(request):
            return None
        slug = article_slug(request.path)
        if slug is None:
            return None
        # Read once per request: the article view's ETag uses it too.
        row = article_validator(request, slug)
        if row is None:
            return None
        return page_key(
            row,
            query=request.META.get("QUERY_STRING", ""),
            host=request.get_host(),
            language=get_language_from_request(request),
        )

    @staticmethod
    def _cacheable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )


class WSGIPageCache:
    """WSGI middleware: anonymous article pages answered before Django runs.

    A hit in AnonymousPageCacheMiddleware still pays for Django's request
    cycle (request object, signals, middleware). This layer keeps the last
    pages that middleware served or stored, with the status and headers they
    left Django with (security headers included), in this process's memory,
    and answers a request whose key matches without entering Django. The key
    is computed by the same `page_key` from the same validator, so a page is
    served here exactly when the middleware would serve it from the cache.
    Anything unusual (not a GET, a session or messages cookie, a host Django
    would refuse, plain HTTP where HTTPS is required, any error) goes to
    Django.
    """

    def __init__(self, application, *, entries: int = 16, max_bytes: int = 16 << 20):
        self.application = application
        self.entries = entries
        self.max_bytes = max_bytes
        self._pages: dict[str, tuple[str, list, bytes, str | None]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        key = self._key(environ)
        page = self._pages.get(key) if key is not None else None
        if page is not None:
            status, headers, body, etag = page
            if etag is not None and environ.get("HTTP_IF_NONE_MATCH") == etag:
                start_response("304 Not Modified", [("ETag", etag)])
                return [b""]
            start_response(status, headers)
            return [body]
        answered = {}

        def capture(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info)

        response = self.application(environ, capture)
        stored = getattr(response, "page_key", None)
        if stored is not None and answered.get("status", "").startswith("200"):
            self._remember(stored, answered["status"], answered["headers"], response)
        return response

    def _key(self, environ) -> str | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        # Most requests are not article pages: spare them the request object.
        if "/articles/" not in environ.get("SCRIPT_NAME", "") + environ.get(
            "PATH_INFO", ""
        ):
            return None
        try:
            from django.core.handlers.wsgi import WSGIRequest

            request = WSGIRequest(environ)
            slug = article_slug(request.path)
            if slug is None or not anonymous(request):
                return None
            if settings.SECURE_SSL_REDIRECT and not request.is_secure():
                return None
            row = validator(slug)
            if row is None:
                return None
            return page_key(
                row,
                query=environ.get("QUERY_STRING", ""),
                host=request.get_host(),
                language=get_language_from_request(request),
            )
        except Exception:
            # Django answers (and reports) whatever went wrong here.
            return None

    def _remember(self, key, status, headers, response) -> None:
        body = response.content
        if len(body) > self.max_bytes // 2:
            return
        etag = next((value for name, value in headers if name == "ETag"), None)
        with self._lock:
            if key in self._pages:
                return
            while self._pages and (
                len(self._pages) >= self.entries
                or self._bytes + len(body) > self.max_bytes
            ):
                oldest = next(iter(self._pages))
                self._bytes -= len(self._pages.pop(oldest)[2])
            self._pages[key] = (status, list(headers), body, etag)
            self._bytes += len(body)
