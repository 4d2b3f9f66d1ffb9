from django.urls import path

from api import views
from api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
