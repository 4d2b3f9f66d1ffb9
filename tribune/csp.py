"""Content-Security-Policy for every response, and the endpoint for its reports.

No page has an inline script, an inline event handler (onclick=…), an htmx
`hx-on` attribute or an inline style: everything runs from files under
/static/, so the policy allows scripts and styles from this site only and
needs no nonce. A nonce would not work here anyway: anonymous article pages
are served again from the whole-page cache (newsroom/pagecache.py) and from
nginx's micro-cache, so a nonce baked into the HTML would not match the header
of a later response. tribune/tests/test_csp.py fails if an inline script or
handler appears in a template or a rendered page.

htmx is told in base.html not to inject its indicator <style> and not to
evaluate JavaScript from attributes (`allowEval`), which the policy would
refuse anyway.
"""

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lib import ratelimit
from lib.http import client_ip

security_log = logging.getLogger("tribune.security")

REPORT_PATH = "/csp-report"

_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Articles may show images by URL from other sites (editors only; comments
    # have no images). Images cannot run code.
    "img-src": "'self' https:",
    "font-src": "'self'",
    # htmx requests and the live-updates EventSource go to this site only.
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "report-uri": REPORT_PATH,
}

# Django's admin (staff only) has one inline <style> on change lists without
# actions; its scripts are all files, so only styles are relaxed there.
_ADMIN_DIRECTIVES = {**_DIRECTIVES, "style-src": "'self' 'unsafe-inline'"}


def _header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


POLICY = _header(_DIRECTIVES)
ADMIN_POLICY = _header(_ADMIN_DIRECTIVES)


def policy_for(path: str) -> str:
    return ADMIN_POLICY if path.startswith("/admin/") else POLICY


class ContentSecurityPolicyMiddleware:
    """Add the policy (and X-Frame-Options where nothing set it) to responses.

    Sits outside the anonymous page cache, so cached pages get the headers too;
    Django's XFrameOptionsMiddleware sits inside it and never sees a cache hit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.TRIBUNE_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        response.headers.setdefault(header, policy_for(request.path))
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


# A report is a few hundred bytes; anything far larger is not one.
MAX_REPORT_BYTES = 8 * 1024
# Reports logged per address per minute; the rest are dropped quietly, so a
# page that breaks in a loop (or a hostile client) cannot flood the log.
REPORTS_PER_MINUTE = 30
_FIELDS = (
    "document-uri",
    "violated-directive",
    "effective-directive",
    "blocked-uri",
    "source-file",
    "line-number",
    "disposition",
)


def _without_query(value: object) -> str:
    """Keep scheme, host and path of a URL: a query string may hold a token."""
    text = str(value)[:300]
    if "://" not in text:
        return text
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@csrf_exempt  # Browsers send reports without cookies or tokens.
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    """Log a violation report from a browser; answer 204 whatever it holds."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_REPORT_BYTES + 1
    if length > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    address = client_ip(request)
    limit = ratelimit.Limit("csp-report", REPORTS_PER_MINUTE, 60)
    if ratelimit.retry_after(limit, address):
        return HttpResponse(status=204)
    ratelimit.hit(limit, address)
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return HttpResponse(status=400)
    # report-uri sends {"csp-report": {...}}; the Reporting API a list of
    # {"type": "csp-violation", "body": {...}} with camelCase names.
    reports = []
    if isinstance(body, dict) and isinstance(body.get("csp-report"), dict):
        reports.append(body["csp-report"])
    elif isinstance(body, list):
        for item in body[:10]:
            if isinstance(item, dict) and isinstance(item.get("body"), dict):
                reports.append(
                    {
                        "document-uri": item["body"].get("documentURL", ""),
                        "effective-directive": item["body"].get(
                            "effectiveDirective", ""
                        ),
                        "blocked-uri": item["body"].get("blockedURL", ""),
                        "source-file": item["body"].get("sourceFile", ""),
                        "line-number": item["body"].get("lineNumber", ""),
                        "disposition": item["body"].get("disposition", ""),
                    }
                )
    if not reports:
        return HttpResponse(status=400)
    for item in reports:
        fields = " ".join(
            f"{name}={_without_query(item.get(name, ''))!r}"
            for name in _FIELDS
            if item.get(name) not in (None, "")
        )
        security_log.warning("csp violation address=%s %s", address, fields)
    return HttpResponse(status=204)
