"""Whole article pages for anonymous readers, served from the cache.

Most readers of a hot article are anonymous and see the same page. The
middleware keeps each such page as bytes until its thread or its article
changes, so serving it costs a cache lookup instead of a rendering. Every
change to a thread goes through `bump_thread`, which moves the article's
generation on commit; the cache key carries the generation, so the next
request renders afresh. Readers with a session never get a cached page.
"""

import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseNotModified

# A bound for what no generation tracks (ranks that change with votes in
# other threads, the site's name).
PAGE_SECONDS = 300
_ARTICLE_PAGE = re.compile(r"^/articles/([^/]+)/$")
_ALL = "pagecache:all"


def _generation_key(slug: str) -> str:
    return f"pagecache:gen:{slug}"


def invalidate(slug: str) -> None:
    cache.set(_generation_key(slug), secrets.token_hex(4), None)


def invalidate_all() -> None:
    cache.set(_ALL, secrets.token_hex(4), None)


def bump_thread(article_ids, **updates) -> None:
    """Record a change to these articles' threads (two queries).

    Bumps thread_version (which keys the cached thread renderings) along with
    any other `updates`, and expires their cached pages.
    """
    from newsroom.models import Article

    ids = [article_ids] if isinstance(article_ids, int) else list(article_ids)
    Article.objects.filter(pk__in=ids).update(
        thread_version=F("thread_version") + 1, **updates
    )

    slugs = list(Article.objects.filter(pk__in=ids).values_list("slug", flat=True))

    def expire():
        for slug in slugs:
            invalidate(slug)

    # Now, for this process; and again after commit, in case another process
    # cached the page from the old rows in between.
    expire()
    transaction.on_commit(expire)


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
        if request.method != "GET":
            return None
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return None
        match = _ARTICLE_PAGE.match(request.path)
        if match is None:
            return None
        slug = match.group(1)
        generation, everything = self._generations(slug)
        language = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
        query = request.META.get("QUERY_STRING", "")
        return f"pagecache:page:{everything}:{generation}:{language}:{slug}?{query}"

    @staticmethod
    def _generations(slug: str) -> tuple[str, str]:
        found = cache.get_many([_generation_key(slug), _ALL])
        return found.get(_generation_key(slug), "0"), found.get(_ALL, "0")

    @staticmethod
    def _cacheable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )
