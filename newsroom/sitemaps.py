"""Sitemaps (an index of articles, sections, authors and tags), the Google
News sitemap of the last two days' articles, and robots.txt.

Every URL is absolute on SITE_URL (see newsroom.seo), not on the request's
host or the Sites framework's domain.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Max, Q
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from newsroom.models import Article, Author, Section, Tag
from newsroom.seo import absolute

# Google News reads articles published in the last two days, at most 1,000.
NEWS_WINDOW = timedelta(days=2)
NEWS_MAX = 1000


def _visible(prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}status__in": [
                Article.Status.PUBLISHED,
                Article.Status.SCHEDULED,
            ],
            f"{prefix}published_at__lte": timezone.now(),
        }
    )


class _OnSiteUrl(Sitemap):
    """Locations on SITE_URL's scheme and host."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path


class ArticleSitemap(_OnSiteUrl):
    changefreq = "daily"

    def items(self):
        # Served by the (status, -published_at) index.
        return (
            Article.objects.filter(_visible())
            .only("slug", "published_at", "updated_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, article):
        return max(article.updated_at, article.published_at)


class _Listing(_OnSiteUrl):
    """Pages listing articles, dated by their newest visible article."""

    changefreq = "hourly"
    model = None

    def items(self):
        return (
            self.model.objects.annotate(
                latest=Max("articles__published_at", filter=_visible("articles__"))
            )
            .filter(latest__isnull=False)
            .only("slug")
            .order_by("slug")
        )

    def lastmod(self, item):
        return item.latest


class SectionSitemap(_Listing):
    model = Section


class AuthorSitemap(_Listing):
    model = Author


class TagSitemap(_Listing):
    model = Tag


SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "authors": AuthorSitemap,
    "tags": TagSitemap,
}


@x_robots_tag
def index(request):
    """The sitemap index: one entry per page of each sitemap above.

    Django's own index view names the request's host; this one SITE_URL.
    Runs one COUNT per sitemap.
    """
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        url = absolute(reverse("newsroom-sitemap-section", args=[section]))
        pages = sitemap_class().paginator.num_pages
        entries.append(SitemapIndexItem(url))
        entries.extend(SitemapIndexItem(f"{url}?p={n}") for n in range(2, pages + 1))
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
    )


def section(request, section):
    return sitemap_view(request, SITEMAPS, section=section)


class NewsSitemap(_OnSiteUrl):
    limit = NEWS_MAX

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.filter(_visible(), published_at__gte=since)
            .only("slug", "title", "language", "published_at", "updated_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, article):
        return max(article.updated_at, article.published_at)


@x_robots_tag
def news(request):
    """The Google News sitemap: articles published in the last two days."""
    if request.GET.get("p", "1") != "1":
        raise Http404("The news sitemap has one page")
    sitemap = NewsSitemap()
    urls = sitemap.get_urls()
    latest = sitemap.latest_lastmod
    return TemplateResponse(
        request,
        "newsroom/sitemap_news.xml",
        {"urlset": urls, "publication": get_current_site(request).name},
        content_type="application/xml",
        headers={"Last-Modified": http_date(latest.timestamp())} if latest else None,
    )


# Paths no crawler has business with: sign-in and account pages, moderation,
# notifications, the admin, and the writing, voting and live endpoints.
_PRIVATE_PATTERNS = (
    "/articles/*/preview/",
    "/articles/*/report-error/",
    "/articles/*/live/",
    "/articles/*/comments/*/reply/",
)


@require_GET
@cache_control(max_age=3600, public=True)
def robots(request):
    """robots.txt: everything public is open; the sitemaps by absolute URL."""
    private = [
        reverse("admin:index"),
        "/accounts/",
        reverse("moderation-queue"),
        reverse("notifications-list"),
        # Edit, delete, vote and report forms of comments.
        reverse("discussion-edit", args=[1]).removesuffix("1/edit/"),
        reverse("tribune-healthz"),
        *_PRIVATE_PATTERNS,
    ]
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in private]
    lines += [
        "Allow: /",
        "",
        f"Sitemap: {absolute(reverse('newsroom-sitemap'))}",
        f"Sitemap: {absolute(reverse('newsroom-sitemap-news'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
