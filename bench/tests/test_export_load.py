"""bench.export_load's checks find what an inconsistent copy would show."""

from bench.export_load import Write, _check

LIVE = {
    "articles": {"a": [2, 3, 3]},
    "comments": [
        ["a", "1", None, 1, "one"],
        ["a", "1.1", "1", 0, "reply"],
        ["a", "2", None, 0, "two"],
        ["a", "3", None, 0, "three, after the export"],
    ],
}
# The export ran from t=10 to t=20.
WRITES = [
    Write(sent=1, answered=2, body="one", status=201),
    Write(sent=12, answered=13, body="two", status=201),
    Write(sent=21, answered=22, body="three, after the export", status=201),
]


def _restored(**changes):
    restored = {
        "articles": {"a": [2, 3, 3]},
        "comments": [list(c) for c in LIVE["comments"][:3]],
    }
    restored.update(changes)
    return restored


def test_a_consistent_copy_has_no_problems():
    assert _check(LIVE, _restored(), WRITES, 10, 20) == []


def test_it_finds_a_counter_that_does_not_match_the_rows():
    problems = _check(LIVE, _restored(articles={"a": [3, 3, 3]}), WRITES, 10, 20)
    assert problems == ["a: comment_counter is not its top-level comments"]
    problems = _check(LIVE, _restored(articles={"a": [2, 2, 3]}), WRITES, 10, 20)
    assert problems == ["a: comment_count is not its published comments"]


def test_it_finds_a_gap_and_a_reply_counter_off():
    restored = _restored()
    del restored["comments"][2]  # #2 gone, #1 and its reply kept
    restored["articles"]["a"] = [1, 2, 2]
    restored["comments"][0][3] = 2
    problems = _check(LIVE, restored, WRITES[:1], 10, 20)
    assert "a #1: reply_counter is not its replies" in problems
    restored = _restored()
    restored["comments"][1][1] = "1.2"
    assert "a: gaps in the numbers under 1" in _check(LIVE, restored, [], 10, 20)


def test_it_finds_writes_outside_the_moment():
    restored = _restored()
    del restored["comments"][0:2]
    problems = _check(LIVE, restored, WRITES, 10, 20)
    assert "acknowledged before the export, missing: one" in problems
    restored = _restored()
    restored["comments"].append(["a", "3", None, 0, "three, after the export"])
    restored["articles"]["a"] = [3, 4, 4]
    problems = _check(LIVE, restored, WRITES, 10, 20)
    assert problems == ["sent after the export, yet in it: three, after the export"]


def test_it_finds_a_comment_that_is_not_the_live_one():
    restored = _restored()
    restored["comments"][2][4] = "changed"
    assert _check(LIVE, restored, [], 10, 20) == ["a #2 is not the live site's comment"]
