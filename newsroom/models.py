from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from lib.markdown import render_article


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("newsroom-section", args=[self.slug])


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("newsroom-tag", args=[self.slug])


class Author(models.Model):
    """A person named in bylines; may or may not have an account."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    bio = models.TextField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("newsroom-author", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    def visible(self):
        """Articles readers may see: published, or scheduled and due."""
        return self.filter(
            status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
            published_at__lte=timezone.now(),
        )

    def for_listing(self):
        return self.select_related("section").prefetch_related("authors")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    lead = models.TextField(
        blank=True, help_text="One or two sentences shown in lists."
    )
    body = models.TextField(help_text="Markdown.")
    # The body rendered and sanitized when it is saved; paragraphs carry ids
    # (p-1, p-2 …) that quotes in comments link to.
    body_html = models.TextField(editable=False, default="")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    authors = models.ManyToManyField(
        Author, through="Byline", blank=True, related_name="articles"
    )
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The original this article is a translation of; editions share one thread.
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When readers can first see it; in the future means scheduled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    comments_open = models.BooleanField(default=True)
    # Visible comments; kept by discussion actions so lists need no COUNT.
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    # Top-level comment numbers ever given; the next comment takes one more.
    comment_counter = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by every change to the thread; cached renderings key on it.
    thread_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Where an imported article came from, so importing again finds it.
    source_key = models.CharField(max_length=300, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()
    _loaded_translation_of_id = None

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # Front, section and author pages: visible articles, newest first.
            models.Index(
                fields=["status", "-published_at"], name="newsroom_article_listing"
            ),
            # Section pages.
            models.Index(
                fields=["section", "-published_at"], name="newsroom_article_section"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="newsroom_article_source_key_unique",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_article(self.body)
        if (
            kwargs.get("update_fields") is not None
            and "body" in kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html"}
        super().save(*args, **kwargs)
        from newsroom.pagecache import forget

        forget(self.slug)
        originals = {self.translation_of_id, self._loaded_translation_of_id} - {None}
        self._loaded_translation_of_id = self.translation_of_id
        if originals:
            # An original's page links to its editions (hreflang): a new
            # version of its thread changes its cached page and article block.
            from newsroom.pagecache import bump_thread

            bump_thread(originals)

    def get_absolute_url(self):
        return reverse("newsroom-article", args=[self.slug])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What translation_of was, so that unlinking updates the old original.
        instance._loaded_translation_of_id = instance.__dict__.get("translation_of_id")
        return instance

    def clean(self):
        super().clean()
        original = self.translation_of
        if original is None:
            return
        if self.pk is not None and original.pk == self.pk:
            raise ValidationError(
                {"translation_of": _("An article cannot be a translation of itself.")}
            )
        if original.translation_of_id is not None:
            raise ValidationError(
                {
                    "translation_of": _(
                        "That article is itself a translation: choose its "
                        "original, “%(original)s”."
                    )
                    % {"original": original.translation_of}
                }
            )
        if self.pk is not None and self.translations.exists():
            raise ValidationError(
                {
                    "translation_of": _(
                        "This article has translations of its own, so it "
                        "cannot be a translation."
                    )
                }
            )
        if original.language == self.language:
            raise ValidationError(
                {
                    "language": _(
                        "A translation must be in another language than its "
                        "original (%(language)s)."
                    )
                    % {"language": original.get_language_display()}
                }
            )

    @property
    def html(self) -> str:
        # body_html is produced by lib.markdown.render_article (raw HTML off,
        # sanitized by nh3), never taken from input as is.
        return mark_safe(self.body_html)

    @property
    def discussion_article(self) -> "Article":
        """The article whose thread this one shows: its original, or itself.

        Editions of one article share one discussion, stored on the original.
        Free when translation_of was loaded with select_related.
        """
        return self.translation_of if self.translation_of_id else self

    @property
    def is_visible(self) -> bool:
        return (
            self.status != self.Status.DRAFT
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def was_updated(self) -> bool:
        return bool(
            self.published_at
            and self.updated_at
            and (self.updated_at - self.published_at).total_seconds() > 3600
            and self.updated_at > self.published_at
        )


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    author = models.ForeignKey(Author, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(
        max_length=100,
        blank=True,
        help_text='How the byline reads, e.g. "Observed and commented on".',
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="newsroom_byline_unique"
            )
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Source(models.Model):
    """A source the article cites."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="sources"
    )
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.title

    @property
    def safe_url(self) -> str:
        """The URL if it is a web address; rows written outside forms may not be."""
        return self.url if self.url.lower().startswith(("http://", "https://")) else ""


class ErrorReport(models.Model):
    """A reader's report of a factual error in an article, for its editors."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CORRECTED = "corrected", _("Corrected")
        DECLINED = "declined", _("No change needed")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="error_reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )
    passage = models.TextField(blank=True, help_text="The sentence that is wrong.")
    detail = models.TextField(help_text="What is wrong, and a source if possible.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Editors' list of open reports.
            models.Index(fields=["status", "-created_at"], name="newsroom_errors_open"),
        ]

    def __str__(self):
        return f"Error report on {self.article}"


class SearchDocument(models.Model):
    """The plain text of one article or one comment, as the search index sees it.

    Rows hold text only; whether readers may see the article or comment is
    read from those tables at search time, so publishing, scheduling,
    moderation and deletion never leave the index out of date. On PostgreSQL a
    generated tsvector column with a GIN index stems the text; on SQLite an
    FTS5 table, kept by triggers, indexes the `*_terms` columns, which hold the
    words already stemmed in Python (newsroom.search, lib.stemming).
    """

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="search_documents"
    )
    # Empty for the article's own document.
    comment = models.OneToOneField(
        "discussion.Comment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_document",
    )
    language = models.CharField(max_length=8)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Stemmed words for SQLite's FTS5 table; PostgreSQL leaves them empty.
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One document per article; comments have theirs through the
            # one-to-one field (whose unique index also serves its lookups).
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(comment__isnull=True),
                name="newsroom_search_one_per_article",
            ),
        ]

    def __str__(self):
        return (
            f"search document of comment {self.comment_id}"
            if self.comment_id
            else (f"search document of article {self.article_id}")
        )
