from hashlib import sha256

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import condition

from discussion.context import discussion_context
from moderation.models import SiteMode
from newsroom import actions
from newsroom.models import Article, Author, Byline, Section, Tag
from newsroom.pagecache import anonymous, article_validator


def _bylines():
    return Prefetch(
        "byline_set",
        queryset=Byline.objects.select_related("author").order_by("position"),
    )


def _listing(request, queryset):
    """Return a page of visible articles with their sections and bylines."""
    articles = (
        queryset.visible()
        # A translation shows its original's comment count.
        .select_related("section", "translation_of")
        .prefetch_related(_bylines())
        .defer("body", "body_html", "translation_of__body", "translation_of__body_html")
    )
    paginator = Paginator(articles, settings.ARTICLES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


# How many of each section's latest articles the front page shows.
SECTION_LATEST = 5


def front(request):
    """Latest articles, then the latest few of each section.

    Runs a fixed number of queries whatever the number of sections: the
    latest of every section come from one query ranking articles per section.
    """
    page = _listing(request, Article.objects.all())
    sections = []
    if page.number == 1:
        latest = (
            Article.objects.visible()
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=F("section"),
                    order_by=[F("published_at").desc(), F("id").desc()],
                )
            )
            .filter(rank__lte=SECTION_LATEST)
            .select_related("section", "translation_of")
            .prefetch_related(_bylines())
        )
        by_section = {}
        for article in latest:
            by_section.setdefault(article.section_id, []).append(article)
        sections = [
            (section, by_section[section.pk])
            for section in Section.objects.all()
            if section.pk in by_section
        ]
    return render(request, "newsroom/front.html", {"page": page, "sections": sections})


def section(request, slug):
    section = get_object_or_404(Section, slug=slug)
    page = _listing(request, section.articles.all())
    return render(
        request,
        "newsroom/listing.html",
        {
            "page": page,
            "heading": section.name,
            "intro": section.description,
            "kind": _("Section"),
        },
    )


def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _listing(request, tag.articles.all())
    return render(
        request,
        "newsroom/listing.html",
        {"page": page, "heading": tag.name, "kind": _("Tag")},
    )


def author(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = _listing(request, author.articles.all())
    return render(
        request,
        "newsroom/listing.html",
        {
            "page": page,
            "heading": author.name,
            "intro": author.bio,
            "kind": _("Author"),
        },
    )


def _article_queryset():
    # Bylines, tags, sources and other editions are fetched with the cached
    # article block; whether there are other editions comes with the article.
    return Article.objects.select_related("section", "translation_of").annotate(
        has_translations=Exists(
            Article.objects.visible().filter(translation_of=OuterRef("pk"))
        )
    )


# How the notice on a translation names its original's language.
TRANSLATED_FROM = {
    "en": _("Translated from English"),
    "ru": _("Translated from Russian"),
}


def _editions(article) -> list[tuple[str, str]]:
    """(language, URL) of every visible edition of the article, original first.

    One query when the article has other editions, none otherwise.
    """
    original = article.discussion_article
    if original is article and not getattr(article, "has_translations", False):
        return []
    rows = (
        Article.objects.visible()
        .filter(Q(pk=original.pk) | Q(translation_of=original.pk))
        .values_list("pk", "language", "slug")
    )
    editions = sorted(rows, key=lambda row: row[0] != original.pk)
    if len(editions) < 2:
        return []
    return [
        (language, settings.SITE_URL + reverse("newsroom-article", args=[slug]))
        for _pk, language, slug in editions
    ]


def _article_etag(request, slug):
    """A validator for anonymous readers' article pages.

    It changes with the thread, the article, the site's switches and what the
    URL asks for. Readers with a session get none: their page holds their own
    state and messages. Shares its one query with the page cache.
    """
    if not anonymous(request):
        return None
    row = article_validator(request, slug)
    if row is None:
        return None
    pk, version, updated = row
    mode = SiteMode.current()
    return "-".join(
        [
            "a",
            str(pk),
            str(version),
            str(int(updated.timestamp())),
            str(int(mode.updated_at.timestamp())) if mode.updated_at else "0",
            translation.get_language() or "",
            sha256(request.GET.urlencode().encode()).hexdigest()[:12],
        ]
    )


@condition(etag_func=_article_etag)
def article(request, slug):
    article = get_object_or_404(_article_queryset(), slug=slug)
    if not article.is_visible:
        raise Http404("No such article")
    return render_article(request, article)


@staff_member_required
def preview(request, slug):
    """The article as readers will see it, whatever its status (editors only)."""
    if not request.user.has_perm("newsroom.view_article"):
        raise Http404("No such article")
    article = get_object_or_404(_article_queryset(), slug=slug)
    return render_article(request, article, preview=True)


def _article_block(request, article, preview: bool) -> tuple[str, list]:
    """The article itself (everything above the discussion) and its editions.

    The same for every reader; it changes with the article and, through its
    comment count, with the thread (whose version also moves when an edition
    is added). Saves three queries and a template on every page a signed-in
    reader opens.
    """
    key = ":".join(
        [
            "article-block",
            str(article.pk),
            str(article.thread_version),
            str(article.updated_at.timestamp()),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )
    entry = None if preview else cache.get(key)
    if entry is None:
        prefetch_related_objects([article], _bylines(), "tags", "sources")
        original = article.translation_of
        block = render_to_string(
            "newsroom/article_block.html",
            {
                "article": article,
                "preview": preview,
                "original": original if original and original.is_visible else None,
                "translated_from": TRANSLATED_FROM.get(original.language)
                if original
                else None,
            },
            request=request,
        )
        entry = (block, _editions(article))
        if not preview:
            cache.set(key, entry, 300)
    return entry


def render_article(request, article, *, preview=False, status=200, **extra):
    block, editions = _article_block(request, article, preview)
    context = {
        "article": article,
        "preview": preview,
        # Rendered from the template above: escaped, with sanitized body HTML.
        "article_block": mark_safe(block),
        # hreflang links to each edition, in the page's head.
        "editions": editions,
        "x_default": editions[0][1] if editions else "",
    }
    context.update(discussion_context(request, article, **extra))
    return render(request, "newsroom/article.html", context, status=status)


class ErrorReportForm(forms.Form):
    passage = forms.CharField(
        label=_("The sentence that is wrong (optional)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    detail = forms.CharField(
        label=_("What is wrong, and how do you know?"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say what is wrong.")},
    )


@login_required
def report_error(request, slug):
    """Readers tell the article's editors about a factual error."""
    article = get_object_or_404(Article, slug=slug)
    if not article.is_visible:
        raise Http404("No such article")
    form = ErrorReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_error(
                reporter=request.user, article=article, **form.cleaned_data
            )
        except actions.ErrorReportRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Thank you: the editors will look at it."))
            return redirect(article)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "newsroom/report_error.html",
        {"article": article, "form": form},
        status=status,
    )
