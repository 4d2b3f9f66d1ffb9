"""SESSION_ENGINE without Redis: sessions in the database."""

from django.contrib.sessions.backends import db

from accounts.sessions import PreparedLoadMixin


class SessionStore(PreparedLoadMixin, db.SessionStore):
    pass
