"""A reader's own data: downloading it and deleting the account.

Plain functions the account views call. Neither touches another reader's
private data: the export names other readers' comments only by their public
links, and deleting an account corrects other readers' scores and reputations
with aggregate UPDATEs rather than by loading their rows.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import User
from discussion.models import Comment, Vote
from moderation.models import Report
from newsroom.models import Article
from newsroom.pagecache import bump_thread

KEEP = "keep"
REMOVE = "remove"


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _permalink(comment: Comment) -> str:
    return _url(comment.get_absolute_url())


def export_user_data(user: User) -> dict[str, Any]:
    """Return everything Tribune keeps about `user`, ready for json.dumps.

    Datetimes are left as datetimes (DjangoJSONEncoder writes ISO 8601).
    Runs four queries however many comments, votes and reports there are.
    """
    comments = (
        Comment.objects.filter(author=user)
        .select_related("article")
        .prefetch_related("revisions")
        .order_by("created_at", "pk")
    )
    votes = (
        Vote.objects.filter(user=user)
        .select_related("comment__article")
        .order_by("created_at", "pk")
    )
    reports = (
        Report.objects.filter(reporter=user)
        .select_related("comment__article")
        .order_by("created_at", "pk")
    )
    return {
        "exported_at": timezone.now(),
        "site": settings.SITE_URL,
        "account": {
            "username": user.username,
            "email": user.email,
            "joined": user.date_joined,
            "last_sign_in": user.last_login,
            "bio": user.bio,
            "location": user.location,
            "reputation": user.reputation,
            "rank": user.rank,
            "moderation": {
                "premoderated": user.premoderated,
                "suspended_until": user.suspended_until,
                "banned_at": user.banned_at,
                "ban_reason": user.ban_reason,
            },
        },
        "comments": [
            {
                "article": {
                    "title": comment.article.title,
                    "url": _url(comment.article.get_absolute_url()),
                },
                "number": comment.number,
                "url": _permalink(comment),
                "body": comment.body,
                "status": comment.status,
                "created": comment.created_at,
                "edited": comment.edited_at,
                "score": comment.score,
                "earlier_versions": [
                    {
                        "body": revision.body,
                        "written": revision.created_at,
                        "replaced": revision.replaced_at,
                    }
                    for revision in comment.revisions.all()
                ],
            }
            for comment in comments
        ],
        "votes": [
            {
                "comment": _permalink(vote.comment),
                "value": vote.value,
                "when": vote.created_at,
            }
            for vote in votes
        ],
        "reports": [
            {
                "comment": _permalink(report.comment),
                "reason": report.reason,
                "detail": report.detail,
                "status": report.status,
                "when": report.created_at,
                "resolved": report.resolved_at,
            }
            for report in reports
        ],
    }


def delete_account(user: User) -> None:
    """Delete `user`, leaving their comments numbered in place without an author.

    With TRIBUNE_DELETED_ACCOUNT_COMMENTS = "remove" their comments are marked
    removed first. Votes they cast are withdrawn, and the scores and
    reputations those votes counted towards corrected. Runs a fixed number
    of queries, plus one UPDATE per article whose visible comment count drops.
    """
    with transaction.atomic():
        if settings.TRIBUNE_DELETED_ACCOUNT_COMMENTS == REMOVE:
            counted = _remove_comments(user)
        else:
            counted = set()
        _withdraw_votes(user)
        # Every other thread the reader wrote or voted in renders differently
        # now ("deleted account", new scores): make cached renderings stale.
        touched = Q(pk__in=Comment.objects.filter(author=user).values("article")) | Q(
            pk__in=Vote.objects.filter(user=user).values("comment__article")
        )
        bump_thread(
            Article.objects.filter(touched)
            .exclude(pk__in=counted)
            .values_list("pk", flat=True)
        )
        Vote.objects.filter(user=user).delete()
        # Comment.author is SET_NULL: the comments stay, by "deleted account".
        user.delete()


def _remove_comments(user: User) -> set[int]:
    """Mark the reader's standing comments removed; return the articles counted.

    Those articles' comment counts drop by the visible comments removed and
    their thread versions are bumped, in one UPDATE per article.
    """
    standing = Comment.objects.filter(
        author=user, status__in=[Comment.Status.PUBLISHED, Comment.Status.PENDING]
    )
    visible_per_article = dict(
        standing.filter(status=Comment.Status.PUBLISHED)
        .order_by()
        .values("article")
        .annotate(visible=Count("pk"))
        .values_list("article", "visible")
    )
    standing.update(status=Comment.Status.REMOVED)
    for article_id, visible in visible_per_article.items():
        bump_thread(article_id, comment_delta=-visible)
    return set(visible_per_article)


def _withdraw_votes(user: User) -> None:
    """Take the reader's votes out of comment scores and authors' reputations.

    Leaves the Vote rows for the caller to delete. Three UPDATEs.
    """
    votes = Vote.objects.filter(user=user)
    # What the reader's votes added to each author's reputation, as one
    # correlated subquery rather than a row per author.
    given = (
        votes.filter(comment__author=OuterRef("pk"))
        .order_by()
        .values("comment__author")
        .annotate(total=Sum("value"))
        .values("total")
    )
    User.objects.filter(pk__in=votes.values("comment__author")).update(
        reputation=F("reputation") - Coalesce(Subquery(given), 0)
    )
    # The counts are unsigned; a count that drifted (votes imported without
    # their totals) must not make deleting the account fail.
    Comment.objects.filter(
        pk__in=votes.filter(value=Vote.Value.UP).values("comment")
    ).update(score=F("score") - 1, upvotes=Greatest(F("upvotes") - 1, 0))
    Comment.objects.filter(
        pk__in=votes.filter(value=Vote.Value.DOWN).values("comment")
    ).update(score=F("score") + 1, downvotes=Greatest(F("downvotes") - 1, 0))
