from django.urls import path

from notifications import views

urlpatterns = [
    path("", views.notification_list, name="notifications-list"),
    path("read/", views.mark_read, name="notifications-mark-read"),
    path("settings/", views.preferences, name="notifications-settings"),
    path("follow/<int:article_id>/", views.toggle_follow, name="notifications-follow"),
    path(
        "unsubscribe/<str:token>/",
        views.unsubscribe,
        name="notifications-unsubscribe",
    ),
]
