from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest) -> str:
    """Return the reader's address, from the proxy header when one is trusted."""
    header = settings.TRIBUNE_CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get(header, "")
        if forwarded:
            # The proxy appends the address it saw last; that one it vouches for.
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """Return the `next` parameter if it points into this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only this site's own paths: never another host, scheme or "//host".
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
