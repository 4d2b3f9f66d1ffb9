"""What search engines, feed readers and link previews read about pages.

Absolute URLs come from SITE_URL, the one public address of the site (the
same that e-mails link to), never from the request's Host header: a canonical
link must not depend on which name a page was fetched under.
"""

from django.conf import settings


def absolute(path: str) -> str:
    """SITE_URL + path (a path already absolute is returned as it is)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path
