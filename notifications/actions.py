"""Every change to notifications goes through these functions.

Other apps call `comment_published` and `report_filed`; views call the rest.
Emails are only *enqueued* here (an OutboxMessage row written in the same
transaction as the notification, so a crash loses neither); `tribune worker`
sends them outside the request.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from discussion.models import Comment
from moderation.models import Report
from newsroom.models import Article
from notifications.models import (
    Follow,
    Frequency,
    Notification,
    OutboxMessage,
    Preference,
)
from notifications.unsubscribe import unsubscribe_url

# Which preference decides the email for each kind of notification.
PREFERENCE_FOR_KIND = {
    Notification.Kind.REPLY: "email_replies",
    Notification.Kind.QUOTE: "email_replies",
    Notification.Kind.FOLLOW: "email_follows",
}


def preference_or_default(user: User) -> Preference:
    """The reader's preferences, or an unsaved row with the defaults (1 query
    unless `notification_preference` was select_related)."""
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def reachable(users: QuerySet) -> QuerySet:
    """Only accounts a person controls and may still hear from us."""
    return users.filter(is_active=True, is_claimed=True, banned_at__isnull=True)


def moderators() -> QuerySet:
    """Active accounts with the moderation permission (as User.is_moderator)."""
    perm = Permission.objects.filter(
        content_type__app_label="discussion", codename="moderate_comment"
    )
    return reachable(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=perm)
            | Q(user_permissions__in=perm)
        )
    ).distinct()


def _other_followers(comment: Comment) -> bool:
    """Whether anyone but the comment's author follows its article (one
    query, in plain SQL: most comments go to threads nobody else follows)."""
    table = connection.ops.quote_name(Follow._meta.db_table)
    sql = f"SELECT 1 FROM {table} WHERE article_id = %s"  # noqa: S608 - quoted name
    params = [comment.article_id]
    if comment.author_id is not None:
        sql += " AND user_id <> %s"
        params.append(comment.author_id)
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 1", params)
        return cursor.fetchone() is not None


def comment_published(
    comment: Comment, *, now: datetime | None = None, new: bool = False
) -> int:
    """Tell the parent's author and the article's followers about `comment`.

    Call right after the comment became visible (posted, approved, restored);
    calling again for the same comment adds nothing. Nobody hears about their
    own comment or hears twice about one comment; unclaimed, inactive and
    banned accounts hear nothing. Emails for readers who want them right away
    are enqueued in the same transaction. Returns how many readers were
    notified. Runs a fixed number of queries (about six) however many follow.
    `new` says the comment was created in this transaction, so nobody can have
    heard of it yet and the check for earlier notifications is skipped.
    """
    if comment.status != Comment.Status.PUBLISHED:
        return 0
    now = now or timezone.now()
    article = comment.article
    parent_author_id = None
    if comment.parent_id is not None:
        parent_author_id = (
            Comment.objects.filter(pk=comment.parent_id)
            .values_list("author_id", flat=True)
            .first()
        )
    if parent_author_id in (None, comment.author_id) and not _other_followers(comment):
        # Nobody to tell: one cheap question instead of the query below.
        return 0
    # A quote of the parent is a reply to the parent's author; quotes of the
    # article notify nobody. So a reply needs no look at its Quote rows.
    candidates = reachable(
        User.objects.filter(
            Q(pk=parent_author_id) | Q(follows__article_id=comment.article_id)
        )
    )
    if comment.author_id is not None:
        candidates = candidates.exclude(pk=comment.author_id)
    if not new:
        already = Notification.objects.filter(comment=comment)
        candidates = candidates.exclude(pk__in=already.values("recipient_id"))
    recipients = list(
        candidates.select_related("notification_preference").distinct().order_by("pk")
    )
    if not recipients:
        return 0

    actor = comment.author
    notifications, emails = [], []
    for reader in recipients:
        kind = (
            Notification.Kind.REPLY
            if reader.pk == parent_author_id
            else Notification.Kind.FOLLOW
        )
        field = PREFERENCE_FOR_KIND[kind]
        wants = getattr(preference_or_default(reader), field)
        immediately = wants == Frequency.IMMEDIATELY and bool(reader.email)
        notifications.append(
            Notification(
                recipient=reader,
                kind=kind,
                comment=comment,
                article=article,
                actor=actor,
                emailed_at=now if immediately else None,
            )
        )
        if immediately:
            emails.append(_comment_email(reader, kind, field, comment, actor, now))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        OutboxMessage.objects.bulk_create(emails, ignore_conflicts=True)
    return len(notifications)


def _comment_email(reader, kind, field, comment, actor, now) -> OutboxMessage:
    article = comment.article
    who = actor.username if actor else _("Someone")
    if kind == Notification.Kind.REPLY:
        subject = _("%(who)s replied to your comment on “%(title)s”")
    else:
        subject = _("New comment by %(who)s on “%(title)s”")
    subject %= {"who": who, "title": article.title}
    link = unsubscribe_url(reader.pk, [field])
    body = render_to_string(
        "notifications/email/comment.txt",
        {
            "reader": reader,
            "kind": kind,
            "who": who,
            "comment": comment,
            "article": article,
            "comment_url": settings.SITE_URL + comment.get_absolute_url(),
            "settings_url": _settings_url(),
            "unsubscribe_url": link,
            "what": _what(field),
        },
    )
    return OutboxMessage(
        recipient=reader,
        to_address=reader.email,
        subject=_one_line(subject),
        body_text=body,
        kind=OutboxMessage.Kind.REPLY
        if kind != Notification.Kind.FOLLOW
        else OutboxMessage.Kind.FOLLOW,
        dedupe_key=f"comment:{comment.pk}:{reader.pk}",
        unsubscribe_url=link,
        send_after=now,
    )


def report_filed(report: Report) -> int:
    """Put a reported comment in every moderator's in-site list, once.

    Further reports of the same comment add nothing; the moderator digest
    email (sent by the worker) lists the reports themselves. Returns how many
    moderators were notified (2 queries).
    """
    mods = list(moderators().exclude(pk=report.reporter_id).only("pk"))
    entries = [
        Notification(
            recipient=mod,
            kind=Notification.Kind.REPORT,
            comment_id=report.comment_id,
            actor_id=report.reporter_id,
        )
        for mod in mods
    ]
    Notification.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


def reader_warned(reader: User, text: str) -> Notification:
    """Put a moderator's warning in the reader's in-site list (1 query).

    Called by moderation.actions.warn_reader inside its transaction. No email:
    a warning is not something a reader subscribes to, and the reader sees it
    (with the header count) the next time they visit.
    """
    return Notification.objects.create(
        recipient=reader, kind=Notification.Kind.WARNING, message=text
    )


def follow(user: User, article: Article) -> bool:
    """Follow the article's new comments; True if the reader was not already."""
    _, created = Follow.objects.get_or_create(user=user, article=article)
    return created


