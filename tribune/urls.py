from django.contrib import admin
from django.urls import include, path

from tribune.health import healthz

urlpatterns = [
    path("healthz", healthz, name="tribune-healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("moderation.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("", include("discussion.urls")),
    path("", include("newsroom.urls")),
]
