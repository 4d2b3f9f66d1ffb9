from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from newsroom.models import Article

# The permission that makes a moderator (Moderators group, superusers).
MODERATE_PERMISSION = "discussion.moderate_comment"

# Each level of a comment's path is its position among its siblings, padded so
# that ordering by path gives thread order (1, 1.1, 1.1.1, 1.2, 2 …).
PATH_DIGITS = 6


def path_segment(position: int) -> str:
    return f"{position:0{PATH_DIGITS}d}"


class Comment(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        PENDING = "pending", _("Pending review")
        REMOVED = "removed", _("Removed by a moderator")
        DELETED = "deleted", _("Deleted by its author")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    # A deleted account leaves its comments in place (and numbered).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    # "7.1": the position among siblings at each level, joined by dots.
    number = models.CharField(max_length=255)
    # The same positions zero-padded, so thread order is one ORDER BY.
    path = models.CharField(max_length=1024)
    depth = models.PositiveSmallIntegerField(default=0)
    # Replies ever given a number under this comment (never decreases).
    reply_counter = models.PositiveIntegerField(default=0)
    body = models.TextField(help_text="Markdown as the reader wrote it.")
    body_html = models.TextField(default="")
    # Emoticons the source site showed at the start of an imported comment.
    emoticons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    score = models.IntegerField(default=0)
    upvotes = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)
    # A token rendered into each comment form: posting the same form twice
    # yields the comment the first submission created.
    client_token = models.CharField(max_length=64, blank=True)
    # SHA-256 of the folded text, to notice the same text posted again.
    text_hash = models.CharField(max_length=64, blank=True)
    # Why a pending comment waits for review ("new reader", "links" …).
    hold_reason = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["article", "path"]
        permissions = [("moderate_comment", "Can moderate comments")]
        indexes = [
            # Rate limits and profile pages: a reader's recent comments.
            models.Index(fields=["author", "-created_at"], name="discussion_by_author"),
            # The "newest" sort and feeds of recent comments per article.
            models.Index(
                fields=["article", "-created_at"], name="discussion_article_recent"
            ),
            # Duplicate-text detection: the same text within a time window.
            models.Index(fields=["text_hash", "created_at"], name="discussion_by_text"),
            # Moderation queues: pending / removed / published, newest first.
            models.Index(fields=["status", "-created_at"], name="discussion_by_status"),
            # A signed-in reader's article page: their own comments there
            # (pending ones, and those still open to editing).
            models.Index(
                fields=["author", "article", "status"], name="discussion_own_on_article"
            ),
        ]
        constraints = [
            # Thread pages read one article's comments ordered by path; this
            # unique index serves that query and forbids duplicated positions.
            models.UniqueConstraint(
                fields=["article", "path"], name="discussion_comment_path_unique"
            ),
            models.UniqueConstraint(
                fields=["article", "number"], name="discussion_comment_number_unique"
            ),
            models.UniqueConstraint(
                fields=["author", "client_token"],
                condition=~Q(client_token=""),
                name="discussion_comment_token_unique",
            ),
        ]

    def __str__(self):
        return f"#{self.number} on {self.article_id}"

    def get_absolute_url(self):
        return reverse("discussion-comment", args=[self.article.slug, self.number])

    @property
    def html(self) -> str:
        # body_html is produced by lib.markdown.render_comment: Markdown with
        # raw HTML off, then sanitized by nh3 against an allow-list.
        return mark_safe(self.body_html)

    @property
    def anchor(self) -> str:
        return f"c{self.number}"

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def parent_number(self) -> str | None:
        head, _, _ = self.number.rpartition(".")
        return head or None


class CommentRevision(models.Model):
    """An earlier text of an edited comment, kept for moderators."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="revisions"
    )
    body = models.TextField()
    created_at = models.DateTimeField(help_text="When this text was written.")
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comment", "created_at", "id"]

    def __str__(self):
        return f"revision of {self.comment}"


class Quote(models.Model):
    """A passage of the article or the parent comment that a comment quotes."""

    class Source(models.TextChoices):
        ARTICLE = "article", _("Article")
        PARENT = "parent", _("Parent comment")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="quotes"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    text = models.TextField(help_text="The quote as the comment gives it.")
    passage = models.TextField(help_text="The passage of the source it matches.")
    # For article quotes: the paragraph (1-based) the passage is in.
    paragraph = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["comment", "position"]

    def __str__(self):
        return f"quote in {self.comment}"


class Vote(models.Model):
    class Value(models.IntegerChoices):
        UP = 1, "+1"
        DOWN = -1, "−1"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField(choices=Value.choices)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Also serves "this reader's votes on this thread" via the join.
            models.UniqueConstraint(
                fields=["user", "comment"], name="discussion_vote_unique"
            ),
            models.CheckConstraint(
                condition=Q(value__in=[1, -1]), name="discussion_vote_value"
            ),
        ]

    def __str__(self):
        return f"{self.value:+d} by {self.user_id} on {self.comment_id}"
