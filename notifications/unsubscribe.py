"""Signed one-click unsubscribe links: no session, no stored token.

The token is `django.core.signing` output (salted, timestamped) holding the
user id and the preference fields to turn off, so a link only ever changes
what its email was about.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

SALT = "notifications.unsubscribe"
# Preference fields a link may turn off.
FIELDS = ("email_replies", "email_follows", "moderator_digest")
# Links in old emails keep working this long (seconds).
MAX_AGE = 365 * 24 * 3600


class BadToken(Exception):
    """The link was altered, is too old, or names something it cannot change."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


def make_token(user_id: int, fields: list[str] | tuple[str, ...]) -> str:
    assert fields and set(fields) <= set(FIELDS), fields
    return signing.dumps({"u": user_id, "f": sorted(fields)}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, list[str]]:
    """Return (user id, fields) from a token; raise BadToken otherwise."""
    max_age = getattr(settings, "TRIBUNE_UNSUBSCRIBE_MAX_AGE", MAX_AGE)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken(
            _(
                "This unsubscribe link has expired. Sign in and change your "
                "notification settings instead."
            ),
            expired=True,
        ) from None
    except signing.BadSignature:
        raise BadToken(
            _(
                "This unsubscribe link is not valid: it may have been cut short or "
                "changed. Copy the whole link from the email, or sign in and "
                "change your notification settings."
            )
        ) from None
    try:
        user_id, fields = int(data["u"]), list(data["f"])
    except (KeyError, TypeError, ValueError):
        raise BadToken(_("This unsubscribe link is not valid.")) from None
    if not fields or not set(fields) <= set(FIELDS):
        raise BadToken(_("This unsubscribe link is not valid."))
    return user_id, fields


def unsubscribe_url(user_id: int, fields: list[str] | tuple[str, ...]) -> str:
    """The absolute one-click link (SITE_URL + path) for an email."""
    path = reverse("notifications-unsubscribe", args=[make_token(user_id, fields)])
    return settings.SITE_URL + path
