"""Fuzzy quote matching, and the choice of its threshold on the reference page.

No database: the matcher is pure Python.
"""

from zoneinfo import ZoneInfo

import pytest

from discussion.quotes import (
    QUOTE_THRESHOLD,
    Match,
    Quote,
    best_passage,
    detect_quotes,
    find_passage,
    similarity,
    split_sentences,
)
from importers.reference_page import parse_page
from importers.tests import REFERENCE_PAGE

ARTICLE = [
    "Russia and the United States began to coordinate operations in Syria."
    " Moscow proposes joint strikes on armed groups. Later it became known"
    " that Washington does not intend to talk about joint operations.",
    "“They were asked - they refused ... This is their point of view”, the"
    " newspaper quotes Lukyanov.",
    "The Pentagon is planning its own major operation in Raqqa.",
]


# --- split_sentences -------------------------------------------------------


def test_it_splits_sentences_at_a_full_stop_before_a_capital():
    assert split_sentences(ARTICLE[0]) == [
        "Russia and the United States began to coordinate operations in Syria.",
        "Moscow proposes joint strikes on armed groups.",
        "Later it became known that Washington does not intend to talk about"
        " joint operations.",
    ]


def test_it_splits_after_question_marks_ellipses_and_closing_quotes():
    assert split_sentences("Why? Because... “It is so.” And that is all!") == [
        "Why?",
        "Because...",
        "“It is so.”",
        "And that is all!",
    ]


def test_it_does_not_split_before_lowercase_or_after_abbreviations():
    assert split_sentences("stop people. who needs them? nobody.") == [
        "stop people. who needs them? nobody."
    ]
    assert split_sentences("Mr. Toner said so. John F. Kerry agreed.") == [
        "Mr. Toner said so.",
        "John F. Kerry agreed.",
    ]
    assert split_sentences("   ") == []


# --- similarity ------------------------------------------------------------


def test_it_scores_identical_texts_one_and_unrelated_texts_near_zero():
    text = "The Pentagon is planning its own major operation in Raqqa."
    assert similarity(text, text) == 1.0
    assert similarity(text, "Keep gunpowder dry and never turn your back.") == 0.0


def test_it_ignores_case_punctuation_and_the_kind_of_quote_marks():
    assert (
        similarity(
            "They say «good» terrorists exist, said Lukyanov!",
            'they say "good" terrorists exist said lukyanov',
        )
        == 1.0
    )


def test_it_tolerates_reordering_and_rewording_by_the_translator():
    score = similarity(
        "The Americans have once again made it clear that the US and Russia"
        " have different, if not opposite, goals in Syria.",
        "The Americans once again made it clear that in Syria, the United"
        " States and Russia have different, if not opposite, goals.",
    )
    assert score >= QUOTE_THRESHOLD + 0.1


def test_it_scores_a_sentence_on_the_same_topic_well_below_a_quote():
    score = similarity(
        "Joint operations are not possible, because each side has other goals.",
        "Russia and the United States began to coordinate joint operations.",
    )
    assert score <= QUOTE_THRESHOLD - 0.1


def test_it_matches_texts_of_few_words_only_exactly():
    assert similarity("In a word, partners", "in a word - partners!") == 1.0
    # Same two content words, different wording: not the same text.
    assert similarity("In a word, partners", "Partners, in one word") == 0.0
    assert similarity("Partners", "Partners are partners in every word.") == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("", ""),
        ("", "Something to say here."),
        ("...", "!!!"),
        (ARTICLE[0], ARTICLE[1]),
        ("Совместные операции не обсуждаются", "Совместная операция обсуждалась"),
    ],
)
def test_it_scores_between_zero_and_one(a, b):
    assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity(a, b) == pytest.approx(similarity(b, a))


def test_it_stems_russian_words_too():
    assert (
        similarity(
            "Американцы будут выборочно воевать с боевиками",
            "Американцы выборочно воюют с боевиками",
        )
        >= QUOTE_THRESHOLD
    )


# --- find_passage ----------------------------------------------------------


def test_it_finds_the_quoted_sentence_and_its_paragraph():
    match = find_passage(
        "Washington has no intention to discuss joint operations, it became known"
        " later.",
        ARTICLE,
    )
    assert match is not None
    assert match.paragraph == 1
    assert match.passage == (
        "Later it became known that Washington does not intend to talk about"
        " joint operations."
    )
    assert QUOTE_THRESHOLD <= match.score <= 1.0


