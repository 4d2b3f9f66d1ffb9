from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from newsroom.models import Article, Author, Byline, ErrorReport, Section, Source, Tag


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]


class SourceInline(admin.TabularInline):
    model = Source
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A source typed without a scheme is a web page; assume https (and
        # silence Django 5.x's warning that the default changes in 6.0).
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "section",
            "lead",
            "body",
            "status",
            "published_at",
            "comments_open",
            "tags",
            "language",
            "translation_of",
        ]

    def clean(self):
        """Make status and time agree: a future time means scheduled."""
        data = super().clean()
        status = data.get("status")
        when = data.get("published_at")
        now = timezone.now()
        if status == Article.Status.SCHEDULED and not when:
            self.add_error("published_at", "A scheduled article needs a time.")
        elif status in (Article.Status.PUBLISHED, Article.Status.SCHEDULED):
            if when is None:
                data["published_at"] = now
            elif when > now:
                data["status"] = Article.Status.SCHEDULED
            else:
                data["status"] = Article.Status.PUBLISHED
        return data


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = [
        "title",
        "section",
        "status",
        "published_at",
        "comment_count",
        "comments_open",
        "preview_link",
    ]
    list_filter = ["status", "section", "language", "comments_open"]
    list_select_related = ["section"]
    search_fields = ["title", "lead"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags", "translation_of"]
    inlines = [BylineInline, SourceInline]
    readonly_fields = ["preview_link", "comment_count", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "section", "lead", "body", "preview_link"]},
        ),
        (
            "Publishing",
            {"fields": ["status", "published_at", "comments_open", "comment_count"]},
        ),
        ("Classification", {"fields": ["tags", "language", "translation_of"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj or not obj.pk:
            return "Save to preview."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as readers see it</a>',
            reverse("newsroom-preview", args=[obj.slug]),
        )


@admin.register(ErrorReport)
class ErrorReportAdmin(admin.ModelAdmin):
    list_display = ["article", "reporter", "status", "created_at"]
    list_filter = ["status"]
    list_editable = ["status"]
    list_select_related = ["article", "reporter"]
    readonly_fields = ["article", "reporter", "passage", "detail", "created_at"]
