from django import template

from notifications.actions import is_following

register = template.Library()


@register.inclusion_tag("notifications/follow_button.html", takes_context=True)
def follow_button(context, article):
    """The follow/unfollow button for an article page.

    One query when signed in, none when the page already knows (`following`
    in its context, from discussion.context.reader_state).
    """
    request = context["request"]
    following = context.get("following")
    if following is None:
        following = is_following(request.user, article)
    return {
        "article": article,
        "following": following,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
