"""Ranks in the style of the reference site, derived from reputation."""

from bisect import bisect_right

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

# The default ranks (settings.TRIBUNE_RANKS), for the translation catalogue:
# names are configured in English and shown in the reader's language; a
# configured name the catalogue lacks is shown as configured.
DEFAULT_RANK_NAMES = [
    gettext_noop("Private"),
    gettext_noop("Corporal"),
    gettext_noop("Sergeant"),
    gettext_noop("Sergeant Major"),
    gettext_noop("Warrant Officer"),
    gettext_noop("Lieutenant"),
    gettext_noop("Captain"),
    gettext_noop("Major"),
    gettext_noop("Lieutenant Colonel"),
    gettext_noop("Colonel"),
    gettext_noop("General"),
]


def rank_for(reputation: int) -> str:
    """Return the rank name for a reputation, in the active language."""
    ranks = settings.TRIBUNE_RANKS
    thresholds = [threshold for threshold, _ in ranks]
    index = bisect_right(thresholds, reputation) - 1
    return gettext(ranks[max(index, 0)][1])


def all_ranks() -> list[tuple[int, str]]:
    """(threshold, name) of every rank, names in the active language."""
    return [(threshold, gettext(name)) for threshold, name in settings.TRIBUNE_RANKS]


def next_rank(reputation: int) -> tuple[str, int] | None:
    """Return (name, reputation still needed) for the next rank, or None at the top."""
    for threshold, name in settings.TRIBUNE_RANKS:
        if threshold > reputation:
            return gettext(name), threshold - reputation
    return None
