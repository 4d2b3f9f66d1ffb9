from django.utils.functional import SimpleLazyObject

from moderation.models import SiteMode


def _queue_counts():
    from discussion.models import Comment
    from moderation.models import Report

    return {
        "reported": Comment.objects.filter(reports__status=Report.Status.OPEN)
        .distinct()
        .count(),
        "pending": Comment.objects.filter(status=Comment.Status.PENDING).count(),
    }


def moderation(request):
    """Queue counts for moderators' navigation (two queries, only when shown)."""
    user = getattr(request, "user", None)
    is_moderator = bool(user and user.is_authenticated and user.is_moderator)
    return {
        "is_moderator": is_moderator,
        "queue_counts": SimpleLazyObject(_queue_counts) if is_moderator else {},
        "site_mode": SimpleLazyObject(SiteMode.current),
    }
