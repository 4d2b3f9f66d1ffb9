"""RSS 2.0 and Atom feeds: the whole site, each section, tag and author, and
each article's comments.

Only articles readers may see are listed (published, or scheduled and due),
and only published comments. Item descriptions are the article's lead
(escaped) and its body HTML, or the comment's HTML: both sanitized when they
were saved (lib.markdown), never input taken as it is.

Every feed answers conditional GETs (ETag, and Last-Modified for article
feeds) through `conditional`; a feed's queries do not depend on its number of
items.
"""

from dataclasses import dataclass
from hashlib import sha256

from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from discussion.models import Comment
from newsroom.models import Article, Author, Byline, Section, Tag
from newsroom.pagecache import article_validator
from newsroom.seo import absolute

# Articles in an article feed, comments in a comment feed.
FEED_ARTICLES = 30
FEED_COMMENTS = 50


# ---------------------------------------------------------------- validators


def _visible() -> Q:
    return Q(
        status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
        published_at__lte=timezone.now(),
    )


def _scope(kind: str, slug: str | None) -> Q:
    """The articles a feed is about (visible or not)."""
    if kind == "section":
        return Q(section__slug=slug)
    if kind == "author":
        return Q(authors__slug=slug)
    if kind == "tag":
        return Q(tags__slug=slug)
    return Q()


def _articles_state(request, kind: str, slug: str | None):
    """(ETag, Last-Modified) of an article feed (one query, once per request).

    The count and the newest publication date of the visible articles change
    when one is published or comes due; the newest change to any article in
    scope, visible or not, when one is edited or withdrawn.
    """
    memo = getattr(request, "_feed_state", None)
    if memo is not None:
        return memo
    visible = _visible()
    row = Article.objects.filter(_scope(kind, slug)).aggregate(
        count=Count("pk", filter=visible),
        published=Max("published_at", filter=visible),
        updated=Max("updated_at"),
    )
    if not row["count"] and row["updated"] is None:
        state = (None, None)
    else:
        stamps = [row["published"], row["updated"]]
        last_modified = max(stamp for stamp in stamps if stamp is not None)
        raw = "|".join(
            [
                kind,
                slug or "",
                str(row["count"]),
                *(str(stamp.timestamp()) if stamp else "-" for stamp in stamps),
                get_current_site(request).name,
                # Titles and descriptions are in the reader's language.
                get_language() or "",
            ]
        )
        state = ('"f-' + sha256(raw.encode()).hexdigest()[:24] + '"', last_modified)
    request._feed_state = state
    return state


def _comments_etag(request, slug: str):
    """An ETag that changes with the article and with every change to its
    thread (post, edit, vote, moderation); shares the article page's
    validator, so a warm request costs no query."""
    row = article_validator(request, slug)
    if row is None:
        return None
    pk, version, updated = row
    # The feed's title and items speak the reader's language.
    return f'"fc-{pk}-{version}-{int(updated.timestamp())}-{get_language()}"'


def conditional(feed: Feed, kind: str):
    """The feed as a view answering If-None-Match / If-Modified-Since with 304."""
    if kind == "comments":
        return condition(etag_func=_comments_etag)(feed)

    def etag(request, slug=None):
        return _articles_state(request, kind, slug)[0]

    def last_modified(request, slug=None):
        return _articles_state(request, kind, slug)[1]

    return condition(etag_func=etag, last_modified_func=last_modified)(feed)


# ------------------------------------------------------------- article feeds


@dataclass
class Scope:
    """What a feed is about, with what it needs from the request.

    Feed instances serve every request of their URL, possibly at once, so
    nothing of a request is kept on them.
    """

    site_name: str
    path: str
    thing: object = None  # a Section, Author, Tag or Article; None: the site


class ArticlesRss(Feed):
    """The latest visible articles of the site (subclasses narrow the scope)."""

    feed_type = Rss201rev2Feed
    kind = "site"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # Syndication sets Last-Modified to the newest item; the conditional
        # wrapper's value also moves when an article is withdrawn.
        _, last_modified = _articles_state(request, self.kind, kwargs.get("slug"))
        if last_modified is not None:
            response.headers["Last-Modified"] = http_date(last_modified.timestamp())
        return response

    def get_object(self, request, slug=None):
        return Scope(get_current_site(request).name, request.path, self.find(slug))

    def find(self, slug):
        return None

    def articles(self, obj):
        return Article.objects.all()

    def items(self, obj):
        return (
            self.articles(obj)
            .visible()
            .select_related("section")
            .prefetch_related(
                Prefetch(
                    "byline_set",
                    queryset=Byline.objects.select_related("author").order_by(
                        "position"
                    ),
                ),
                "tags",
            )
            .defer("body")
            .order_by("-published_at", "-id")[:FEED_ARTICLES]
        )

    def title(self, obj):
        return obj.site_name

    def description(self, obj):
        return _("The latest articles from %(site)s.") % {"site": obj.site_name}

    def subtitle(self, obj):
        return self.description(obj)

    def link(self, obj):
        return absolute(reverse("newsroom-front"))

    def feed_url(self, obj):
        return absolute(obj.path)

    def feed_guid(self, obj):
        return self.feed_url(obj)

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_description(self, item):
        # The lead is plain text, so escaped; body_html was sanitized on save.
        lead = f"<p><strong>{escape(item.lead)}</strong></p>" if item.lead else ""
        return lead + item.body_html

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at)

    def item_author_name(self, item):
        names = [byline.author.name for byline in item.byline_set.all()]
        if not names:
            return None
        return (
            names[0]
            if len(names) == 1
            else ", ".join(names[:-1]) + f" {pgettext('byline', 'and')} " + names[-1]
        )

    def item_author_link(self, item):
        bylines = item.byline_set.all()
        return absolute(bylines[0].author.get_absolute_url()) if bylines else None

    def item_categories(self, item):
        return [item.section.name, *(tag.name for tag in item.tags.all())]

    def item_comments(self, item):
        return absolute(item.get_absolute_url()) + "#comments"


