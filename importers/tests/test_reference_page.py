"""The saved-page parser, against the reference page and synthetic pages.

No database: the parser is pure Python.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from importers.reference_page import (
    PageFormatError,
    ParsedPage,
    page_to_json,
    parse_page,
    split_emoticons,
)
from importers.tests import REFERENCE_PAGE

MOSCOW = ZoneInfo("Europe/Moscow")

SIGN_IN = "Dear reader, to leave comments on the publication, you must sign in."

# A minimal article; its comments start on line 11.
HEAD = [
    "Military Review",  # 1
    "",
    "A title.",  # 3
    "",
    "First paragraph of the article. It has two sentences.",  # 5
    "",
    "Second paragraph.",  # 7
    "",
    "Author: Ivan Petrov",  # 9
    SIGN_IN,  # 10
]


def synthetic(*comment_lines: str) -> str:
    """Return a page made of HEAD followed by ``comment_lines`` (line 11 on)."""
    return "\n".join([*HEAD, *comment_lines]) + "\n"


def parse(text: str) -> ParsedPage:
    return parse_page(text, timezone=MOSCOW)


def format_error(text: str) -> PageFormatError:
    with pytest.raises(PageFormatError) as caught:
        parse(text)
    return caught.value


@pytest.fixture(scope="module")
def page() -> ParsedPage:
    return parse(REFERENCE_PAGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def comments(page):
    return {comment.number: comment for comment in page.comments}


# --- the reference page: article ------------------------------------------


def test_it_reads_the_site_title_and_byline(page):
    assert page.site == "Military Review"
    assert page.title == "Proposal for joint operations is not discussed."
    assert page.authors == ["Oleg Chuvakin"]
    assert page.byline_role == "Observed and commented on"
    assert page.attribution == "especially for"


def test_it_reads_every_body_paragraph_and_nothing_else(page):
    # Lines 5, 7, ..., 73 of the file: 35 paragraphs.
    assert len(page.body) == 35
    assert page.body[0].startswith("20 May reported that Russia and the United")
    assert page.body[-1].startswith("Clearly, we add to this")
    assert page.body[-1].endswith("where it does not help the “regime”.")
    assert not any(p.startswith(("Observed", "- ", "Dear reader")) for p in page.body)


# --- the reference page: comments -----------------------------------------


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2016, 5, day, hour, minute, tzinfo=MOSCOW)


REFERENCE_COMMENTS = [
    # number, parent, author, created_at, heading line
    ("1", None, "Thunderbolt", at(25, 6, 35), 78),
    ("2", None, "Holsten", at(25, 6, 35), 82),
    ("3", None, "amirbek", at(25, 6, 41), 86),
    ("4", None, "avg-mgn", at(25, 6, 49), 91),
    ("5", None, "olimpiada15", at(25, 6, 55), 95),
    ("6", None, "Volga Cossack", at(25, 7, 43), 101),
    ("7", None, "Tim", at(25, 7, 46), 104),
    ("7.1", "7", "Aleksandr72", at(25, 9, 37), 107),
    ("8", None, "Volzhanin", at(25, 9, 24), 119),
    ("9", None, "kolexxx", at(25, 11, 56), 123),
    ("10", None, "Garris199", at(25, 12, 4), 130),
    ("11", None, "Rostislav", at(25, 12, 27), 133),
    ("12", None, "zulusuluz", at(25, 17, 56), 139),
    ("13", None, "iouris", at(25, 19, 22), 143),
    ("14", None, "serge siberian", at(27, 18, 57), 146),
]


def test_it_reads_every_comment_in_thread_order(page):
    assert [
        (c.number, c.parent, c.author, c.created_at, c.line) for c in page.comments
    ] == REFERENCE_COMMENTS


def test_it_gives_moscow_wall_clock_times_with_their_offset(comments):
    created_at = comments["7.1"].created_at
    assert created_at.isoformat() == "2016-05-25T09:37:00+03:00"
    assert created_at.utcoffset().total_seconds() == 3 * 3600
    assert comments["14"].created_at.isoformat() == "2016-05-27T18:57:00+03:00"


def test_it_reads_paragraphs_across_blank_lines(comments):
    assert comments["3"].paragraphs == [
        '"They were asked - they refused ... This is their point of view"',
        "then they say - they were politely sent fuck",
    ]
    paragraphs = comments["7.1"].paragraphs
    assert len(paragraphs) == 8
    assert paragraphs[0] == "In a word, partners"
    assert paragraphs[1].startswith("And those to which it is better not")
    assert paragraphs[3] == "- Nothing new."
    assert paragraphs[4].startswith("1) The US needs to overthrow Assad")
    assert paragraphs[-1] == "I have the honor."
    assert [len(comments[n].paragraphs) for n in ("1", "5", "9", "11", "14")] == [
        2,
        4,
        5,
        4,
        1,
    ]


def test_it_takes_the_smiley_word_off_the_start_of_a_comment(comments):
    assert comments["7"].emoticons == ["laughing"]
    assert comments["7"].paragraphs == ["In a word, partners"]
    others = [c.number for c in comments.values() if c.emoticons and c.number != "7"]
    assert others == []


def test_it_keeps_a_smiley_word_that_begins_a_lowercase_sentence(comments):
    # "stop" is a smiley of the site, but here it is the comment's first word.
    assert comments["14"].emoticons == []
    assert comments["14"].paragraphs[0].startswith("stop people. who needs these")


def test_it_finds_exactly_the_quotes_on_the_reference_page(page):
    found = [
        (c.number, q.position, q.source, q.paragraph, q.text, q.passage)
        for c in page.comments
        for q in c.quotes
    ]
    body = page.body
    assert found == [
        (
            "2",
            0,
            "article",
            9,
            '"The Americans have once again made it clear that the US and Russia'
            ' have different, if not opposite, goals in Syria."',
            "The Americans once again made it clear that in Syria, the United"
            " States and Russia have different, if not opposite, goals.",
        ),
        (
            "3",
            0,
            "article",
            22,
            '"They were asked - they refused ... This is their point of view"',
            "They were asked - they refused ... This is their point of view",
        ),
        (
            "4",
            0,
            "article",
            23,
            "US actions against international terrorists in Syria indicate"
            " Washington’s “fairly ordinary” double standards.",
            body[22],
        ),
        ("7.1", 0, "parent", None, "In a word, partners", "In a word, partners"),
        (
            "7.1",
            2,
            "article",
            5,
            "The US, as before, does not intend to cooperate and coordinate its"
            " operations in Syria with Russia, Pentagon spokesman Matthew Allen"
            " told RIA Novosti.",
            body[4],
        ),
        (
            "12",
            0,
            "article",
            35,
            "For the White House, both Assad and the IS militants who want to"
            " carry out terrorist attacks in the West are “bad”. And therefore,"
            " the Americans will fight with “IG” selectively, conducting"
            " operations only where this does not help the “regime”.",
            "For the White House, both Assad and IG fighters who want to commit"
            " terrorist acts in the West are bad. And therefore the Americans"
            " will selectively fight with IG, conducting operations only where"
            " it does not help the “regime”.",
        ),
    ]
    # Every passage is taken verbatim from the paragraph it points at.
    for _, _, source, paragraph, _, passage in found:
        if source == "article":
            assert passage in body[paragraph - 1]


def test_it_exports_the_page_as_json(page):
    published_at = datetime(2016, 5, 25, 6, 0, tzinfo=MOSCOW)
    data = page_to_json(page, published_at=published_at)
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"site", "article", "comments"}
    assert data["site"] == "Military Review"
    assert data["article"] == {
        "title": "Proposal for joint operations is not discussed.",
        "authors": ["Oleg Chuvakin"],
        "published_at": "2016-05-25T06:00:00+03:00",
        "body": page.body,
    }
    assert len(data["comments"]) == 15
    for comment in data["comments"]:
        assert set(comment) == {
            "number",
            "parent",
            "author",
            "created_at",
            "body",
            "quotes",
            "emoticons",
        }
    by_number = {c["number"]: c for c in data["comments"]}
    assert by_number["3"]["body"] == (
        '"They were asked - they refused ... This is their point of view"'
        "\n\nthen they say - they were politely sent fuck"
    )
    assert by_number["7"] == {
        "number": "7",
        "parent": None,
        "author": "Tim",
        "created_at": "2016-05-25T07:46:00+03:00",
        "body": "In a word, partners",
        "quotes": [],
        "emoticons": ["laughing"],
    }
    reply = by_number["7.1"]
    assert reply["parent"] == "7"
    assert reply["created_at"] == "2016-05-25T09:37:00+03:00"
    assert reply["body"].startswith("In a word, partners\n\nAnd those to which")
    assert reply["body"].count("\n\n") == 7
    assert reply["quotes"] == [
        {
            "source": "parent",
            "text": "In a word, partners",
            "passage": "In a word, partners",
        },
        {
            "source": "article",
            "text": page.comments[7].paragraphs[2],
            "passage": page.body[4],
        },
    ]


def test_it_exports_a_missing_publication_date_as_null(page):
    assert page_to_json(page, published_at=None)["article"]["published_at"] is None


# --- a synthetic page: deep replies, Russian ------------------------------

RUSSIAN_PAGE = """\
Военное обозрение

