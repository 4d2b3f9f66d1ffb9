from django.apps import AppConfig
from django.db.models.signals import post_save


class NewsroomConfig(AppConfig):
    name = "newsroom"

    def ready(self):
        # The search index follows every saved text, whichever code saved it
        # (actions, the admin, importers); bulk writes call
        # newsroom.search.reindex_article themselves.
        from discussion.models import Comment
        from newsroom import search
        from newsroom.models import Article

        post_save.connect(search.article_saved, sender=Article)
        post_save.connect(search.comment_saved, sender=Comment)
