"""The reader's page of personal access tokens for API clients."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import actions
from api.actions import TokenRefused
from api.models import AccessToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What will use it, e.g. “Reader app on my phone”."),
        error_messages={
            "required": _("Name the token, e.g. the app that will use it.")
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """List the reader's tokens and make a new one, shown once in the answer."""
    form = TokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                token, text = actions.create_token(
                    user=request.user, name=form.cleaned_data["name"]
                )
            except TokenRefused as refused:
                form.add_error("name", refused.message)
            else:
                # Rendered, not redirected: the token is never stored, so this
                # answer is the only place it appears.
                created = {"token": token, "text": text}
                form = TokenForm()
                status = 201
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": AccessToken.objects.filter(user=request.user),
        },
        status=status,
    )


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(AccessToken, pk=pk, user=request.user)
    actions.revoke_token(user=request.user, token=token)
    messages.success(
        request,
        gettext("Token “%(name)s” revoked: it no longer works.") % {"name": token.name},
    )
    return redirect("api-tokens")


def not_found(request):
    return JsonResponse({"detail": gettext("No such API endpoint.")}, status=404)
