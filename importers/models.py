from django.conf import settings
from django.db import models

from discussion.models import Comment


class ImportedComment(models.Model):
    """A comment brought in from another comment system, by its id there.

    Importing the same export again, or a later one, finds what it already
    brought in here and adds only the rest, so numbers never move.
    """

    # "wxr:<site>:<comment id>" or "disqus:<post id>".
    source = models.CharField(max_length=300, unique=True)
    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, related_name="imported_from"
    )

    def __str__(self):
        return self.source


class ImportedAuthor(models.Model):
    """The account made for a commenter of another comment system.

    Keyed by a hash of the e-mail address the commenter gave (the address
    itself is not kept), their Disqus username, or their name, so one person
    gets one account across imports even after it has been claimed.
    """

    # "email:<sha256>", "disqus:<username>" or "name:<folded name>".
    source = models.CharField(max_length=300, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self):
        return self.source
