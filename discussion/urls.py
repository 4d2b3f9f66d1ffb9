from django.urls import path

from discussion import live, views

urlpatterns = [
    path("articles/<str:slug>/comments/", views.post, name="discussion-post"),
    path(
        "articles/<str:slug>/comments/<str:number>/",
        views.comment,
        name="discussion-comment",
    ),
    path(
        "articles/<str:slug>/comments/<str:number>/reply/",
        views.reply,
        name="discussion-reply",
    ),
    path("articles/<str:slug>/live/", live.live, name="discussion-live"),
    path("comments/<int:pk>/edit/", views.edit, name="discussion-edit"),
    path("comments/<int:pk>/delete/", views.delete, name="discussion-delete"),
    path("comments/<int:pk>/vote/", views.vote, name="discussion-vote"),
]
