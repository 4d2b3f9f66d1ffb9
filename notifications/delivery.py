"""Sending the outbox and writing the daily digests, for `tribune worker`.

Delivery is at least once: a message is marked sent only after the mail
server accepted it, and a claimed message whose worker died becomes due again
when its lease runs out. See the worker command's help for what that can and
cannot promise.
"""

import hashlib
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from moderation.models import Report
from notifications.actions import moderators, preference_or_default
from notifications.models import Frequency, Notification, OutboxMessage, Preference
from notifications.unsubscribe import unsubscribe_url

logger = logging.getLogger("tribune.notifications")

LEASE_SECONDS = 300
BATCH_SIZE = 50
# After this many failed attempts a message stays unsent, its last_error kept.
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=6)
# A digest lists at most this many entries and mentions the rest by number.
DIGEST_LIMIT = 50
# Unread entries older than this are left out of digests.
DIGEST_MAX_AGE = timedelta(days=7)


def digest_hour() -> int:
    """Local hour (TIME_ZONE) from which the day's digests are written."""
    return getattr(settings, "TRIBUNE_DIGEST_HOUR", 7)


# Sending


def _due(now: datetime) -> QuerySet:
    return OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        sent_at__isnull=True,
        send_after__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    )


def claim(
    now: datetime, *, lease: int = LEASE_SECONDS, limit: int = BATCH_SIZE
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for `lease` seconds and return them.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers take
    different rows without waiting. SQLite has no row locks: each row is
    taken by a conditional UPDATE that re-checks it is still unclaimed, and
    only rows whose UPDATE changed one row are ours (limit + 2 queries).
    """
    until = now + timedelta(seconds=lease)
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                _due(now)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:limit]
            )
            OutboxMessage.objects.filter(pk__in=ids).update(claimed_until=until)
    else:
        ids = [
            pk
            for pk in list(_due(now).values_list("pk", flat=True)[:limit])
            if _due(now).filter(pk=pk).update(claimed_until=until)
        ]
    return list(OutboxMessage.objects.filter(pk__in=ids))


def message_id(dedupe_key: str) -> str:
    """A Message-ID that is the same every time the same message is sent."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{digest}.tribune@{domain}>"


def build_email(message: OutboxMessage, connection=None) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": message_id(message.dedupe_key),
        # Asks vacation responders not to answer (RFC 3834).
        "Auto-Submitted": "auto-generated",
    }
    if message.unsubscribe_url:
        # RFC 8058 one-click: mail clients POST to the link without a session.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_address],
        headers=headers,
        connection=connection,
    )


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _mark_sent(message: OutboxMessage, now: datetime) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=now, claimed_until=None, attempts=message.attempts + 1
    )


def _mark_failed(message: OutboxMessage, error: Exception, now: datetime) -> None:
    attempts = message.attempts + 1
    text = f"{type(error).__name__}: {error}"[:2000]
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=text,
        send_after=now + _backoff(attempts),
        claimed_until=None,
    )
    log = logger.error if attempts >= MAX_ATTEMPTS else logger.warning
    log(
        "email %s to %s failed (attempt %d): %s",
        message.pk,
        message.to_address,
        attempts,
        text,
    )


