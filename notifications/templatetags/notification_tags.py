from django import template

from notifications.actions import is_following

register = template.Library()


@register.inclusion_tag("notifications/follow_button.html", takes_context=True)
def follow_button(context, article):
    """The follow/unfollow button for an article page (1 query when signed in)."""
    request = context["request"]
    return {
        "article": article,
        "following": is_following(request.user, article),
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
