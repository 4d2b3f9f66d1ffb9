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
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_request

# A bound for what the key does not track (ranks that change with votes in
# other threads, the site's name).
PAGE_SECONDS = 300
# How long a process trusts the version it read for an article.
VALIDATOR_SECONDS = 1.0
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


def bump_thread(article_ids, **updates) -> None:
    """Record a change to these articles' threads (one UPDATE).

    Bumps thread_version, which keys the cached thread renderings, the cached
    pages and the pages' ETags, along with any other `updates`. Translations
    of these articles show the same thread, so their thread_version is bumped
    in the same UPDATE; the `updates` (the comment count) apply to the
    originals only, which the translations read theirs from.
    """
    from newsroom.models import Article

    ids = [article_ids] if isinstance(article_ids, int) else list(article_ids)
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
    # The writer's own process shows the change at once, before and after
    # commit; with a shared cache every process does, otherwise the others
    # within VALIDATOR_SECONDS.
    slugs = (
        list(Article.objects.filter(editions).values_list("slug", flat=True))
        if _shared()
        else []
    )

    def expire():
        forget()
        if slugs:
            cache.delete_many([_shared_key(slug) for slug in slugs])

    expire()
    transaction.on_commit(expire)


def article_validator(request, slug: str):
    """(pk, thread_version, updated_at) of the article (at most one query).

    Read once per request, and by a process at most every VALIDATOR_SECONDS.
    """
    cached = getattr(request, "_article_validator", None)
    if cached is not None and cached[0] == slug:
        return cached[1]
    if _shared():
        row = cache.get(_shared_key(slug))
        if row is None:
            row = _read_validator(slug)
            cache.set(_shared_key(slug), row, PAGE_SECONDS)
        request._article_validator = (slug, row)
        return row
    now = time.monotonic()
    known = _validators.get(slug)
    if known is not None and now - known[0] < VALIDATOR_SECONDS:
        row = known[1]
    else:
        row = _read_validator(slug)
        if len(_validators) > 10000:
            _validators.clear()
        _validators[slug] = (now, row)
    request._article_validator = (slug, row)
    return row


def _read_validator(slug: str):
    from newsroom.models import Article

    return (
        Article.objects.filter(slug=slug)
        .values_list("pk", "thread_version", "updated_at")
        .first()
    )


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
        # The page is in the reader's language, chosen from these headers.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
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
        # The language LocaleMiddleware will pick (cookie, then
        # Accept-Language): readers of each language get their own copy.
        language = get_language_from_request(request)
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
