from django.urls import path

from newsroom import views

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
]
