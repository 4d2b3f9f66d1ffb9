"""Word-list URLs, included by the project under "moderation/"."""

from django.urls import path

from moderation import word_views

urlpatterns = [
    path("words/", word_views.word_list, name="moderation-words"),
    path("words/add/", word_views.add, name="moderation-words-add"),
    path("words/remove/", word_views.remove, name="moderation-words-remove"),
    path("words/try/", word_views.try_phrase, name="moderation-words-try"),
]
