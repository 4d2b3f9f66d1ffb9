"""English and Russian stemming for search: forms of one word share a stem."""

import pytest

from lib.stemming import stem, stem_english, stem_russian, terms


@pytest.mark.parametrize(
    "forms",
    [
        ["ракета", "ракеты", "ракетами", "ракетой", "ракете", "ракет"],
        ["войска", "войск", "войсками", "войскам", "войске"],
        ["американский", "американского", "американские", "американских"],
        ["обсуждать", "обсуждали", "обсуждает", "обсуждаются"],
        ["операция", "операции", "операций", "операциями"],
        ["missile", "missiles"],
        ["run", "running", "runs"],
        ["terrorist", "terrorists"],
        ["operation", "operations", "operational"],
        ["discuss", "discussed", "discussing", "discusses"],
        ["happy", "happiness"],
        ["generous", "generously"],
    ],
)
def test_forms_of_a_word_share_a_stem(forms):
    assert len({stem(word) for word in forms}) == 1, [stem(w) for w in forms]


@pytest.mark.parametrize(
    ("word", "expected"),
    # Outputs of the reference Snowball implementations.
    [
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("ties", "tie"),
        ("cries", "cri"),
        ("hopping", "hop"),
        ("hoping", "hope"),
        ("agreed", "agre"),
        ("generate", "generat"),
        ("relational", "relat"),
        ("conditional", "condit"),
        ("skies", "sky"),
        ("news", "news"),
        ("dying", "die"),
        ("consolingly", "consol"),
        ("knightly", "knight"),
    ],
)
def test_english_matches_porter2(word, expected):
    assert stem_english(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ракетами", "ракет"),
        ("войска", "войск"),
        ("важнейшего", "важн"),
        ("бородатыми", "бородат"),
        ("террористами", "террорист"),
        ("вооружены", "вооруж"),
        ("получили", "получ"),
        ("новости", "новост"),
        ("гадости", "гадост"),
    ],
)
def test_russian_matches_snowball(word, expected):
    assert stem_russian(word) == expected


def test_stem_folds_case_yo_and_latin_diacritics():
    assert stem("Ракеты") == stem("ракеты")
    assert stem("ЁЛКИ") == stem("елки")
    assert stem("Café") == stem("cafe")


def test_stem_leaves_numbers_and_other_scripts_alone():
    assert stem("1945") == "1945"
    assert stem("f16") == "f16"
    assert stem("日本") == "日本"


def test_terms_split_like_fts5_and_stem_each_word():
    assert terms("Ракеты, missiles — и т.д.; don't") == [
        "ракет",
        "missil",
        "и",
        "т",
        "д",
        "don",
        "t",
    ]
