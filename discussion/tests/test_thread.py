"""build_thread: nesting markup, placeholders and sorting, without a database."""

from datetime import UTC, datetime, timedelta

from discussion.models import Comment, path_segment
from discussion.thread import Sort, build_thread

T0 = datetime(2016, 5, 25, 6, 35, tzinfo=UTC)


def comments(*specs):
    """specs: (number, status, score, author_id), in thread order."""
    rows = []
    by_number = {}
    for i, (number, status, score, author_id) in enumerate(specs):
        parent_number = number.rpartition(".")[0]
        comment = Comment(
            pk=i + 1,
            number=number,
            path=".".join(path_segment(int(n)) for n in number.split(".")),
            depth=number.count("."),
            status=status,
            score=score,
            author_id=author_id,
            created_at=T0 + timedelta(minutes=i),
        )
        comment.parent_id = by_number[parent_number].pk if parent_number else None
        by_number[number] = comment
        rows.append(comment)
    return sorted(rows, key=lambda c: c.path)


P, D, R, H = (
    Comment.Status.PUBLISHED,
    Comment.Status.DELETED,
    Comment.Status.REMOVED,
    Comment.Status.PENDING,
)


def shown(thread):
    return [(n.comment.number, n.shown_as) for n in thread.nodes]


def test_it_marks_where_reply_lists_open_and_close():
    thread = build_thread(
        comments(("1", P, 0, 1), ("1.1", P, 0, 1), ("1.1.1", P, 0, 1), ("2", P, 0, 1))
    )
    assert [n.opens for n in thread.nodes] == [False, True, True, False]
    assert [len(n.closes) for n in thread.nodes] == [0, 0, 0, 2]
    assert len(thread.final_closes) == 0
    deep_end = build_thread(comments(("1", P, 0, 1), ("1.1", P, 0, 1)))
    assert len(deep_end.final_closes) == 1


def test_it_keeps_a_placeholder_only_where_replies_remain():
    thread = build_thread(
        comments(("1", D, 0, 1), ("1.1", P, 0, 2), ("2", D, 0, 1), ("3", R, 0, 1))
    )
    assert shown(thread) == [
        ("1", "deleted"),
        ("1.1", "full"),
        ("3", "removed"),
    ]
    assert thread.count == 1


def test_it_drops_a_deleted_chain_with_nothing_shown_under_it():
    thread = build_thread(comments(("1", D, 0, 1), ("1.1", D, 0, 2), ("2", P, 0, 1)))
    assert shown(thread) == [("2", "full")]


def test_it_shows_pending_comments_to_their_author_and_moderators_only():
    rows = comments(("1", H, 0, 7), ("2", P, 0, 8))
    assert shown(build_thread(rows)) == [("2", "full")]
    assert shown(build_thread(rows, viewer_id=7))[0] == ("1", "pending")
    assert shown(build_thread(rows, moderator=True))[0] == ("1", "pending")


def test_it_holds_the_place_of_a_pending_comment_with_replies():
    rows = comments(("1", H, 0, 7), ("1.1", P, 0, 8))
    assert shown(build_thread(rows)) == [("1", "held"), ("1.1", "full")]


def test_it_sorts_top_level_subtrees_by_score_or_time():
    rows = comments(("1", P, 1, 1), ("1.1", P, 9, 1), ("2", P, 5, 1), ("3", P, -2, 1))
    best = build_thread(rows, sort=Sort.BEST)
    assert [n.comment.number for n in best.nodes] == ["2", "1", "1.1", "3"]
    newest = build_thread(rows, sort=Sort.NEWEST)
    assert [n.comment.number for n in newest.nodes] == ["3", "2", "1", "1.1"]


def test_newest_puts_the_later_number_first_within_one_minute():
    rows = comments(("1", P, 0, 1), ("2", P, 0, 1), ("2.1", P, 0, 1), ("3", P, 0, 1))
    for comment in rows:
        comment.created_at = T0
    newest = build_thread(rows, sort=Sort.NEWEST)
    assert [n.comment.number for n in newest.nodes] == ["3", "2", "2.1", "1"]


def test_it_collapses_comments_at_the_threshold(settings):
    settings.TRIBUNE_COLLAPSE_SCORE = -5
    thread = build_thread(comments(("1", P, -5, 1), ("2", P, -4, 1)))
    assert [n.collapsed for n in thread.nodes] == [True, False]


def test_sort_clean_falls_back_to_thread_order():
    assert Sort.clean("best") == "best"
    assert Sort.clean(None) == "thread"
    assert Sort.clean("'; DROP") == "thread"
