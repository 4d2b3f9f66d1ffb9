"""A Redis cache that lets the site go on serving while Redis is away.

Django's RedisCache raises when Redis does not answer, so a Redis outage
turned every page into an error. `TolerantRedisCache` treats an unreachable
Redis as an empty cache: reads miss, writes are dropped, and after a failure
it does not try Redis again for RETRY_SECONDS, so requests do not each wait
for the connection timeout. Rate limits do not use it: they fall back to the
database instead (lib.ratelimit), since a limit that forgets is no limit.
`/healthz` reports the cache as degraded meanwhile.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("tribune.cache")

# After a failure, Redis is left alone this long before the next attempt.
RETRY_SECONDS = 5.0


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean Redis cannot be reached (imported lazily)."""
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class TolerantRedisCache(RedisCache):
    """RedisCache whose operations miss instead of raising while Redis is away."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """False while failures keep Redis out of use (see RETRY_SECONDS)."""
        return time.monotonic() >= self._down_until

    def _guard(self, operation, fallback, *args, **kwargs):
        if not self.available:
            return fallback
        try:
            return operation(*args, **kwargs)
        except redis_errors() as error:
            with self._lock:
                first = self.available
                self._down_until = time.monotonic() + RETRY_SECONDS
            if first:
                logger.warning(
                    "Redis cache unreachable, serving without it for %ss: %s",
                    RETRY_SECONDS,
                    error,
                )
            return fallback

    def get(self, key, default=None, version=None):
        return self._guard(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._guard(super().has_key, False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set_many, list(data), data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().add, False, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(super().delete, False, key, version)

    def delete_many(self, keys, version=None):
        return self._guard(super().delete_many, None, keys, version)

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError, as Django's caches do.
        result = self._guard(super().incr, None, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return result

    def clear(self):
        return self._guard(super().clear, False)
