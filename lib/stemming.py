"""English and Russian stemming for search on SQLite.

SQLite's FTS5 has no Russian stemmer (its `porter` tokenizer is English only),
so Tribune stems words in Python before they are indexed and before they are
searched for: both sides go through `terms()`. The two algorithms are the
Snowball ones (Porter2 for English, Snowball Russian) written out compactly from
their published descriptions at snowballstem.org. Each word is stemmed by its
script, not by the article's language: comments mix languages freely.
"""

import re
import unicodedata
from functools import lru_cache

# Letters and digits; everything else (apostrophes, hyphens, punctuation)
# separates words, as FTS5's unicode61 tokenizer does.
WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")


def normalize(word: str) -> str:
    """Lower-case, ё as е, and Latin letters without diacritics (café -> cafe)."""
    word = word.casefold().replace("ё", "е")
    if word.isascii() or _CYRILLIC.search(word):
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Return the stem of one word (any case); unknown scripts come back as is."""
    word = normalize(word)
    if _CYRILLIC.search(word):
        return stem_russian(word)
    if word.isascii() and word.isalpha():
        return stem_english(word)
    return word


def words(text: str) -> list[re.Match]:
    """Return the word matches of `text` (NFC-normalized first by the caller)."""
    return list(WORD.finditer(text))


def terms(text: str) -> list[str]:
    """Return the stems of every word in `text`, in order."""
    return [stem(m.group()) for m in WORD.finditer(unicodedata.normalize("NFC", text))]


# --- Russian ---------------------------------------------------------------

_RU_VOWELS = set("аеиоуыэюя")

_RU_GERUND_1 = ("вшись", "вши", "в")  # after а or я
_RU_GERUND_2 = ("ившись", "ывшись", "ивши", "ывши", "ив", "ыв")
_RU_ADJECTIVE = [
    "ими",
    "ыми",
    "его",
    "ого",
    "ему",
    "ому",
    "ее",
    "ие",
    "ые",
    "ое",
    "ей",
    "ий",
    "ый",
    "ой",
    "ем",
    "им",
    "ым",
    "ом",
    "их",
    "ых",
    "ую",
    "юю",
    "ая",
    "яя",
    "ою",
    "ею",
]
_RU_PARTICIPLE_1 = ("ем", "нн", "вш", "ющ", "щ")  # after а or я
_RU_PARTICIPLE_2 = ("ивш", "ывш", "ующ")
_RU_REFLEXIVE = ("ся", "сь")
_RU_VERB_1 = [
    "ла",
    "на",
    "ете",
    "йте",
    "ли",
    "й",
    "л",
    "ем",
    "н",
    "ло",
    "но",
    "ет",
    "ют",
    "ны",
    "ть",
    "ешь",
    "нно",
]
_RU_VERB_2 = [
    "ила",
    "ыла",
    "ена",
    "ейте",
    "уйте",
    "ите",
    "или",
    "ыли",
    "ей",
    "уй",
    "ил",
    "ыл",
    "им",
    "ым",
    "ен",
    "ило",
    "ыло",
    "ено",
    "ят",
    "ует",
    "уют",
    "ит",
    "ыт",
    "ены",
    "ить",
    "ыть",
    "ишь",
    "ую",
    "ю",
]
_RU_NOUN = [
    "а",
    "ев",
    "ов",
    "ие",
    "ье",
    "е",
    "иями",
    "ями",
    "ами",
    "еи",
    "ии",
    "и",
    "ией",
    "ей",
    "ой",
    "ий",
    "й",
    "иям",
    "ям",
    "ием",
    "ем",
    "ам",
    "ом",
    "о",
    "у",
    "ах",
    "иях",
    "ях",
    "ы",
    "ь",
    "ию",
    "ью",
    "ю",
    "ия",
    "ья",
    "я",
]
_RU_SUPERLATIVE = ("ейше", "ейш")
_RU_DERIVATIONAL = ("ость", "ост")


def _ru_regions(word: str) -> tuple[int, int]:
    """Return the start of RV and of R2."""
    rv = len(word)
    for i, c in enumerate(word):
        if c in _RU_VOWELS:
            rv = i + 1
            break

    def after_vc(start: int) -> int:
        for i in range(start + 1, len(word)):
            if word[i] not in _RU_VOWELS and word[i - 1] in _RU_VOWELS:
                return i + 1
        return len(word)

    r1 = after_vc(0)
    return rv, after_vc(r1)


def _ru_strip(rv: str, endings, *, after_a: bool = False) -> str | None:
    """Remove the longest of `endings` from `rv`; None if none applies.

    With `after_a`, the ending counts only after а or я (which stays).
    """
    for ending in sorted(endings, key=len, reverse=True):
        if rv.endswith(ending):
            rest = rv[: -len(ending)]
            if after_a and not rest.endswith(("а", "я")):
                continue
            return rest
    return None


def _ru_longest(rv: str, groups) -> str | None:
    """Remove the longest ending across (endings, after_a) groups."""
    best = None
    for endings, after_a in groups:
        rest = _ru_strip(rv, endings, after_a=after_a)
        if rest is not None and (best is None or len(rest) < len(best)):
            best = rest
    return best


def _ru_adjectival(rv: str) -> str | None:
    rest = _ru_strip(rv, _RU_ADJECTIVE)
    if rest is None:
        return None
    participle = _ru_longest(
        rest, [(_RU_PARTICIPLE_1, True), (_RU_PARTICIPLE_2, False)]
    )
    return participle if participle is not None else rest


def stem_russian(word: str) -> str:
    """Snowball Russian stemmer: ракетами -> ракет, войска -> войск."""
    rv_start, r2_start = _ru_regions(word)
    head, rv = word[:rv_start], word[rv_start:]

    # Step 1
    rest = _ru_longest(rv, [(_RU_GERUND_1, True), (_RU_GERUND_2, False)])
    if rest is not None:
        rv = rest
    else:
        rest = _ru_strip(rv, _RU_REFLEXIVE)
        if rest is not None:
            rv = rest
        for remove in (
            _ru_adjectival,
            lambda s: _ru_longest(s, [(_RU_VERB_1, True), (_RU_VERB_2, False)]),
            lambda s: _ru_strip(s, _RU_NOUN),
        ):
            rest = remove(rv)
            if rest is not None:
                rv = rest
                break
    # Step 2
    if rv.endswith("и"):
        rv = rv[:-1]
    # Step 3: derivational endings wholly inside R2.
    for ending in _RU_DERIVATIONAL:
        if rv.endswith(ending) and len(head) + len(rv) - len(ending) >= r2_start:
            rv = rv[: -len(ending)]
            break
    # Step 4
    if rv.endswith("нн"):
        rv = rv[:-1]
    else:
        rest = _ru_strip(rv, _RU_SUPERLATIVE)
        if rest is not None:
            rv = rest[:-1] if rest.endswith("нн") else rest
        elif rv.endswith("ь"):
            rv = rv[:-1]
    return head + rv


# --- English (Porter2) -------------------------------------------------------

_EN_VOWELS = set("aeiouy")
_EN_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_EN_LI_ENDINGS = set("cdeghkmnrt")
_EN_EXCEPTIONS = {
    "skis": "ski",
    "skies": "sky",
    "dying": "die",
    "lying": "lie",
    "tying": "tie",
    "idly": "idl",
    "gently": "gentl",
    "ugly": "ugli",
    "early": "earli",
    "only": "onli",
    "singly": "singl",
    "sky": "sky",
    "news": "news",
    "howe": "howe",
    "atlas": "atlas",
    "cosmos": "cosmos",
    "bias": "bias",
    "andes": "andes",
}
_EN_AFTER_1A = {
    "inning",
    "outing",
    "canning",
    "herring",
    "earring",
    "proceed",
    "exceed",
    "succeed",
}
_EN_STEP2 = {
    "ization": "ize",
    "ational": "ate",
    "fulness": "ful",
    "ousness": "ous",
    "iveness": "ive",
    "tional": "tion",
    "biliti": "ble",
    "lessli": "less",
    "entli": "ent",
    "ation": "ate",
    "alism": "al",
    "aliti": "al",
    "ousli": "ous",
    "iviti": "ive",
    "fulli": "ful",
    "enci": "ence",
    "anci": "ance",
    "abli": "able",
    "izer": "ize",
    "ator": "ate",
    "alli": "al",
    "bli": "ble",
    "ogi": "og",
    "li": "",
}
_EN_STEP3 = {
    "ational": "ate",
    "tional": "tion",
    "alize": "al",
    "icate": "ic",
    "iciti": "ic",
    "ative": "",
    "ical": "ic",
    "ness": "",
    "ful": "",
}
_EN_STEP4 = [
    "ement",
    "ance",
    "ence",
    "able",
    "ible",
    "ment",
    "ant",
    "ent",
    "ism",
    "ate",
    "iti",
    "ous",
    "ive",
    "ize",
    "ion",
    "al",
    "er",
    "ic",
]


def _en_vowel(word: str, i: int) -> bool:
    return word[i] in _EN_VOWELS


def _en_r1_r2(word: str) -> tuple[int, int]:
    def after_vc(start: int) -> int:
        for i in range(start + 1, len(word)):
            if not _en_vowel(word, i) and _en_vowel(word, i - 1):
                return i + 1
        return len(word)

    for prefix in ("gener", "commun", "arsen"):
        if word.startswith(prefix):
            r1 = len(prefix)
            break
    else:
        r1 = after_vc(0)
    return r1, after_vc(r1)


def _en_short_syllable_end(word: str) -> bool:
    """Whether the word ends with a short syllable."""
    n = len(word)
    if n == 2:
        return _en_vowel(word, 0) and not _en_vowel(word, 1)
    return (
        n >= 3
        and not _en_vowel(word, n - 3)
        and _en_vowel(word, n - 2)
        and not _en_vowel(word, n - 1)
        and word[-1] not in "wxY"
    )


def _en_has_vowel(part: str) -> bool:
    return any(c in _EN_VOWELS for c in part)


def stem_english(word: str) -> str:
    """Porter2 (Snowball English) stemmer: missiles -> missil, running -> run."""
    word = word.lower()
    if len(word) <= 2:
        return word
    if word in _EN_EXCEPTIONS:
        return _EN_EXCEPTIONS[word]
    # y as a consonant is written Y.
    chars = list(word)
    for i, c in enumerate(chars):
        if c == "y" and (i == 0 or chars[i - 1] in _EN_VOWELS):
            chars[i] = "Y"
    word = "".join(chars)
    r1, r2 = _en_r1_r2(word)

    # Step 1a
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith(("ied", "ies")):
        word = word[:-2] if len(word) > 4 else word[:-1]
    elif word.endswith(("us", "ss")):
        pass
    elif word.endswith("s") and _en_has_vowel(word[:-2]):
        word = word[:-1]
    if word in _EN_AFTER_1A:
        return word

    # Step 1b
    for suffix in ("eedly", "ingly", "edly", "eed", "ing", "ed"):
        if not word.endswith(suffix):
            continue
        if suffix in ("eed", "eedly"):
            if len(word) - len(suffix) >= r1:
                word = word[: -len(suffix)] + "ee"
        elif _en_has_vowel(word[: -len(suffix)]):
            word = word[: -len(suffix)]
            if word.endswith(("at", "bl", "iz")):
                word += "e"
            elif word.endswith(_EN_DOUBLES):
                word = word[:-1]
            elif r1 >= len(word) and _en_short_syllable_end(word):
                word += "e"
        break

    # Step 1c
    if len(word) > 2 and word[-1] in "yY" and not _en_vowel(word, len(word) - 2):
        word = word[:-1] + "i"

    # Step 2
    for suffix in sorted(_EN_STEP2, key=len, reverse=True):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                stem_part = word[: -len(suffix)]
                if suffix == "ogi" and not stem_part.endswith("l"):
                    break
                if suffix == "li" and not (
                    stem_part and stem_part[-1] in _EN_LI_ENDINGS
                ):
                    break
                word = stem_part + _EN_STEP2[suffix]
            break

    # Step 3
    for suffix in sorted(_EN_STEP3, key=len, reverse=True):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                if suffix == "ative":
                    if len(word) - len(suffix) >= r2:
                        word = word[: -len(suffix)]
                else:
                    word = word[: -len(suffix)] + _EN_STEP3[suffix]
            break

    # Step 4
    for suffix in sorted(_EN_STEP4, key=len, reverse=True):
        if word.endswith(suffix):
            in_r2 = len(word) - len(suffix) >= r2
            if in_r2 and (suffix != "ion" or word[: -len(suffix)].endswith(("s", "t"))):
                word = word[: -len(suffix)]
            break

    # Step 5
    if word.endswith("e"):
        stem_part = word[:-1]
        if len(stem_part) >= r2 or (
            len(stem_part) >= r1 and not _en_short_syllable_end(stem_part)
        ):
            word = stem_part
    elif word.endswith("ll") and len(word) - 1 >= r2:
        word = word[:-1]

    return word.replace("Y", "y")
