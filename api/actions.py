"""Readers' personal access tokens: made and revoked only here."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from api.models import PREFIX_LENGTH, TOKEN_TAG, AccessToken, hash_token

# Enough for every client a reader might use; a bound on what a stolen
# session could mint.
MAX_ACTIVE_TOKENS = 20


class TokenRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def create_token(*, user: User, name: str) -> tuple[AccessToken, str]:
    """Make a token for `user`; return the record and the token text.

    The text is not stored anywhere (only its SHA-256): the caller shows it
    once.
    """
    name = " ".join(name.split())
    if not name:
        raise TokenRefused(_("Name the token, e.g. the app that will use it."))
    if len(name) > 100:
        raise TokenRefused(_("Keep the name under 100 characters."))
    with transaction.atomic():
        # Serializes one reader's concurrent requests so the cap holds.
        User.objects.select_for_update().filter(pk=user.pk).exists()
        if AccessToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
            raise TokenRefused(
                ngettext(
                    "You have %(count)d active token; revoke one you no longer "
                    "use first.",
                    "You have %(count)d active tokens; revoke one you no longer "
                    "use first.",
                    MAX_ACTIVE_TOKENS,
                )
                % {"count": MAX_ACTIVE_TOKENS}
            )
        secret = secrets.token_urlsafe(32)
        text = f"{TOKEN_TAG}{secret}"
        token = AccessToken.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(text),
            prefix=f"{TOKEN_TAG}{secret[:PREFIX_LENGTH]}",
        )
    return token, text


def revoke_token(*, user: User, token: AccessToken) -> AccessToken:
    """Stop `token` working for good. Only its owner (or an admin) revokes it."""
    if token.user_id != user.pk and not user.is_superuser:
        raise TokenRefused(_("You can only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def revoke_tokens(tokens) -> int:
    """Revoke every token of the queryset not revoked yet (admins); return how many."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
