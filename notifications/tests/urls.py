"""The site's URLs plus this app's, until tribune/urls.py includes them."""

from django.urls import include, path

urlpatterns = [
    path("notifications/", include("notifications.urls")),
    path("", include("tribune.urls")),
]
