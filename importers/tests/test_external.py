"""What is kept of another system's thread, and how it is numbered."""

from datetime import UTC, datetime, timedelta

import pytest

from importers.external import (
    DELETED,
    MAX_DEPTH,
    PENDING,
    PINGBACK,
    PUBLISHED,
    SPAM,
    ExternalComment,
    ExternalThread,
    build_thread,
    normalize_url,
    username_for,
)
from importers.xmlstream import ImportFormatError, html_paragraphs

START = datetime(2016, 5, 25, tzinfo=UTC)


def comment(id, parent=None, minutes=0, state=PUBLISHED) -> ExternalComment:
    return ExternalComment(
        source=f"test:{id}",
        id=str(id),
        parent_id=str(parent) if parent is not None else None,
        author="A",
        author_key="name:a",
        created_at=START + timedelta(minutes=minutes),
        paragraphs=[(f"text {id}", False)],
        state=state,
        line=id,
    )


def numbers(*comments) -> dict[str, str]:
    built = build_thread(
        ExternalThread("https://x.example/a/", "", "", 1, list(comments))
    )
    return {node.number: node.comment.id for node in built.nodes}


def test_siblings_are_numbered_by_time_not_file_order():
    assert numbers(
        comment(1, minutes=5), comment(2, minutes=1), comment(3, parent=1, minutes=6)
    ) == {"1": "2", "2": "1", "2.1": "3"}


def test_a_deleted_comment_stays_only_as_the_holder_of_kept_replies():
    built = build_thread(
        ExternalThread(
            "u",
            "",
            "",
            1,
            [
                comment(1, state=DELETED),
                comment(2, parent=1, state=SPAM),  # nothing kept below 1
                comment(3, minutes=1, state=DELETED),
                comment(4, parent=3, state=DELETED),
                comment(5, parent=4, state=PENDING),
                comment(6, minutes=2, state=PINGBACK),
            ],
        )
    )
    assert [(n.number, n.comment.id, n.status) for n in built.nodes] == [
        ("1", "3", "deleted"),
        ("1.1", "4", "deleted"),
        ("1.1.1", "5", "pending"),
    ]
    assert built.skipped == {"deleted": 1, "spam": 1, "pingbacks and trackbacks": 1}


def test_a_spam_comment_with_kept_replies_is_a_removed_placeholder():
    built = build_thread(
        ExternalThread("u", "", "", 1, [comment(1, state=SPAM), comment(2, parent=1)])
    )
    assert [n.status for n in built.nodes] == ["removed", "published"]


def test_orphans_and_cycles_become_top_level_and_are_reported():
    built = build_thread(
        ExternalThread(
            "u",
            "",
            "",
            1,
            [
                comment(1),
                comment(2, parent=99, minutes=1),
                comment(3, parent=4, minutes=2),
                comment(4, parent=3, minutes=3),
                comment(5, parent=5, minutes=4),  # its own parent
            ],
        )
    )
    assert {n.number: n.comment.id for n in built.nodes} == {
        "1": "1",
        "2": "2",
        "3": "3",
        "3.1": "4",
        "4": "5",
    }
    assert len(built.orphans) == 2
    assert "comment 2 (line 2) replies to 99" in built.orphans[0]
    assert "comment 3 (line 3) is in a cycle" in built.orphans[1]


def test_very_deep_replies_hang_at_the_deepest_level():
    chain = [comment(1)] + [comment(n, parent=n - 1, minutes=n) for n in range(2, 50)]
    built = build_thread(ExternalThread("u", "", "", 1, chain))
    assert max(n.number.count(".") for n in built.nodes) == MAX_DEPTH - 1
    assert len(built.nodes) == 49
    assert len({n.number for n in built.nodes}) == 49


def test_two_comments_with_one_id_are_refused():
    with pytest.raises(ImportFormatError, match="comment id 1 appears twice"):
        build_thread(ExternalThread("u", "", "", 1, [comment(1), comment(1)]))


def test_html_becomes_plain_paragraphs():
    assert html_paragraphs(
        "<p>Привет &amp; <a href='https://x.org/a'>ссылка</a></p>"
        "<blockquote>Цитата</blockquote>Текст\n\nВторой<br>абзац"
        "<script>alert(1)</script>"
    ) == [
        ("Привет & ссылка (https://x.org/a)", False),
        ("Цитата", True),
        ("Текст", False),
        ("Второй\nабзац", False),
    ]


def test_usernames_are_made_acceptable():
    assert username_for("José Müller") == "Jose Muller"
    assert username_for("Громовержец") == "Громовержец"
    assert username_for("  <script>  ") == "script"
    assert username_for("😀") == "Anonymous"
    assert len(username_for("x" * 100)) == 40


def test_urls_compare_without_scheme_www_and_trailing_slash():
    assert normalize_url("https://www.Example.com/a/b/") == normalize_url(
        "http://example.com/a/b#comments"
    )
    assert normalize_url("https://example.com/%d1%8f/") == "example.com/я"
    assert normalize_url("https://example.com/?p=12") != normalize_url(
        "https://example.com/?p=13"
    )
