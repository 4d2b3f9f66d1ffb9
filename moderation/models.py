from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from discussion.models import Comment


class Report(models.Model):
    """A reader's report of a comment, for moderators."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", _("Abuse or harassment")
        SPAM = "spam", _("Spam or advertising")
        OFF_TOPIC = "off_topic", _("Off-topic")
        ILLEGAL = "illegal", _("Illegal content")
        SUSPECT_WORDS = "suspect_words", _("Suspect words (automatic)")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: comment removed")
        DISMISSED = "dismissed", _("Dismissed: comment kept")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="reports"
    )
    # None for reports the system files itself (suspect words).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_filed",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True, max_length=1000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The reported queue: open reports, oldest first, and their count.
            models.Index(
                fields=["status", "created_at"], name="moderation_report_queue"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(status="open"),
                name="moderation_one_open_report_per_reader",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.comment}"


class AuditEntry(models.Model):
    """One moderation decision: who, what, when, why, and the state around it."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved comment")
        REMOVE = "remove", _("Removed comment")
        RESTORE = "restore", _("Restored comment")
        DISMISS = "dismiss", _("Dismissed reports")
        NOTE = "note", _("Note on reader")
        WARN = "warn", _("Warned reader")
        SUSPEND = "suspend", _("Suspended reader")
        BAN = "ban", _("Banned reader")
        UNBAN = "unban", _("Lifted ban or suspension")
        PREMODERATE = "premoderate", _("Changed pre-moderation of reader")
        WORDS = "words", _("Changed word lists")
        SITE_MODE = "site_mode", _("Changed site mode")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_history",
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit log page, newest first.
            models.Index(fields=["-created_at"], name="moderation_audit_recent"),
            # A reader's history on their moderation page.
            models.Index(
                fields=["reader", "-created_at"], name="moderation_audit_reader"
            ),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_id} at {self.created_at}"


class WordEntry(models.Model):
    """A banned or suspect word or phrase (a trailing * matches any ending)."""

    class Kind(models.TextChoices):
        BANNED = "banned", _("Banned: the comment is refused")
        SUSPECT = "suspect", _("Suspect: the comment is flagged for review")

    text = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["text"]
        verbose_name_plural = "word entries"

    def __str__(self):
        return f"{self.text} ({self.kind})"


SITE_MODE_CACHE_KEY = "moderation:site-mode"


class SiteMode(models.Model):
    """Switches moderators flip at run time; one row (pk=1)."""

    read_only = models.BooleanField(
        default=False, help_text="Nobody can post, reply, edit or vote."
    )
    premoderate_all = models.BooleanField(
        default=False, help_text="Every new comment waits for a moderator."
    )
    message = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to readers while the site is read-only.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "Site mode"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Now for this process, and again after commit in case another
        # process cached the old row in between.
        cache.delete(SITE_MODE_CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(SITE_MODE_CACHE_KEY))

    @classmethod
    def current(cls) -> "SiteMode":
        """The switches, from the cache when possible (every page reads them)."""
        mode = cache.get(SITE_MODE_CACHE_KEY)
        if mode is None:
            mode, _ = cls.objects.get_or_create(pk=1)
            cache.set(SITE_MODE_CACHE_KEY, mode, 60)
        return mode
