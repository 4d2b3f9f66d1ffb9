"""`tribune export` of a live site taking comments: a consistent snapshot.

The short run of bench/export_load.py: a real `tribune serve` (on a scratch
SQLite file, or a scratch PostgreSQL database beside DATABASE_URL's) with
two writers posting comments and replies through the API, `tribune export`
run as its own process in the middle, the document restored into an empty
database. The restored site must be one moment of the live one: counters
that match the rows, numbers without gaps, every comment the live site's
comment of that number, every write acknowledged before the export there
and none sent after it.
"""

import os

import pytest

from bench.export_load import measure

DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.faults


def test_an_export_of_a_site_under_writes_restores_as_one_moment():
    figures = measure(
        seconds=4,
        writers=2,
        articles=2,
        comments=100,
        database_url=DATABASE_URL if DATABASE_URL.startswith("postgres") else "",
    )
    assert figures["problems"] == []
    assert figures["write_statuses"] == {"201": figures["writes_acknowledged"]}
    # Writes before, during and after: the export did run under load.
    assert figures["writes_before_export"] > 0
    assert figures["writes_during_export"] > 0
    assert (
        200 + figures["writes_before_export"]
        <= figures["comments_in_snapshot"]
        < figures["comments_live_at_end"]
    )