def unfollow(user: User, article: Article) -> bool:
    """Stop following; True if the reader was following."""
    deleted, _ = Follow.objects.filter(user=user, article=article).delete()
    return bool(deleted)


def toggle_follow(user: User, article: Article) -> bool:
    """Follow or unfollow; returns whether the reader now follows."""
    with transaction.atomic():
        if unfollow(user, article):
            return False
        follow(user, article)
        return True


def is_following(user: User, article: Article) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, article=article).exists()


def mark_read(
    user: User, ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> int:
    """Mark the reader's notifications `ids` (all of them if None) read.

    Ids of other readers' notifications are ignored. Returns how many changed
    (1 query).
    """
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())


def update_preferences(user: User, **values) -> Preference:
    """Create the reader's preference row if needed and set `values`."""
    with transaction.atomic():
        preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
        for field, value in values.items():
            setattr(preference, field, value)
        preference.save()
    return preference


def unsubscribe(user_id: int, fields: list[str]) -> Preference | None:
    """Turn the preference `fields` off for the user; None if no such user."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    off = {
        field: (False if field == "moderator_digest" else Frequency.OFF)
        for field in fields
    }
    return update_preferences(user, **off)


def _settings_url() -> str:
    return settings.SITE_URL + reverse("notifications-settings")


def _what(field: str) -> str:
    return {
        "email_replies": "replies to your comments",
        "email_follows": "new comments on articles you follow",
        "moderator_digest": "the moderator digest",
    }[field]


def _one_line(text: str) -> str:
    # Titles may hold newlines; a header must not.
    return " ".join(text.split())[:300]
