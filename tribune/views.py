from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

# Fields whose text a reader typed and must not lose to an expired form.
_KEPT_FIELDS = ("body",)


@requires_csrf_token
def csrf_failure(request, reason=""):
    """Explain an expired or forged form, and give back what the reader typed.

    The page carries a fresh form with the same fields, so resubmitting it
    posts the text with a valid token.
    """
    kept = {
        name: request.POST.get(name, "")
        for name in _KEPT_FIELDS
        if request.method == "POST" and request.POST.get(name)
    }
    hidden = {
        name: value
        for name, value in request.POST.items()
        if name in ("parent", "client_token") and kept
    }
    return render(
        request,
        "csrf_failure.html",
        {"kept": kept, "hidden": hidden, "action": request.path},
        status=403,
    )
