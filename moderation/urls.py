from django.urls import include, path

from moderation import views

urlpatterns = [
    path("moderation/", views.queue, name="moderation-queue"),
    path("moderation/queue/<str:name>/", views.queue, name="moderation-queue-named"),
    path(
        "moderation/comments/<int:pk>/<str:decision>/",
        views.decide,
        name="moderation-decide",
    ),
    path("moderation/bulk/", views.bulk, name="moderation-bulk"),
    path("moderation/readers/<int:pk>/", views.reader, name="moderation-reader"),
    path(
        "moderation/readers/<int:pk>/<str:action>/",
        views.reader_action,
        name="moderation-reader-action",
    ),
    path("moderation/log/", views.log, name="moderation-log"),
    path("moderation/site/", views.site_mode, name="moderation-site"),
    path("moderation/", include("moderation.word_urls")),
    path("comments/<int:pk>/report/", views.report, name="moderation-report"),
]
