import secrets
from hashlib import sha256

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.contrib.sites.shortcuts import get_current_site
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
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import condition

from accounts.models import User
from discussion.context import discussion_context
from lib.forms import MultilineField
from moderation.models import SiteMode
from newsroom import actions, seo
from newsroom import search as full_text
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
    return render(
        request,
        "newsroom/front.html",
        {
            "page": page,
            "sections": sections,
            **_listing_head(request, page, get_current_site(request).name),
        },
    )


def _listing_head(request, page, title, description="", feeds=None) -> dict:
    """Context for a listing's head: canonical URL, OpenGraph, feed links.

    Each part of a paginated list is its own canonical page.
    """
    canonical = request.path
    if page.number > 1:
        canonical += f"?page={page.number}"
    rss, atom = feeds or (None, None)
    return {
        "canonical": canonical,
        "og_title": title,
        "description": " ".join(description.split())[:300],
        "feed_rss": rss,
        "feed_atom": atom,
    }


def _feeds(kind: str, slug: str) -> tuple[str, str]:
    return (
        reverse(f"newsroom-{kind}-feed-rss", args=[slug]),
        reverse(f"newsroom-{kind}-feed-atom", args=[slug]),
    )


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
            **_listing_head(
                request,
                page,
                section.name,
                section.description,
                _feeds("section", section.slug),
            ),
        },
    )


