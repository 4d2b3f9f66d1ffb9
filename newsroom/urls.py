from django.urls import path

from newsroom import feeds, sitemaps, views

urlpatterns = [
    path("", views.front, name="newsroom-front"),
    path("search/", views.search, name="newsroom-search"),
    path("sections/<str:slug>/", views.section, name="newsroom-section"),
    path("tags/<str:slug>/", views.tag, name="newsroom-tag"),
    path("authors/<str:slug>/", views.author, name="newsroom-author"),
    path("articles/<str:slug>/", views.article, name="newsroom-article"),
    path("articles/<str:slug>/preview/", views.preview, name="newsroom-preview"),
    path(
        "articles/<str:slug>/report-error/",
        views.report_error,
        name="newsroom-report-error",
    ),
    # Feeds: RSS 2.0 and Atom of the site, a section, a tag, an author, and
    # of an article's comments.
    path(
        "feeds/rss/",
        feeds.conditional(feeds.ArticlesRss(), "site"),
        name="newsroom-feed-rss",
    ),
    path(
        "feeds/atom/",
        feeds.conditional(feeds.ArticlesAtom(), "site"),
        name="newsroom-feed-atom",
    ),
    path(
        "sections/<str:slug>/feed/rss/",
        feeds.conditional(feeds.SectionRss(), "section"),
        name="newsroom-section-feed-rss",
    ),
    path(
        "sections/<str:slug>/feed/atom/",
        feeds.conditional(feeds.SectionAtom(), "section"),
        name="newsroom-section-feed-atom",
    ),
    path(
        "tags/<str:slug>/feed/rss/",
        feeds.conditional(feeds.TagRss(), "tag"),
        name="newsroom-tag-feed-rss",
    ),
    path(
        "tags/<str:slug>/feed/atom/",
        feeds.conditional(feeds.TagAtom(), "tag"),
        name="newsroom-tag-feed-atom",
    ),
    path(
        "authors/<str:slug>/feed/rss/",
        feeds.conditional(feeds.AuthorRss(), "author"),
        name="newsroom-author-feed-rss",
    ),
    path(
        "authors/<str:slug>/feed/atom/",
        feeds.conditional(feeds.AuthorAtom(), "author"),
        name="newsroom-author-feed-atom",
    ),
    path(
        "articles/<str:slug>/comments/feed/rss/",
        feeds.conditional(feeds.CommentsRss(), "comments"),
        name="newsroom-comments-feed-rss",
    ),
    path(
        "articles/<str:slug>/comments/feed/atom/",
        feeds.conditional(feeds.CommentsAtom(), "comments"),
        name="newsroom-comments-feed-atom",
    ),
    # Sitemaps and robots.txt.
    path("sitemap.xml", sitemaps.index, name="newsroom-sitemap"),
    path(
        "sitemaps/<str:section>.xml",
        sitemaps.section,
        name="newsroom-sitemap-section",
    ),
    path("sitemap-news.xml", sitemaps.news, name="newsroom-sitemap-news"),
    path("robots.txt", sitemaps.robots, name="newsroom-robots"),
]