class ArticlesAtom(ArticlesRss):
    feed_type = Atom1Feed


class _Scoped:
    """An article feed about one section, author or tag (found by slug)."""

    model = None

    def find(self, slug):
        return get_object_or_404(self.model, slug=slug)

    def articles(self, obj):
        return obj.thing.articles.all()

    def title(self, obj):
        return f"{obj.site_name}: {obj.thing.name}"

    def link(self, obj):
        return absolute(obj.thing.get_absolute_url())


class SectionRss(_Scoped, ArticlesRss):
    kind = "section"
    model = Section

    def description(self, obj):
        section = obj.thing
        return section.description or (
            _("The latest in %(section)s from %(site)s.")
            % {"section": section.name, "site": obj.site_name}
        )


class SectionAtom(SectionRss):
    feed_type = Atom1Feed


class AuthorRss(_Scoped, ArticlesRss):
    kind = "author"
    model = Author

    def description(self, obj):
        return _("The latest articles by %(author)s on %(site)s.") % {
            "author": obj.thing.name,
            "site": obj.site_name,
        }


class AuthorAtom(AuthorRss):
    feed_type = Atom1Feed


class TagRss(_Scoped, ArticlesRss):
    kind = "tag"
    model = Tag

    def description(self, obj):
        return _("The latest articles tagged %(tag)s on %(site)s.") % {
            "tag": obj.thing.name,
            "site": obj.site_name,
        }


class TagAtom(TagRss):
    feed_type = Atom1Feed


# ------------------------------------------------------------- comment feeds


class CommentsRss(Feed):
    """The latest published comments on one article, newest first."""

    feed_type = Rss201rev2Feed

    def get_object(self, request, slug):
        article = get_object_or_404(Article.objects.only(*_ARTICLE_FIELDS), slug=slug)
        if not article.is_visible:
            raise Http404("No such article")
        return Scope(get_current_site(request).name, request.path, article)

    def items(self, obj):
        article = obj.thing
        comments = list(
            Comment.objects.filter(article=article, status=Comment.Status.PUBLISHED)
            .select_related("author")
            .only(*_COMMENT_FIELDS)
            .order_by("-created_at", "-id")[:FEED_COMMENTS]
        )
        for comment in comments:
            # Links name the article; it is known, so no query per comment.
            comment.article = article
        return comments

    def title(self, obj):
        return _("Comments on “%(title)s”") % {"title": obj.thing.title}

    def description(self, obj):
        return _("The latest comments on “%(title)s” on %(site)s.") % {
            "title": obj.thing.title,
            "site": obj.site_name,
        }

    def subtitle(self, obj):
        return self.description(obj)

    def link(self, obj):
        return absolute(obj.thing.get_absolute_url()) + "#comments"

    def feed_url(self, obj):
        return absolute(obj.path)

    def feed_guid(self, obj):
        return self.feed_url(obj)

    def item_title(self, item):
        return _("Comment %(number)s by %(author)s") % {
            "number": item.number,
            "author": _commenter(item),
        }

    def item_link(self, item):
        # The permalink finds the part of a long thread the comment is in.
        return absolute(item.get_absolute_url())

    def item_description(self, item):
        # Rendered by lib.markdown.render_comment and sanitized by nh3.
        return item.body_html

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.edited_at or item.created_at

    def item_author_name(self, item):
        return _commenter(item)

    def item_author_link(self, item):
        return absolute(item.author.get_absolute_url()) if item.author else None


class CommentsAtom(CommentsRss):
    feed_type = Atom1Feed


_ARTICLE_FIELDS = ("id", "slug", "title", "status", "published_at")
_COMMENT_FIELDS = (
    "id",
    "article_id",
    "number",
    "body_html",
    "created_at",
    "edited_at",
    "author__id",
    "author__username",
)


def _commenter(comment) -> str:
    return comment.author.username if comment.author else _("deleted account")
