import hashlib

from django.conf import settings
from django.db import models

# Tokens start with this, so a leaked one is recognisable in logs and by
# secret scanners.
TOKEN_TAG = "tribune_"  # noqa: S105 (a fixed marker, not a secret)
# Characters of the secret part shown to the reader to tell tokens apart.
PREFIX_LENGTH = 8


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class AccessToken(models.Model):
    """A personal access token: a reader's key for API clients.

    Only the SHA-256 of the token is stored; the token itself is shown once,
    when it is made. A revoked token stays listed, and never works again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    # Bearer authentication looks the token up by its hash (unique index).
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The token page: a reader's tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="api_token_by_user"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