def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _listing(request, tag.articles.all())
    return render(
        request,
        "newsroom/listing.html",
        {
            "page": page,
            "heading": tag.name,
            "kind": _("Tag"),
            **_listing_head(request, page, tag.name, "", _feeds("tag", tag.slug)),
        },
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
            **_listing_head(
                request, page, author.name, author.bio, _feeds("author", author.slug)
            ),
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


def _article_block(request, article, preview: bool) -> tuple[str, str, dict, list]:
    """The article itself (everything above the discussion), cached.

    Returns the block's HTML, the page head's HTML (canonical link, OpenGraph
    and Twitter tags, feed links), the article's schema.org data and its
    editions. The same for every reader; they change with the article and,
    through its comment count, with the thread (whose version also moves when
    an edition is added). Saves three queries and two templates on every
    page a signed-in reader opens.
    """
    key = ":".join(
        [
            "article-block-head",
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
        context = {
            "article": article,
            "preview": preview,
            "description": seo.description(article),
            "original": original if original and original.is_visible else None,
            "translated_from": TRANSLATED_FROM.get(original.language)
            if original
            else None,
        }
        block = render_to_string(
            "newsroom/article_block.html", context, request=request
        )
        head = render_to_string("newsroom/article_head.html", context, request=request)
        structured = seo.article_data(
            article, article.byline_set.all(), get_current_site(request).name
        )
        entry = (block, head, structured, _editions(article))
        if not preview:
            cache.set(key, entry, 300)
    return entry


def render_article(request, article, *, preview=False, status=200, **extra):
    block, head, structured, editions = _article_block(request, article, preview)
    discussion = discussion_context(request, article, **extra)
    thread = discussion["thread"]
    structured = {**structured, "commentCount": thread["total"]}
    context = {
        "article": article,
        "preview": preview,
        # Rendered from the templates above: escaped, with sanitized body HTML.
        "article_block": mark_safe(block),
        "article_head": mark_safe(head),
        # Escaped by json_script: no text inside can close the element. The
        # comments are those of the part of the thread shown, cached with it.
        "structured_data": seo.ld_json(structured, comment=thread["structured"]),
        # hreflang links to each edition, in the page's head.
        "editions": editions,
        "x_default": editions[0][1] if editions else "",
    }
    context.update(discussion)
    if _shell_applies(request, preview, status, extra):
        return _render_from_shell(request, article, context)
    return _render_spliced(
        request,
        "newsroom/article.html",
        context,
        spliced=("structured_data", "thread_html"),
        status=status,
    )


# A signed-in reader's article page: everything but these is the same for
# every reader of the page, rendered once per version of it ("the shell").
READER_PIECES = ("account_nav_html", "follow_html", "comment_form_html")
SHELL_SECONDS = 300


def _shell_applies(request, preview, status, extra) -> bool:
    """Whether the page can be put together from the cached shell: a signed-
    in reader's plain view of a published article, with no form coming back
    and no messages to show (those take the full rendering)."""
    return (
        request.user.is_authenticated
        and not preview
        and status == 200
        and not extra
        and not len(messages.get_messages(request))
    )


def _shell_key(request, article, context) -> str:
    """Everything the shell shows, besides the reader's pieces, depends on."""
    mode = SiteMode.current()
    thread = context["thread"]
    parts = [
        article.pk,
        article.thread_version,
        article.updated_at.timestamp(),
        context["thread_article"].thread_version,
        mode.updated_at.timestamp() if mode.updated_at else 0,
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        get_current_site(request).name,
        request.get_host(),
        request.get_full_path(),
        context["sort"],
        *(thread[name] for name in ("count", "total", "page", "pages", "empty")),
        thread["max_id"],
    ]
    digest = sha256(repr(parts).encode()).hexdigest()
    return f"article-shell:{article.pk}:{digest}"


def _render_from_shell(request, article, context):
    """The signed-in page from the shell and the reader's own pieces.

    The shell is the page rendered with stand-ins for the reader's parts
    (account links, follow button, comment form: each holds their CSRF
    token) and the large ones (thread, JSON-LD), cached split at the
    stand-ins; each request renders only the small templates of its reader's
    parts. A test holds the result equal to the full rendering.
    """
    key = _shell_key(request, article, context)
    shell = cache.get(key)
    if shell is None:
        names = (*READER_PIECES, "structured_data", "thread_html")
        stand_ins = {_STAND_IN.format(name): name for name in names}
        # The stand-ins are our own markers, not text from anyone.
        markers = {name: mark_safe(s) for s, name in stand_ins.items()}
        page = {**context, **markers}
        text = render_to_string("newsroom/article.html", page, request)
        shell = _split_at(text, stand_ins)
        cache.set(key, shell, SHELL_SECONDS)
    pieces = {
        "account_nav_html": render_to_string("account_nav.html", context, request),
        "follow_html": render_to_string(
            "notifications/follow_button.html",
            {"article": context["thread_article"], "following": context["following"]},
            request,
        ),
        "comment_form_html": render_to_string(
            "discussion/comment_form.html", context, request
        ),
        "structured_data": context["structured_data"],
        "thread_html": context["thread_html"],
    }
    segments, names = shell
    chunks = [segments[0].encode()]
    for name, segment in zip(names, segments[1:], strict=True):
        chunks.append(str(pieces[name]).encode())
        chunks.append(segment.encode())
    return HttpResponse(b"".join(chunks))


def _split_at(text: str, stand_ins: dict[str, str]) -> tuple[list[str], list[str]]:
    """Text cut at the stand-ins it holds: (segments, names between them)."""
    found = sorted(
        (index, stand_in)
        for stand_in in stand_ins
        if (index := text.find(stand_in)) >= 0
    )
    segments, names, start = [], [], 0
    for index, stand_in in found:
        segments.append(text[start:index])
        names.append(stand_ins[stand_in])
        start = index + len(stand_in)
    segments.append(text[start:])
    return segments, names


# Stand-ins for large parts of a page; a fresh random part per process, and
# `<!--` cannot come from escaped text or sanitized HTML, so the template's
# own output never holds one by chance.
_STAND_IN = "<!--tribune-part-{}-" + secrets.token_hex(8) + "-->"


def _render_spliced(request, template_name, context, *, spliced, status=200):
    """render() with the context's largest values put in after the template.

    A thread of a few hundred comments is hundreds of kilobytes: passed
    through the template it is copied at every level of the nested blocks,
    includes and ifs it sits in. Rendered with short stand-ins instead and
    spliced into the encoded page, it is copied once.
    """
    parts = {name: str(context[name]) for name in spliced}
    stand_ins = {_STAND_IN.format(name): name for name in spliced}
    # The stand-ins are our own markers, not text from anyone.
    markers = {name: mark_safe(s) for s, name in stand_ins.items()}
    text = render_to_string(template_name, {**context, **markers}, request)
    segments, names = _split_at(text, stand_ins)
    chunks = [segments[0].encode()]
    for name, segment in zip(names, segments[1:], strict=True):
        chunks.append(parts[name].encode())
        chunks.append(segment.encode())
    return HttpResponse(b"".join(chunks), status=status)


class ErrorReportForm(forms.Form):
    passage = MultilineField(
        label=_("The sentence that is wrong (optional)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    detail = MultilineField(
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


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        widget=forms.SearchInput(attrs={"maxlength": full_text.MAX_QUERY_LENGTH}),
    )
    kind = forms.ChoiceField(
        label=pgettext_lazy("search in", "In"),
        required=False,
        choices=[
            ("", _("Articles and comments")),
            ("articles", _("Articles")),
            ("comments", _("Comments")),
        ],
    )
    section = forms.ModelChoiceField(
        label=_("Section"),
        required=False,
        queryset=Section.objects.all(),
        to_field_name="slug",
        empty_label=_("All sections"),
        error_messages={
            "invalid_choice": _("There is no such section; pick one from the list.")
        },
    )
    author = forms.CharField(
        label=_("Author or reader"),
        required=False,
        max_length=200,
        help_text=_("A byline's name or a reader's username."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a keyword in Python, so these two are added by name.
        for name, label in (
            ("from", pgettext_lazy("date range", "From")),
            ("to", pgettext_lazy("date range", "To")),
        ):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}),
                error_messages={
                    "invalid": _("Enter the date as YYYY-MM-DD, e.g. 2016-05-25.")
                },
            )

    def clean_q(self):
        # Longer queries are cut rather than refused; nothing typed is an error.
        return self.cleaned_data["q"][: full_text.MAX_QUERY_LENGTH]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("from"), cleaned.get("to")
        for name, day in (("from", since), ("to", until)):
            # Far dates overflow when turned into the site's time.
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, _("Enter a year between 1900 and 2999."))
                since = until = None
        if since and until and since > until:
            self.add_error("to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> full_text.Filters:
        """The filters the form asks for (runs 2 queries when an author is given)."""
        data = self.cleaned_data
        section = data.get("section")
        filters = full_text.Filters(
            kind=data.get("kind") or "",
            section_id=section.pk if section else None,
            since=data.get("from"),
            until=data.get("to"),
        )
        name = (data.get("author") or "").strip()
        if name:
            filters.author_given = True
            authors = Author.objects.filter(Q(slug=name) | Q(name__iexact=name))
            for author_id, user_id in authors.values_list("id", "user_id"):
                filters.author_ids.append(author_id)
                if user_id:
                    filters.user_ids.append(user_id)
            reader = User.objects.find(name)
            if reader is not None and reader.pk not in filters.user_ids:
                filters.user_ids.append(reader.pk)
        return filters


def search(request):
    """Search published articles and comments: /search/?q=…&section=…&author=…

    Runs a fixed number of queries whatever the number of results: the
    sections for the form, the count, the page of hits, their articles (with
    bylines) and their comments; two more when an author is given.
    """
    form = SearchForm(request.GET or None)
    context = {"form": form, "query": None, "page": None}
    if form.is_bound and form.is_valid():
        query = full_text.parse_query(form.cleaned_data["q"])
        context["query"] = query
        filters = form.filters() if query else None
        if (
            filters
            and filters.author_given
            and not (filters.author_ids or filters.user_ids)
        ):
            form.add_error("author", _("No byline author or reader goes by that name."))
        elif query:
            results = full_text.Results(query, filters)
            paginator = Paginator(results, full_text.RESULTS_PER_PAGE)
            page = paginator.get_page(request.GET.get("page"))
            context["page"] = page
            params = request.GET.copy()
            params.pop("page", None)
            context["page_query"] = params.urlencode()
    return render(request, "newsroom/search.html", context)
