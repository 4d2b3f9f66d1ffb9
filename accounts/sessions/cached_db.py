"""SESSION_ENGINE with Redis: read from the cache, written through to the
database, read from it when the cache has forgotten."""

from django.contrib.sessions.backends import cached_db

from accounts.sessions import PreparedLoadMixin


class SessionStore(PreparedLoadMixin, cached_db.SessionStore):
    pass
