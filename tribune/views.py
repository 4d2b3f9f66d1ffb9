import logging
import sys
import threading
import time

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

from lib.db import database_unavailable

logger = logging.getLogger("tribune.db")

# Seconds a client is asked to wait while the database is away: PostgreSQL
# restarts (or fails over) in about that long.
RETRY_AFTER_SECONDS = 30
# While the database is away every request fails: one log line this often.
LOG_EVERY_SECONDS = 10.0
_last_logged = [0.0, 0]  # monotonic time of the last line, requests since
_log_lock = threading.Lock()

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


def server_error(request):
    """The site's 500 handler: a 503 page while the database is not answering.

    Django calls it inside the `except` clause that caught the error, from any
    layer (a view, a middleware, the API), so the error is `sys.exc_info()`.
    A lost database connection is not a fault of the site's code: the reader
    gets a page that says so and when to try again, with Retry-After, and the
    API a JSON error, instead of "Server Error (500)". Nothing here touches
    the database: the page is rendered without the request's context
    processors (site name, user, notifications all read it).
    """
    error = sys.exc_info()[1]
    if not database_unavailable(error):
        return django_server_error(request)
    _log_unavailable(request, error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    # The error may come before LocaleMiddleware chose the reader's language.
    with translation.override(translation.get_language_from_request(request)):
        message = gettext(
            "The site's database is not answering; try again in a minute."
        )
        content = None
        if not request.path.startswith("/api/v1/"):
            try:
                content = loader.get_template("503.html").render({"message": message})
            except Exception:
                logger.exception("The 503 page could not be rendered")
                content = message  # the sentence alone, still a 503
    if content is None:
        response = JsonResponse({"detail": message}, status=503, headers=headers)
    else:
        response = HttpResponse(content, status=503, headers=headers)
    # Never cached, by the page cache, nginx or the browser.
    response["Cache-Control"] = "no-store"
    return response


def _log_unavailable(request, error) -> None:
    with _log_lock:
        now = time.monotonic()
        _last_logged[1] += 1
        if now - _last_logged[0] < LOG_EVERY_SECONDS:
            return
        count = _last_logged[1]
        _last_logged[:] = [now, 0]
    logger.warning(
        "Database unavailable (%d request(s) answered 503 since the last "
        "report), e.g. %s %s: %s",
        count,
        request.method,
        request.path,
        error,
    )
