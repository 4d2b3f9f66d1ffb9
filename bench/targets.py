"""The issue's targets, computed from one run's medians.

Every target is `{"name", "measured", "required", "holds"}`; a figure that
was not measured (a peer skipped) gives measured None and holds None. Figures
to report without a target come from `compute_reported`.
"""

from __future__ import annotations

from collections.abc import Iterable


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def target(
    name: str, measured: float | None, required: float, *, at_most: bool = False
) -> dict:
    if measured is None:
        holds = None
    elif at_most:
        holds = measured <= required
    else:
        holds = measured >= required
    return {
        "name": name,
        "measured": None if measured is None else round(measured, 3),
        "required": required,
        "comparison": "<=" if at_most else ">=",
        "holds": holds,
    }


def _spread(counts: Iterable[int]) -> int | None:
    counts = list(counts)
    return max(counts) - min(counts) if counts else None


def query_growth(queries) -> int | None:
    """How many more queries any page needs than the 1,000-comment page.

    `queries` is {comments: count}, or a plain list of counts (then the
    spread). A thread whose top-level comments fit in one part is read in one
    query fewer than a longer one, so a short thread may need less; none may
    need more, whatever its length.
    """
    if not queries:
        return None
    if not isinstance(queries, dict):
        return _spread(queries)
    base = queries.get(1000, queries.get("1000"))
    if base is None:
        return _spread(queries.values())
    return max(queries.values()) - base


def compute_targets(f: dict) -> list[dict]:
    """Return the targets from the flat figures `f` (rates per second, seconds, MB).

    Keys read (any may be missing): tribune_anon, tribune_signed, isso_page,
    isso_full, nginx_static, stack_anon, cold_render_2000_per_s, post_sqlite,
    post_postgres, isso_post, visibility_s (list), queries (list of counts per
    article page), cold_render_1000_s, cold_render_10000_s, worker_rss_mb.
    """
    get = f.get
    targets = [
        target(
            "1. anonymous 2,000-comment page: × Isso's rate for the same comments",
            _ratio(get("tribune_anon"), get("isso_page")),
            50,
        ),
        target(
            "1. anonymous 2,000-comment page: share of nginx's static rate",
            _ratio(get("tribune_anon"), get("nginx_static")),
            0.25,
        ),
        target(
            "2. signed-in 2,000-comment page: × Isso's rate for the same comments",
            _ratio(get("tribune_signed"), get("isso_page")),
            20,
        ),
        target(
            "3. full thread rendered cold: × Isso's full-thread rate",
            _ratio(get("cold_render_2000_per_s"), get("isso_full")),
            20,
        ),
        target(
            "4. posting, SQLite, 8 writers: × Isso's posting rate",
            _ratio(get("post_sqlite"), get("isso_post")),
            1,
        ),
    ]
    visibility = get("visibility_s") or []
    targets += [
        target(
            "5. behind nginx, anonymous page: share of nginx's static rate",
            _ratio(get("stack_anon"), get("nginx_static")),
            0.70,
        ),
        target(
            "5. behind nginx, a new comment visible to anonymous readers (s, worst)",
            max(visibility) if visibility else None,
            2,
            at_most=True,
        ),
        target(
            "6. SQL queries per article page, 15 to 10,000 comments: most above "
            "the 1,000-comment page's",
            query_growth(get("queries")),
            0,
            at_most=True,
        ),
        target(
            "6. cold render time, 10,000 / 1,000 comments",
            _ratio(get("cold_render_10000_s"), get("cold_render_1000_s")),
            12,
            at_most=True,
        ),
        target(
            "6. worker resident memory after the 10,000-comment page (MB)",
            get("worker_rss_mb"),
            150,
            at_most=True,
        ),
    ]
    return targets


def compute_reported(f: dict) -> list[dict]:
    """Figures the issue asks to report without setting a target for them:
    `{"name", "measured"}`, only those measured in this run.

    Posting is required at Isso's rate on SQLite; on PostgreSQL it is to be
    reported. PostgreSQL shares the bench's cores with everything else and is
    reached through a socket for each of a post's dozen statements.
    """
    reported = []
    if f.get("post_postgres") is not None:
        reported.append(
            {
                "name": "4. posting, PostgreSQL, 8 writers: × Isso's posting rate",
                "measured": _round(_ratio(f["post_postgres"], f.get("isso_post"))),
            }
        )
    return reported


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