Предложение о совместных операциях не обсуждается.

Первый абзац статьи.

Второй абзац статьи.

Автор: Иван Петров и Олег Чувакин
Уважаемый читатель, чтобы оставлять комментарии к публикации, необходимо авторизоваться.
  1. Иван
    Иван 3 января 2017 10:05
    Первый комментарий.
    1. Пётр Первый
      Пётр Первый 3 января 2017 11: 15
      Ответ.
      1. avg-mgn
        avg-mgn 4 янв 2017 00:01
        Ответ на ответ.

        Второй абзац ответа на ответ.
    2. Мария
      Мария 5 декабря 2016 23:59
      Второй ответ.
  2. Иван
    Иван 28 февраля 2017 09:00
    good wink Согласен.
"""


def test_it_reads_replies_to_replies_and_russian_dates():
    page = parse(RUSSIAN_PAGE)
    assert page.site == "Военное обозрение"
    assert page.title == "Предложение о совместных операциях не обсуждается."
    assert page.authors == ["Иван Петров", "Олег Чувакин"]
    assert page.byline_role == "Автор"
    assert page.attribution == ""
    assert page.body == ["Первый абзац статьи.", "Второй абзац статьи."]
    assert [
        (c.number, c.parent, c.author, c.created_at.isoformat(), c.line)
        for c in page.comments
    ] == [
        ("1", None, "Иван", "2017-01-03T10:05:00+03:00", 11),
        ("1.1", "1", "Пётр Первый", "2017-01-03T11:15:00+03:00", 14),
        ("1.1.1", "1.1", "avg-mgn", "2017-01-04T00:01:00+03:00", 17),
        ("1.2", "1", "Мария", "2016-12-05T23:59:00+03:00", 22),
        ("2", None, "Иван", "2017-02-28T09:00:00+03:00", 25),
    ]
    deepest = page.comments[2]
    assert deepest.paragraphs == ["Ответ на ответ.", "Второй абзац ответа на ответ."]
    assert page.comments[4].emoticons == ["good", "wink"]
    assert page.comments[4].paragraphs == ["Согласен."]


def test_it_treats_a_numbered_line_without_anything_under_it_as_text():
    page = parse(
        synthetic(
            "  1. Tim",
            "    Tim 25 May 2016 07: 46",
            "    Three reasons:",
            "    1. they lie",
            "    2. they cheat",
        )
    )
    assert [c.number for c in page.comments] == ["1"]
    assert page.comments[0].paragraphs == [
        "Three reasons:",
        "1. they lie",
        "2. they cheat",
    ]


# --- smileys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraphs", "emoticons", "rest"),
    [
        (["laughing In a word"], ["laughing"], ["In a word"]),
        (["wink good Yes."], ["wink", "good"], ["Yes."]),
        (["sad", "Second."], ["sad"], ["Second."]),
        (["stop people. who needs"], [], ["stop people. who needs"]),
        (["good idea, but Later"], [], ["good idea, but Later"]),
        (["Smile Please"], [], ["Smile Please"]),
        (["Hello laughing There"], [], ["Hello laughing There"]),
        ([], [], []),
    ],
)
def test_it_takes_smileys_only_off_the_start_before_a_capital(
    paragraphs, emoticons, rest
):
    assert split_emoticons(paragraphs) == (emoticons, rest)


# --- malformed pages -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n", "   \n\n"])
def test_it_rejects_an_empty_page(text):
    error = format_error(text)
    assert (error.line, error.message) == (1, "the page is empty")
    assert str(error) == "line 1: the page is empty"


def test_it_rejects_a_page_without_a_title():
    error = format_error("Military Review\n")
    assert str(error) == (
        "line 2: expected the title after the site name, found end of file"
    )
    error = format_error(f"Military Review\n\n{SIGN_IN}\n")
    assert str(error) == (
        f'line 3: expected the title after the site name, found "{SIGN_IN}"'
    )


def test_it_rejects_a_page_without_the_sign_in_prompt():
    text = "\n".join([*HEAD[:-1], "  1. Tim", "    Tim 25 May 2016 07: 46", "    Hi."])
    error = format_error(text)
    assert str(error) == (
        "line 10: expected the sign-in prompt (“… to leave comments …”) before"
        ' the comments, found "1. Tim"'
    )
    error = format_error("\n".join(HEAD[:-1]))
    assert error.line == 9
    assert error.message.endswith("found end of file")


def test_it_rejects_a_heading_without_its_timestamp_line():
    error = format_error(synthetic("  1. Tim", "    laughing In a word, partners"))
    assert str(error) == (
        'line 12: expected "<author> <day> <month> <year> <hh>:<mm>" under'
        ' comment 1, found "laughing In a word, partners"'
    )


def test_it_rejects_a_reply_heading_without_its_timestamp_line():
    error = format_error(
        synthetic(
            "  1. Tim",
            "    Tim 25 May 2016 07: 46",
            "    Hi.",
            "    1. Aleksandr72",
            "      In a word, partners",
        )
    )
    assert str(error) == (
        'line 15: expected "<author> <day> <month> <year> <hh>:<mm>" under'
        ' comment 1.1, found "In a word, partners"'
    )


def test_it_rejects_a_heading_at_the_end_of_the_file():
    error = format_error(synthetic("  1. Tim"))
    assert (error.line, error.message) == (
        12,
        'expected "<author> <day> <month> <year> <hh>:<mm>" under comment 1,'
        " found end of file",
    )


@pytest.mark.parametrize(
    ("timestamp", "message"),
    [
        (
            "Tim 25 Mayo 2016 07: 46",
            'cannot read the timestamp of comment 1: unknown month "Mayo"',
        ),
        (
            "Tim 31 June 2016 07: 46",
            "cannot read the timestamp of comment 1: day is out of range for month",
        ),
        (
            "Tim 25 May 2016 24: 46",
            "cannot read the timestamp of comment 1: hour must be in 0..23",
        ),
    ],
)
def test_it_rejects_an_unreadable_timestamp(timestamp, message):
    error = format_error(synthetic("  1. Tim", f"    {timestamp}", "    Hi."))
    assert (error.line, error.message) == (12, message)


def test_it_rejects_a_timestamp_line_naming_someone_else():
    error = format_error(synthetic("  1. Tim", "    Tom 25 May 2016 07: 46"))
    assert str(error) == (
        'line 12: timestamp line names "Tom" but comment 1 is headed "Tim"'
    )


def comment(number: int, author: str = "Tim", indent: int = 2) -> list[str]:
    pad = " " * indent
    return [
        f"{pad}{number}. {author}",
        f"{pad}  {author} 25 May 2016 07: 46",
        f"{pad}  Text.",
    ]


def test_it_rejects_numbering_that_skips():
    error = format_error(synthetic(*comment(1), *comment(2), *comment(4)))
    assert str(error) == "line 17: comment number 4 follows 2; expected 3"


def test_it_rejects_numbering_that_repeats():
    error = format_error(synthetic(*comment(1), *comment(2), *comment(2)))
    assert str(error) == "line 17: comment number 2 follows 2; expected 3"


def test_it_rejects_numbering_that_does_not_start_at_one():
    error = format_error(synthetic(*comment(2)))
    assert str(error) == "line 11: comment number 2 is the first comment; expected 1"
    error = format_error(synthetic(*comment(1), *comment(2, "Bob", indent=4)))
    assert str(error) == (
        "line 14: comment number 1.2 is the first reply to 1; expected 1.1"
    )


def test_it_rejects_a_reply_numbering_that_skips():
    error = format_error(
        synthetic(
            *comment(1),
            *comment(1, "Bob", indent=4),
            *comment(3, "Eve", indent=4),
        )
    )
    assert str(error) == "line 17: comment number 1.3 follows 1.1; expected 1.2"


def test_it_rejects_a_reply_indented_two_levels_under_its_parent():
    error = format_error(synthetic(*comment(1), *comment(1, "Bob", indent=6)))
    assert (
        str(error) == "line 14: reply indented by 6 under comment 1; expected at most 4"
    )


def test_it_rejects_a_first_comment_indented_as_a_reply():
    error = format_error(synthetic(*comment(1, indent=4)))
    assert str(error) == (
        "line 11: reply indented by 4 under no comment; expected at most 2"
    )


def test_it_rejects_a_heading_indented_by_an_odd_number_of_spaces():
    error = format_error(synthetic(*comment(1), *comment(1, "Bob", indent=3)))
    assert str(error) == (
        "line 14: comment heading indented by 3, which is not a multiple of 2"
    )


def test_it_rejects_unindented_text_among_the_comments():
    error = format_error(synthetic(*comment(1), "Footer text"))
    assert str(error) == (
        'line 14: expected an indented comment line, found "Footer text"'
    )


# --- what the database could not store (found by bench/fuzz.py) -----------


def test_it_rejects_replies_nested_deeper_than_thirty_levels():
    chain = [line for depth in range(30) for line in comment(1, indent=2 + 2 * depth)]
    assert len(parse(synthetic(*chain)).comments) == 30
    error = format_error(synthetic(*chain, *comment(1, "Bob", indent=62)))
    assert str(error) == (
        "line 101: reply nested 31 levels deep; at most 30 levels can be imported"
    )


def test_it_rejects_a_timestamp_outside_the_calendar_in_utc():
    # Moscow is ahead of UTC: midnight on 1 January of year 1 is in year 0 there.
    error = format_error(
        synthetic("  1. Tim", "    Tim 1 January 0001 00: 05", "    Text.")
    )
    assert str(error) == (
        "line 12: cannot read the timestamp of comment 1: "
        "0001-01-01 00:05 is outside the calendar in UTC"
    )


def test_it_rejects_a_nul_character():
    error = format_error(synthetic(*comment(1)).replace("Text.", "Te\x00xt."))
    assert str(error) == (
        "line 13: column 7: a NUL character; is this a binary or damaged file?"
    )


def test_it_rejects_a_title_longer_than_an_article_title_can_be():
    text = synthetic(*comment(1)).replace("A title.", "A title. " + "x" * 300)
    assert str(format_error(text)).startswith(
        "line 3: the title is 309 characters long, more than 300; "
        "is the title line missing"
    )


def test_it_rejects_a_byline_name_longer_than_an_author_name_can_be():
    text = synthetic(*comment(1)).replace("Ivan Petrov", "Ivan " + "P" * 200)
    assert str(format_error(text)).startswith(
        "line 9: the byline names an author of 205 characters, more than 200:"
    )
