from functools import cache


def unread(request):
    """`unread_notifications`: the signed-in reader's unread count.

    Lazy: the count query runs only if a template uses the variable, and at
    most once per request; anonymous visitors cost nothing.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    @cache
    def count() -> int:
        from notifications.models import Notification

        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    return {"unread_notifications": count}