def test_it_finds_a_passage_of_several_sentences():
    match = find_passage(
        "Moscow proposes joint strikes on armed groups. Later it became known"
        " that Washington does not intend to talk about joint operations.",
        ARTICLE,
    )
    assert match == Match(
        passage="Moscow proposes joint strikes on armed groups. Later it became"
        " known that Washington does not intend to talk about joint operations.",
        paragraph=1,
        score=1.0,
    )


def test_it_finds_quoted_speech_inside_a_paragraph():
    match = find_passage(
        '"They were asked - they refused ... This is their point of view"', ARTICLE
    )
    assert match == Match(
        passage="They were asked - they refused ... This is their point of view",
        paragraph=2,
        score=1.0,
    )


def test_it_does_not_match_a_short_phrase_to_a_longer_sentence():
    assert find_passage("major operation", ARTICLE) is None
    assert find_passage("Raqqa!", ARTICLE) is None
    assert find_passage("In a word, partners", ["In a word, partners"]) == Match(
        passage="In a word, partners", paragraph=1, score=1.0
    )


def test_it_finds_nothing_in_nothing():
    assert find_passage("Anything at all that is long enough.", []) is None
    assert find_passage("", ARTICLE) is None
    assert best_passage("", ARTICLE) is None


def test_it_rejects_an_unrelated_comment():
    text = "Keep gunpowder dry and do not turn your back on the partners."
    assert find_passage(text, ARTICLE) is None
    assert best_passage(text, ARTICLE).score < QUOTE_THRESHOLD


# --- detect_quotes ---------------------------------------------------------


def test_it_tries_the_parent_before_the_article():
    parent = ["Moscow proposes joint strikes on armed groups, I read."]
    quotes = detect_quotes(
        [
            "“Moscow proposes joint strikes on armed groups”",
            "I do not believe a word of it, honestly.",
            "The Pentagon is planning its own major operation in Raqqa.",
        ],
        ARTICLE,
        parent,
    )
    assert [(q.source, q.position, q.paragraph) for q in quotes] == [
        ("parent", 0, 1),
        ("article", 2, 3),
    ]
    # The text is kept with its quote marks, the passage as the source has it.
    assert quotes[0].text == "“Moscow proposes joint strikes on armed groups”"
    assert quotes[0].passage == parent[0]
    assert isinstance(quotes[1], Quote)
    assert quotes[1].passage == ARTICLE[2]


def test_it_detects_article_quotes_in_a_top_level_comment():
    quotes = detect_quotes(
        ["Moscow proposes joint strikes on armed groups."], ARTICLE, None
    )
    assert [(q.source, q.position, q.paragraph) for q in quotes] == [("article", 0, 1)]
    assert detect_quotes([], ARTICLE, None) == []


# --- the threshold, justified on the reference page -----------------------

# (comment number, 0-based paragraph, source) of every genuine quote on the
# reference page, as read by a person.
TRUE_QUOTES = {
    ("2", 0, "article"),
    ("3", 0, "article"),
    ("4", 0, "article"),
    ("7.1", 0, "parent"),
    ("7.1", 2, "article"),
    ("12", 0, "article"),
}
MARGIN = 0.1


def test_it_separates_quotes_from_the_rest_with_a_margin_on_the_reference_page():
    page = parse_page(
        REFERENCE_PAGE.read_text(encoding="utf-8"), timezone=ZoneInfo("Europe/Moscow")
    )
    by_number = {comment.number: comment for comment in page.comments}
    true_scores: dict[tuple[str, int, str], float] = {}
    other_scores: dict[tuple[str, int, str], float] = {}
    for comment in page.comments:
        sources = {"article": page.body}
        if comment.parent:
            sources["parent"] = by_number[comment.parent].paragraphs
        for position, paragraph in enumerate(comment.paragraphs):
            for source, candidates in sources.items():
                match = best_passage(paragraph, candidates)
                key = (comment.number, position, source)
                scores = true_scores if key in TRUE_QUOTES else other_scores
                scores[key] = match.score if match else 0.0

    assert set(true_scores) == TRUE_QUOTES
    # 38 comment paragraphs against the article, 8 of 7.1 against 7.
    assert len(other_scores) == 38 + 8 - len(TRUE_QUOTES)
    weakest_quote = min(true_scores.values())
    strongest_other = max(other_scores.values())
    # Observed: weakest quote 0.705 (comment 4), strongest non-quote 0.408
    # (comment 6, which paraphrases the article without quoting it).
    assert weakest_quote >= QUOTE_THRESHOLD + MARGIN, true_scores
    assert strongest_other <= QUOTE_THRESHOLD - MARGIN, other_scores
    assert weakest_quote == pytest.approx(0.705, abs=0.01)
    assert strongest_other == pytest.approx(0.408, abs=0.01)
