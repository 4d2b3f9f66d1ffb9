"""`/healthz`: can this process reach its database and its cache?

For load balancers, monitoring and the deployment checks in the README. It
needs no sign-in, is never cached, and answers quickly even when Redis is
gone: the Redis cache's socket timeouts (CACHES OPTIONS) bound the cache
check.
"""

import logging
import secrets
import time

from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("tribune.health")


def check_database(alias: str = "default") -> bool:
    """Return whether a trivial query succeeds (one query)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_cache(alias: str = "default") -> bool:
    """Return whether a value written to the cache can be read back.

    Reading back matters: a backend that swallows errors (as a cache that
    tolerates a Redis outage does) reports a miss, not an exception.
    """
    cache = caches[alias]
    key = f"healthz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


def cache_backend(alias: str = "default") -> str:
    """Return a short name for the cache backend: redis, locmem, db …"""
    from django.core.cache.backends.redis import RedisCache

    cache = caches[alias]
    if isinstance(cache, RedisCache):  # lib.cache's tolerant one too
        return "redis"
    return type(cache).__module__.rsplit(".", 1)[-1]


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        ok = bool(check())
    except Exception:
        logger.warning("health check %s failed", check.__name__, exc_info=True)
        ok = False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 2)}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Report the database and the cache; 503 only when the database is down.

    Without the cache the site keeps serving (every read is a miss), so a
    dead cache makes the status "degraded" with 200: a load balancer should
    not take the server out of rotation for it.
    """
    database = _timed(check_database)
    cache = {**_timed(check_cache), "backend": cache_backend()}
    if not database["ok"]:
        status = "down"
    elif not cache["ok"]:
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "database": database, "cache": cache},
        status=503 if status == "down" else 200,
    )
