"""Fixed-window counters in the "ratelimit" cache.

Without Redis that cache is a database table, so limits hold across every
worker process; with Redis they hold across machines.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Limit:
    """At most `count` events per `seconds` for one key."""

    scope: str
    count: int
    seconds: int


def _cache():
    return caches["ratelimit"]


def _window(limit: Limit, now: float) -> tuple[str, float]:
    start = math.floor(now / limit.seconds) * limit.seconds
    return f"{limit.scope}:{int(start)}", start + limit.seconds


def _key(limit: Limit, key: str, now: float) -> tuple[str, float]:
    window, ends = _window(limit, now)
    # Keys may hold spaces or Cyrillic (usernames); memcached-safe anyway.
    return f"rl:{window}:{key.encode('utf-8').hex()}", ends


def retry_after(limit: Limit, key: str, now: float | None = None) -> int:
    """Return seconds until `key` may act again under `limit`; 0 if it may now."""
    now = time.time() if now is None else now
    cache_key, ends = _key(limit, key, now)
    used = _cache().get(cache_key, 0)
    if used >= limit.count:
        return max(1, math.ceil(ends - now))
    return 0


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
