from django.urls import path, re_path

from api import views
from api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
    # Anything else under v1/ is a JSON 404 too, not the site's HTML page.
    re_path(r"^v1/", views.not_found),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
