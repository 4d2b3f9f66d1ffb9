"""Ranks in the style of the reference site, derived from reputation."""

from bisect import bisect_right

from django.conf import settings


def rank_for(reputation: int) -> str:
    """Return the rank name for a reputation, using settings.TRIBUNE_RANKS."""
    ranks = settings.TRIBUNE_RANKS
    thresholds = [threshold for threshold, _ in ranks]
    index = bisect_right(thresholds, reputation) - 1
    return ranks[max(index, 0)][1]


def next_rank(reputation: int) -> tuple[str, int] | None:
    """Return (name, reputation still needed) for the next rank, or None at the top."""
    for threshold, name in settings.TRIBUNE_RANKS:
        if threshold > reputation:
            return name, threshold - reputation
    return None
