"""Whole article pages for anonymous readers, served from the cache.

Most readers of a hot article are anonymous and see the same page. The
middleware keeps each such page as bytes, keyed by the article's
thread_version and updated_at as read from the database on every request (one
indexed query), so a page is stale for no one, in any process, the moment a
change commits: every change to a thread goes through `bump_thread`, and an
edit of the article moves updated_at. Readers with a session never get a
cached page.
"""

import re

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.http import HttpResponse, HttpResponseNotModified

# A bound for what the key does not track (ranks that change with votes in
# other threads, the site's name).
PAGE_SECONDS = 300
_ARTICLE_PAGE = re.compile(r"^/articles/([^/]+)/$")


def bump_thread(article_ids, **updates) -> None:
    """Record a change to these articles' threads (one UPDATE).

    Bumps thread_version, which keys the cached thread renderings, the cached
    pages and the pages' ETags, along with any other `updates`.
    """
    from newsroom.models import Article

    ids = [article_ids] if isinstance(article_ids, int) else list(article_ids)
    Article.objects.filter(pk__in=ids).update(
        thread_version=F("thread_version") + 1, **updates
    )


def article_validator(request, slug: str):
    """(pk, thread_version, updated_at) of the article, once per request."""
    cached = getattr(request, "_article_validator", None)
    if cached is not None and cached[0] == slug:
        return cached[1]
    from newsroom.models import Article

    row = (
        Article.objects.filter(slug=slug)
        .values_list("pk", "thread_version", "updated_at")
        .first()
    )
    request._article_validator = (slug, row)
    return row


def anonymous(request) -> bool:
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


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
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        if self._cacheable(response):
            headers = {
                name: value
                for name, value in response.items()
                if name in ("Content-Type", "ETag", "Vary", "Content-Language")
            }
            cache.set(key, (response.content, headers), PAGE_SECONDS)
        return response

    def _key(self, request) -> str | None:
        if request.method != "GET" or not anonymous(request):
            return None
        match = _ARTICLE_PAGE.match(request.path)
        if match is None:
            return None
        slug = match.group(1)
        row = article_validator(request, slug)
        if row is None:
            return None
        from moderation.models import SiteMode

        pk, version, updated = row
        mode = SiteMode.current().updated_at
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        query = request.META.get("QUERY_STRING", "")
        return ":".join(
            [
                "pagecache",
                str(pk),
                str(version),
                str(updated.timestamp()),
                str(mode.timestamp()) if mode else "0",
                language,
                query,
            ]
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
