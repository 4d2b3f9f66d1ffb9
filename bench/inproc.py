"""In-process figures: SQL queries per page and cold renders of whole threads.

    python -m bench.inproc DATA.json OUT.json [REPEATS]   (bench environment)

Reads the slugs written by bench.data. For each article it counts the SQL
queries of the page (anonymous and signed in) through Django's test Client,
then times the rendering of the whole thread with every cache cleared: with
`render_thread_html(article)` if discussion.thread or discussion.context
offers one, otherwise a GET of the article page through the test Client. The
templates are compiled once beforehand (on another article), so "cold" means
cold data caches, not a process that has never rendered a page.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path


def _clear_caches() -> None:
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()


def _renderer():
    """Return (description, function of an article) that renders its thread."""
    from django.test import Client

    from discussion import context, thread

    for module in (thread, context):
        function = getattr(module, "render_thread_html", None)
        if function is not None:
            name = f"{module.__name__}.render_thread_html(article)"
            return name, lambda article, function=function: function(article)
    client = Client(HTTP_HOST="127.0.0.1")

    def get_page(article) -> None:
        response = client.get(article.get_absolute_url())
        if response.status_code != 200:
            raise RuntimeError(f"{article.slug}: HTTP {response.status_code}")

    return "GET of the article page through django.test.Client", get_page


def count_queries(path: str, sessionid: str | None) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if sessionid:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessionid
    _clear_caches()
    with CaptureQueriesContext(connection) as cold:
        response = client.get(path)
    with CaptureQueriesContext(connection) as warm:
        client.get(path)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries_cold": len(cold),
        "queries_warm": len(warm),
    }


def measure(data: dict, repeats: int) -> dict:
    from django.conf import settings
    from django.test import override_settings

    from newsroom.models import Article

    articles = {
        key: Article.objects.get(slug=slug) for key, slug in data["articles"].items()
    }
    sessionid = data["writers"][0]["sessionid"]
    result: dict = {"queries": {}, "cold_render": {}}
    # The process's first request pays one-off lookups; count from the second.
    warm = articles.get("reference") or articles["posting"]
    count_queries(warm.get_absolute_url(), sessionid)
    for key, article in articles.items():
        if key == "posting":
            continue
        path = article.get_absolute_url()
        result["queries"][key] = {
            "comments": article.comment_count,
            "anonymous": count_queries(path, None),
            "signed_in": count_queries(path, sessionid),
        }
    method, render = _renderer()
    # Compile templates and import everything once, on another article.
    warm_up = articles.get("reference") or articles["posting"]
    render(warm_up)
    # The page may show only the first part of a thread ("Show more"): the
    # whole-thread figures lift that limit; the page as served is kept apart.
    whole = (
        override_settings(TRIBUNE_THREAD_PAGE_SIZE=10**6)
        if hasattr(settings, "TRIBUNE_THREAD_PAGE_SIZE")
        else nullcontext()
    )
    with whole:
        result["cold_render"] = _time_renders(articles, render, repeats)
    result["cold_render_method"] = method + (
        " with TRIBUNE_THREAD_PAGE_SIZE lifted so the whole thread is rendered"
        if hasattr(settings, "TRIBUNE_THREAD_PAGE_SIZE") and "GET" in method
        else ""
    )
    result["cold_render_page_as_served"] = _time_renders(articles, render, repeats)
    return result


def _time_renders(articles, render, repeats: int) -> dict:
    result = {}
    for key in ("1000", "2000", "10000"):
        if key not in articles:
            continue
        times = []
        for _ in range(repeats):
            _clear_caches()
            started = time.perf_counter()
            render(articles[key])
            times.append(time.perf_counter() - started)
        result[key] = {
            "comments": articles[key].comment_count,
            "seconds": times,
            "median_s": statistics.median(times),
            "renders_per_s": 1 / statistics.median(times),
        }
    return result


def main(argv: list[str]) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
    django.setup()
    data = json.loads(Path(argv[0]).read_text())
    repeats = int(argv[2]) if len(argv) > 2 else 3
    Path(argv[1]).write_text(json.dumps(measure(data, repeats), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
