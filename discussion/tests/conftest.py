from django.utils import timezone

from discussion.models import Comment, path_segment
from newsroom.models import Article


def make_comments(article, authors, count: int) -> list[Comment]:
    """Insert about `count` comments in three levels directly, for volume tests.

    Every top-level comment gets a reply, and every other reply a reply of its
    own, so the thread has depth 0–2 like a real one.
    """
    now = timezone.now()
    tops = max(1, count * 2 // 5)

    def row(parent, position, author_index):
        number = f"{parent.number}.{position}" if parent else str(position)
        path = (parent.path + "." if parent else "") + path_segment(position)
        return Comment(
            article=article,
            parent=parent,
            author=authors[author_index % len(authors)],
            number=number,
            path=path,
            depth=number.count("."),
            body=f"Comment {number}",
            body_html=f"<p>Comment {number}</p>",
            created_at=now,
        )

    level0 = Comment.objects.bulk_create(row(None, i + 1, i) for i in range(tops))
    level1 = Comment.objects.bulk_create(row(c, 1, i + 1) for i, c in enumerate(level0))
    remaining = max(0, count - len(level0) - len(level1))
    level2 = Comment.objects.bulk_create(
        row(c, 1, i) for i, c in enumerate(level1[:remaining])
    )
    Article.objects.filter(pk=article.pk).update(
        comment_counter=tops, comment_count=len(level0) + len(level1) + len(level2)
    )
    return level0 + level1 + level2
