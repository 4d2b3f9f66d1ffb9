from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from discussion.models import Comment
from newsroom.models import Article


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Right away")
    DAILY = "daily", _("In a daily digest")
    OFF = "off", _("Never")


class Preference(models.Model):
    """How a reader wants to hear about activity; created on first change.

    A reader without a row has the field defaults, so code reading preferences
    must treat a missing row as `Preference()` (see `preference_or_default`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_replies = models.CharField(
        _("email me about replies to my comments"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.IMMEDIATELY,
    )
    email_follows = models.CharField(
        _("email me about new comments on articles I follow"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.DAILY,
    )
    moderator_digest = models.BooleanField(
        _("email me a daily digest of new reports"),
        default=True,
        help_text=_("Only sent to moderators."),
    )
    # Reports filed after this go into the next moderator digest.
    reports_digested_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"notification preferences of {self.user_id}"


class Follow(models.Model):
    """A reader who wants to hear about new comments on an article."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Also serves "is this reader following this article".
            models.UniqueConstraint(
                fields=["user", "article"], name="notifications_follow_unique"
            ),
        ]
        indexes = [
            # comment_published: the followers of one article.
            models.Index(fields=["article"], name="notifications_follow_article"),
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.article_id}"


class Notification(models.Model):
    """One entry of a reader's in-site list of things that happened."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to your comment")
        QUOTE = "quote", _("Quote of your comment")
        FOLLOW = "follow", _("New comment on an article you follow")
        REPORT = "report", _("New report for moderators")
        WARNING = "warning", _("Warning from the moderators")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the entry says when there is no comment to show (a warning).
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when an email (immediate or digest) told the reader about it, so
    # the daily digest never repeats an entry.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The notifications page: a reader's entries, newest first.
            models.Index(
                fields=["recipient", "-created_at"], name="notifications_recent"
            ),
            # The header count and the digest: a reader's unread entries.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread",
            ),
        ]
        constraints = [
            # comment_published and report_filed may run again for the same
            # comment (a restored comment, a second report): one entry each.
            models.UniqueConstraint(
                fields=["recipient", "comment", "kind"],
                condition=Q(comment__isnull=False),
                name="notifications_once_per_comment",
            ),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"

    def get_absolute_url(self):
        if self.comment_id is not None:
            return self.comment.get_absolute_url()
        if self.article_id is not None:
            return self.article.get_absolute_url()
        return ""


class OutboxMessage(models.Model):
    """An email waiting to be sent (or sent) by the worker.

    Rows are written in the same transaction as the change they report, so a
    crash never loses one; `tribune worker` sends them outside the request.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        FOLLOW = "follow", _("Followed article")
        DIGEST = "digest", _("Daily digest")
        REPORT_DIGEST = "report_digest", _("Moderator digest")

    # Null for mail to an address without an account; deleting an account
    # deletes its messages, so no address outlives the account here.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    to_address = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What this message is about ("comment:12:3", "digest:3:2025-06-01"):
    # enqueueing the same thing twice is refused by the database, and the
    # Message-ID header is derived from it.
    dedupe_key = models.CharField(max_length=200, unique=True)
    unsubscribe_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A worker holds the message until then; after it, the message is due again.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["send_after", "id"]
        indexes = [
            # The worker's claim: unsent messages whose time has come.
            models.Index(
                fields=["send_after"],
                condition=Q(sent_at__isnull=True),
                name="notifications_outbox_due",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_address}"
