"""Session engines: Django's database-backed ones, reading a session by
compiled SQL.

Every signed-in request reads its session; the ORM spent four times longer
building that query than SQLite spent answering it. The session is selected
by key and its expiry checked here, as Django's `get(session_key=...,
expire_date__gt=now)` does.
"""

from django.contrib.sessions.models import Session
from django.utils import timezone

from lib.prepared import PreparedQuery

_BY_KEY = PreparedQuery(
    lambda key: Session.objects.filter(session_key=key).order_by(),
    key="prepared:session-key",
)


class PreparedLoadMixin:
    def _get_session_from_db(self):
        if self.model is Session:
            session = _BY_KEY.first(key=self.session_key)
            if session is not None and session.expire_date > timezone.now():
                return session
            self._session_key = None
            return None
        return super()._get_session_from_db()
