from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from discussion.models import Comment, path_segment
from newsroom.models import Article


@pytest.fixture
def article(section):
    return Article.objects.create(
        title="Proposal for joint operations is not discussed.",
        slug="joint-operations",
        body="The Americans once again made it clear.\n\nNoble Americans.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def say(article, author, body="A comment", parent=None, **fields) -> Comment:
    """Insert a numbered, published comment directly (no discussion rules)."""
    if parent is None:
        Article.objects.filter(pk=article.pk).update(
            comment_counter=F("comment_counter") + 1
        )
        position = Article.objects.get(pk=article.pk).comment_counter
        number, path = str(position), path_segment(position)
    else:
        Comment.objects.filter(pk=parent.pk).update(
            reply_counter=F("reply_counter") + 1
        )
        position = Comment.objects.get(pk=parent.pk).reply_counter
        number = f"{parent.number}.{position}"
        path = f"{parent.path}.{path_segment(position)}"
    return Comment.objects.create(
        article=article,
        parent=parent,
        author=author,
        number=number,
        path=path,
        depth=number.count("."),
        body=body,
        body_html=f"<p>{body}</p>",
        created_at=timezone.now(),
        **fields,
    )
