"""A server killed with SIGKILL mid-write loses no acknowledged comment.

`bench.load`'s scenario at CI size: a scratch database (a SQLite file, or a
new PostgreSQL database beside DATABASE_URL's, dropped afterwards), a real
`tribune serve` on a free loopback port, 8 writers posting comments and
replies through the article page's form and the API, voting and reporting,
and a few readers, for 8 s. Halfway, once comments are on their way, the
server's process group gets SIGKILL and is started again on the same
database; writers send every unanswered comment again with its client_token
until it is answered. Then the database must hold every acknowledged comment
once, with the number its answer gave, and each thread's numbers 1..n and
p.1..p.k without gaps or repeats. `python -m bench.load --kill` runs the
same at full size.
"""

import contextlib
import os

import pytest

from bench.load import BROKEN, run_scenario
from tests.servers import scratch_database

DATABASE_URL = os.environ.get("DATABASE_URL", "")


@pytest.fixture
def database_url():
    if DATABASE_URL.startswith("postgres"):
        with scratch_database(DATABASE_URL) as url:
            yield url
    else:
        yield None  # a SQLite file in the test's directory


def test_it_loses_and_duplicates_no_comment_when_the_server_is_killed(
    tmp_path, database_url
):
    with contextlib.redirect_stdout(None):
        result = run_scenario(
            tmp=tmp_path,
            database_url=database_url,
            seconds=8,
            readers=10,
            writers=8,
            kill=True,
            workers=1,
            articles=2,
            comments_per_article=60,
            api_every=2,
        )
    assert result["database"] == ("postgresql" if database_url else "sqlite")
    kill = result["kill"]
    assert kill is not None and kill["back_at_seconds"] > kill["at_seconds"]
    durability = result["durability"]
    examples = durability.pop("examples")
    # Comments were taken through the form and the API, before the kill and
    # after the restart (the load goes on for 2 s at least once it is back).
    assert durability["acknowledged_by_path"].keys() == {"form", "api"}, durability
    assert durability["acknowledged_before_kill"] >= 1, durability
    assert durability["acknowledged_after_restart"] >= 1, durability
    # Every comment sent was answered in the end, none refused.
    assert durability["submissions_never_answered"] == 0, durability
    assert durability["submissions_refused"] == 0, durability["refusals"]
    assert durability["acknowledged"] == durability["submissions"]
    assert {name: durability[name] for name in BROKEN} == dict.fromkeys(BROKEN, 0), (
        examples
    )
    # Apart from the outage, the server answered everything it was asked.
    assert result["requests"]["outside_outage"]["errors"] == 0, result["requests"]
