"""Fixed-window counters in the "ratelimit" cache.

Without Redis that cache is a database table, so limits hold across every
worker process; with Redis they hold across machines. While Redis cannot be
reached the counters move to the "ratelimit-fallback" cache (the same
database table) for RETRY_SECONDS at a time, so limits go on holding, across
processes, through an outage (counts restart in the other store).
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import ngettext

from lib.cache import RETRY_SECONDS, redis_errors

logger = logging.getLogger("tribune.cache")
FALLBACK = "ratelimit-fallback"
_down_until = [0.0]
_lock = threading.Lock()


@dataclass(frozen=True)
class Limit:
    """At most `count` events per `seconds` for one key."""

    scope: str
    count: int
    seconds: int


def _cache():
    if _down_until[0] > time.monotonic():
        return caches[FALLBACK]
    return caches["ratelimit"]


def _falls_back(function):
    """Run `function`; if Redis fails under it, again on the fallback store."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        if FALLBACK not in settings.CACHES:
            return function(*args, **kwargs)
        try:
            return function(*args, **kwargs)
        except redis_errors() as error:
            with _lock:
                first = _down_until[0] <= time.monotonic()
                _down_until[0] = time.monotonic() + RETRY_SECONDS
            if first:
                logger.warning(
                    "Redis unreachable: rate limits counted in the database "
                    "for %ss: %s",
                    RETRY_SECONDS,
                    error,
                )
            return function(*args, **kwargs)

    return wrapper


def _window(limit: Limit, now: float) -> tuple[str, float]:
    start = math.floor(now / limit.seconds) * limit.seconds
    return f"{limit.scope}:{int(start)}", start + limit.seconds


def _key(limit: Limit, key: str, now: float) -> tuple[str, float]:
    window, ends = _window(limit, now)
    # Keys may hold spaces or Cyrillic (usernames); memcached-safe anyway.
    return f"rl:{window}:{key.encode('utf-8').hex()}", ends


@_falls_back
def retry_after(limit: Limit, key: str, now: float | None = None) -> int:
    """Return seconds until `key` may act again under `limit`; 0 if it may now."""
    now = time.time() if now is None else now
    cache_key, ends = _key(limit, key, now)
    used = _cache().get(cache_key, 0)
    if used >= limit.count:
        return max(1, math.ceil(ends - now))
    return 0


@_falls_back
def hit(limit: Limit, key: str, now: float | None = None) -> int:
    """Count one event for `key`; return the count in the current window."""
    now = time.time() if now is None else now
    cache_key, ends = _key(limit, key, now)
    cache = _cache()
    timeout = max(1, math.ceil(ends - now))
    if cache.add(cache_key, 1, timeout):
        return 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Expired between add() and incr(): this is the first hit of a window.
        cache.set(cache_key, 1, timeout)
        return 1
    # Caches without an atomic incr (the database cache) implement it as
    # get + set with their default timeout; keep the window's own expiry.
    cache.touch(cache_key, timeout)
    return count


@_falls_back
def reset(limit: Limit, key: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    cache_key, _ = _key(limit, key, now)
    _cache().delete(cache_key)


def describe_wait(seconds: int) -> str:
    """Return "in 40 seconds" / "in 3 minutes" for a message to a reader."""
    if seconds < 60:
        return ngettext("in %(count)s second", "in %(count)s seconds", seconds) % {
            "count": seconds
        }
    minutes = math.ceil(seconds / 60)
    return ngettext("in %(count)s minute", "in %(count)s minutes", minutes) % {
        "count": minutes
    }
