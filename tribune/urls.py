from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from tribune import csp
from tribune.health import healthz

urlpatterns = [
    path("healthz", healthz, name="tribune-healthz"),
    path("csp-report", csp.report, name="tribune-csp-report"),
    # The language switcher in every page's footer. Exempt from CSRF: it is
    # on anonymous pages served from the cache, which carry no per-reader
    # token, and all it can change is the visitor's language cookie.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("moderation.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("", include("discussion.urls")),
    path("", include("newsroom.urls")),
]

# A 503 page while the database is not answering, Django's 500 otherwise.
handler500 = "tribune.views.server_error"
