"""Who may post, and which new comments wait for a moderator.

Plain functions over a reader, an article and a text; discussion.actions
calls them while posting. Each returns reasons in words a reader or a
moderator understands.
"""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import User
from newsroom.models import Article

TRUSTED_GROUP = "Trusted readers"

# Level names, lowest first; `trust_level` returns an index into this list.
# Translated where shown (gettext); the English names are the identifiers.
TRUST_LEVELS = [
    gettext_noop("New reader"),
    gettext_noop("Reader"),
    gettext_noop("Trusted reader"),
    gettext_noop("Moderator"),
]

_LINK = re.compile(r"(https?://|www\.|\]\()", re.IGNORECASE)


def approved_count(user: User) -> int:
    """Published comments of the reader (one query)."""
    from discussion.models import Comment

    return Comment.objects.filter(author=user, status=Comment.Status.PUBLISHED).count()


def trust_level(user: User, approved: int | None = None) -> int:
    """0 new, 1 reader, 2 trusted, 3 moderator.

    Level 1 comes with TRIBUNE_TRUST_MIN_APPROVED published comments; level 2
    with TRIBUNE_TRUSTED_REPUTATION on top, or membership of the trusted group.
    Runs up to three queries (permissions, groups, comment count).
    """
    if user.is_moderator:
        return 3
    if approved is None:
        approved = approved_count(user)
    if approved < settings.TRIBUNE_TRUST_MIN_APPROVED:
        return 0
    trusted_by_group = user.groups.filter(name=TRUSTED_GROUP).exists()
    if trusted_by_group or user.reputation >= settings.TRIBUNE_TRUSTED_REPUTATION:
        return 2
    return 1


def is_new_account(user: User, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    age = timedelta(seconds=settings.TRIBUNE_NEW_ACCOUNT_SECONDS)
    return user.date_joined is not None and now - user.date_joined < age


def _reason(user: User) -> str:
    if not user.ban_reason:
        return ""
    return " " + _("Reason: %(reason)s") % {"reason": user.ban_reason}


def account_refusal(user: User, now: datetime | None = None) -> str | None:
    """Why this reader may not write at all now, or None."""
    now = now or timezone.now()
    if user.banned_at is not None:
        return _("Your account is banned from commenting.") + _reason(user)
    if user.suspended_until is not None and user.suspended_until > now:
        until = date_format(timezone.localtime(user.suspended_until), "j E Y H:i")
        return _("Your account is suspended until %(until)s.") % {
            "until": until
        } + _reason(user)
    return None


def comments_closed_message(
    article: Article, now: datetime | None = None
) -> str | None:
    """Why comments on this article are closed, or None if they are open."""
    from moderation.models import SiteMode

    mode = SiteMode.current()
    if mode.read_only:
        return mode.message or _(
            "The site is read-only for now: comments and votes are paused."
        )
    if not article.comments_open:
        return _("Comments on this article are closed.")
    days = settings.TRIBUNE_AUTO_CLOSE_DAYS
    now = now or timezone.now()
    if (
        days
        and article.published_at
        and now - article.published_at > timedelta(days=days)
    ):
        return ngettext(
            "Comments close %(days)s day after publication; this discussion is closed.",
            "Comments close %(days)s days after publication; this discussion is "
            "closed.",
            days,
        ) % {"days": days}
    return None


def has_links(body: str) -> bool:
    return bool(_LINK.search(body))


def hold_reasons(user: User, body: str, suspect_words: list[str]) -> list[str]:
    """Why a new comment should wait for a moderator; empty to publish it."""
    from moderation.models import SiteMode

    reasons = []
    if SiteMode.current().premoderate_all:
        reasons.append("every comment is reviewed for now")
    if user.premoderated:
        reasons.append("this reader's comments are reviewed")
    first_n = settings.TRIBUNE_PREMODERATE_NEW_READERS
    min_trust = settings.TRIBUNE_LINKS_MIN_TRUST
    links = bool(min_trust) and has_links(body)
    # Count the reader's approved comments only when a rule needs it.
    approved = approved_count(user) if first_n or links else 0
    if first_n and approved < first_n and not user.is_moderator:
        reasons.append(f"new reader (fewer than {first_n} approved comments)")
    if links and trust_level(user, approved) < min_trust:
        reasons.append("links from a reader who is not yet trusted")
    if suspect_words and settings.TRIBUNE_SUSPECT_WORDS == "hold":
        reasons.append("suspect words: " + ", ".join(suspect_words))
    return reasons


def normalized_text(body: str) -> str:
    """The text with case, spacing and punctuation folded, for duplicate checks."""
    return " ".join(re.findall(r"\w+", body.casefold()))
