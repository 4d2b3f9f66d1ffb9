from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import User
from newsroom.models import Article
from notifications import actions
from notifications.forms import PreferenceForm
from notifications.models import Notification, Preference
from notifications.unsubscribe import BadToken, read_token

PER_PAGE = 50


def _signin_url(next_url: str) -> str:
    return f"{reverse('accounts-signin')}?{urlencode({'next': next_url})}"


@login_required
def notification_list(request):
    entries = (
        Notification.objects.filter(recipient=request.user)
        .select_related("comment__article", "article", "actor")
        .order_by("-created_at", "-id")
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "has_unread": any(entry.read_at is None for entry in page),
        },
    )


@login_required
@require_POST
def mark_read(request):
    """Mark the posted `id`s read, or every unread entry when there are none."""
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    actions.mark_read(request.user, ids or None)
    return redirect("notifications-list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    moderator = request.user.is_moderator
    form = PreferenceForm(
        request.POST or None, instance=preference, moderator=moderator
    )
    if request.method == "POST" and form.is_valid():
        actions.update_preferences(request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications-settings")
    return render(request, "notifications/settings.html", {"form": form})


@require_POST
def toggle_follow(request, article_id):
    """Follow or unfollow an article; htmx gets the new button back."""
    article = get_object_or_404(Article, pk=article_id)
    if not article.is_visible:
        raise Http404("No such article")
    if not request.user.is_authenticated:
        signin = _signin_url(article.get_absolute_url())
        if request.htmx:
            return HttpResponseClientRedirect(signin)
        return redirect(signin)
    following = actions.toggle_follow(request.user, article)
    if request.htmx:
        return render(
            request,
            "notifications/follow_button.html",
            {"article": article, "following": following},
        )
    if following:
        messages.success(
            request, _("You will hear about new comments on this article.")
        )
    else:
        messages.info(request, _("You no longer follow this article."))
    return redirect(article.get_absolute_url())


# Mail clients send the RFC 8058 one-click POST without a session or CSRF
# token; the signed token is the only credential and only turns emails off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        user_id, fields = read_token(token)
    except BadToken as bad:
        return render(
            request,
            "notifications/unsubscribe_invalid.html",
            {"message": bad.message},
            status=400,
        )
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return render(
            request,
            "notifications/unsubscribe_invalid.html",
            {"message": _("The account this link was for no longer exists.")},
            status=400,
        )
    labels = [_LABELS[field] for field in fields]
    if request.method == "POST":
        actions.unsubscribe(user_id, fields)
        return render(
            request, "notifications/unsubscribe_done.html", {"labels": labels}
        )
    return render(
        request,
        "notifications/unsubscribe.html",
        {"labels": labels, "account": user},
    )


_LABELS = {
    "email_replies": gettext_lazy("emails about replies to your comments"),
    "email_follows": gettext_lazy("emails about new comments on articles you follow"),
    "moderator_digest": gettext_lazy("the daily digest of new reports"),
}
