from django import template

from newsroom import seo

register = template.Library()


@register.filter
def absolute(path: str) -> str:
    """The path as an absolute URL on SITE_URL (canonical links, og:url)."""
    return seo.absolute(str(path))


@register.filter
def og_locale(language: str) -> str:
    """A language code as og:locale wants it: en → en_US."""
    return seo.og_locale(str(language or ""))