def _send_batch(messages: list[OutboxMessage], lease: int) -> tuple[int, int]:
    # A send must end well within the lease, or another worker may take the
    # message again while this one is still talking to the server.
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or max(1, min(60, lease // 3))
    mailer = get_connection(timeout=timeout)
    sent = failed = 0
    try:
        for message in messages:
            try:
                if not build_email(message, mailer).send():
                    raise RuntimeError("the mail backend accepted no recipient")
            except Exception as error:
                _mark_failed(message, error, timezone.now())
                failed += 1
                # Start the next message on a fresh connection.
                mailer.close()
            else:
                _mark_sent(message, timezone.now())
                sent += 1
    finally:
        mailer.close()
    return sent, failed


def send_due(
    *, now: datetime | None = None, lease: int = LEASE_SECONDS, batch: int = BATCH_SIZE
) -> tuple[int, int]:
    """Send every message that is due, batch by batch; return (sent, failed)."""
    sent = failed = 0
    while messages := claim(now or timezone.now(), lease=lease, limit=batch):
        batch_sent, batch_failed = _send_batch(messages, lease)
        sent += batch_sent
        failed += batch_failed
    return sent, failed


# Digests


def _settings_url() -> str:
    return settings.SITE_URL + reverse("notifications-settings")


def _daily_kinds() -> Q:
    """Entries whose reader wants them in the daily digest (no row: defaults)."""
    pref = "recipient__notification_preference"
    no_row = Q(**{f"{pref}__isnull": True})

    def wants_daily(field: str) -> Q:
        daily = Q(**{f"{pref}__{field}": Frequency.DAILY})
        if Preference._meta.get_field(field).default == Frequency.DAILY:
            daily |= no_row
        return daily

    return Q(kind__in=[Notification.Kind.REPLY, Notification.Kind.QUOTE]) & wants_daily(
        "email_replies"
    ) | Q(kind=Notification.Kind.FOLLOW) & wants_daily("email_follows")


def enqueue_reader_digests(now: datetime | None = None) -> int:
    """Write today's digest for each reader with unread, unmailed daily entries.

    The dedupe key (reader, local date) makes a second run on the same day
    write nothing. Returns how many digests were enqueued. Runs 2 queries plus
    about 3 per digest.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    pending = (
        Notification.objects.filter(
            _daily_kinds(),
            read_at__isnull=True,
            emailed_at__isnull=True,
            created_at__gte=now - DIGEST_MAX_AGE,
            recipient__is_active=True,
            recipient__is_claimed=True,
            recipient__banned_at__isnull=True,
        )
        .exclude(recipient__email="")
        .select_related(
            "recipient__notification_preference", "comment__article", "actor"
        )
        .order_by("recipient_id", "-created_at", "-id")
    )
    by_reader = defaultdict(list)
    for entry in pending:
        by_reader[entry.recipient_id].append(entry)
    keys = {reader_id: f"digest:{reader_id}:{day}" for reader_id in by_reader}
    done = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    enqueued = 0
    for reader_id, entries in by_reader.items():
        if keys[reader_id] in done:
            continue
        if _enqueue(_reader_digest(entries, keys[reader_id], day, now), entries, now):
            enqueued += 1
    return enqueued


def _reader_digest(entries, key: str, day: date, now: datetime) -> OutboxMessage:
    reader = entries[0].recipient
    preference = preference_or_default(reader)
    fields = [
        field
        for field in ("email_replies", "email_follows")
        if getattr(preference, field) == Frequency.DAILY
    ] or ["email_follows"]
    link = unsubscribe_url(reader.pk, fields)
    replies = sum(entry.kind != Notification.Kind.FOLLOW for entry in entries)
    body = render_to_string(
        "notifications/email/digest.txt",
        {
            "reader": reader,
            "entries": [
                (entry, settings.SITE_URL + entry.get_absolute_url())
                for entry in entries[:DIGEST_LIMIT]
            ],
            "more": max(0, len(entries) - DIGEST_LIMIT),
            "list_url": settings.SITE_URL + reverse("notifications-list"),
            "settings_url": _settings_url(),
            "unsubscribe_url": link,
        },
    )
    count = len(entries)
    subject = ngettext(
        "%(count)d new comment for you", "%(count)d new comments for you", count
    ) % {"count": count}
    if replies:
        subject += " " + ngettext(
            "(%(count)d reply to you)", "(%(count)d replies to you)", replies
        ) % {"count": replies}
    return OutboxMessage(
        recipient=reader,
        to_address=reader.email,
        subject=f"{subject} · {date_format(day, 'd E Y')}",
        body_text=body,
        kind=OutboxMessage.Kind.DIGEST,
        dedupe_key=key,
        unsubscribe_url=link,
        send_after=now,
    )


def _enqueue(message: OutboxMessage, entries, now: datetime) -> bool:
    """Insert the digest and mark its entries mailed, together; False if a
    digest with this key exists already."""
    try:
        with transaction.atomic():
            message.save()
            Notification.objects.filter(pk__in=[e.pk for e in entries]).update(
                emailed_at=now
            )
    except IntegrityError:
        return False
    return True


def enqueue_moderator_digests(now: datetime | None = None) -> int:
    """Write today's digest of open reports filed since each moderator's last.

    One per moderator and local date (dedupe key); moderators who turned it
    off, or with nothing new, get none. Returns how many were enqueued. Runs
    about 4 queries per moderator; there are few.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    enqueued = 0
    mods = moderators().exclude(email="").select_related("notification_preference")
    for mod in mods:
        preference = preference_or_default(mod)
        if not preference.moderator_digest:
            continue
        key = f"report-digest:{mod.pk}:{day}"
        since = preference.reports_digested_at or now - timedelta(days=1)
        reports = Report.objects.filter(
            status=Report.Status.OPEN, created_at__gt=since, created_at__lte=now
        ).order_by("created_at", "id")
        listed = list(
            reports.select_related("comment__article", "reporter")[:DIGEST_LIMIT]
        )
        if not listed:
            continue
        total = reports.count() if len(listed) == DIGEST_LIMIT else len(listed)
        link = unsubscribe_url(mod.pk, ["moderator_digest"])
        body = render_to_string(
            "notifications/email/report_digest.txt",
            {
                "moderator": mod,
                "reports": [
                    (report, settings.SITE_URL + report.comment.get_absolute_url())
                    for report in listed
                ],
                "more": total - len(listed),
                "settings_url": _settings_url(),
                "unsubscribe_url": link,
            },
        )
        message = OutboxMessage(
            recipient=mod,
            to_address=mod.email,
            subject=ngettext(
                "%(count)d new report to review",
                "%(count)d new reports to review",
                total,
            )
            % {"count": total}
            + f" · {date_format(day, 'd E Y')}",
            body_text=body,
            kind=OutboxMessage.Kind.REPORT_DIGEST,
            dedupe_key=key,
            unsubscribe_url=link,
            send_after=now,
        )
        try:
            with transaction.atomic():
                message.save()
                Preference.objects.update_or_create(
                    user=mod, defaults={"reports_digested_at": now}
                )
        except IntegrityError:
            continue
        enqueued += 1
    return enqueued
