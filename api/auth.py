"""Who is calling the API: a personal access token, or the site's session.

A token (`Authorization: Bearer tribune_…`) needs no CSRF token: a browser
never sends it by itself. A session cookie does, on every unsafe method,
exactly as the site's forms do.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from api.errors import ApiError
from api.models import AccessToken, hash_token

# last_used_at is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """A personal access token; an unknown or revoked one is a 401 at once."""

    def __call__(self, request: HttpRequest):
        # ninja's own logs any other Authorization header whole when DEBUG is
        # on, credentials included; another scheme here just means "not us".
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str):
        """The token's reader (one query; one more at most once a minute)."""
        token = token.strip()
        record = (
            AccessToken.objects.select_related("user")
            .filter(token_hash=hash_token(token))
            .first()
            if token
            else None
        )
        if record is None:
            raise ApiError(401, gettext("This access token is not valid."))
        if record.revoked_at is not None:
            raise ApiError(401, gettext("This access token was revoked."))
        if not record.user.is_active:
            raise ApiError(401, gettext("The account of this access token is closed."))
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at > (
            LAST_USED_PRECISION
        ):
            AccessToken.objects.filter(pk=record.pk).update(last_used_at=now)
        request.user = record.user
        request.api_token = record
        return record.user


class SessionAuth(APIKeyCookie):
    """The site's own session; unsafe methods must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest):
        # Unlike ninja's own, check CSRF only when the cookie signs someone in:
        # a visitor without a session is told to sign in (401), not about CSRF.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise ApiError(
                403,
                "CSRF check failed: send the csrftoken cookie's value in the "
                "X-CSRFToken header, or use an access token instead of the "
                "session.",
            )
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
# Tokens first: a request that sends one is judged by it alone.
REQUIRED = [token_auth, session_auth]
