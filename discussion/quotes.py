"""Find which passage of an article (or of a parent comment) a comment quotes.

Readers quote by copying a sentence into their comment, but the pages we
import were machine-translated piece by piece: the article and each comment
went through the translator separately, so a quoted sentence comes out
reworded ("the US and Russia have different goals in Syria" against "in
Syria, the United States and Russia have different goals"). Matching is
therefore fuzzy: both sides are reduced to crude word stems without stopwords
and compared as a bag of stems and as a sequence of stems.

This runs while a reader posts a comment, against an article of some forty
paragraphs, so everything derived from a text is cached and the expensive
sequence comparison is skipped whenever the cheap bag comparison already
rules a window out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

#: Minimum similarity for a comment paragraph to count as a quote. The
#: reference page (discussion/tests/test_quotes.py) puts true quotes at 0.705 and above
#: and everything else at 0.408 and below; 0.56 sits in the middle of the gap.
QUOTE_THRESHOLD = 0.56

#: Below this many content words a text is too short to match fuzzily: the
#: two stems of "In a word, partners" turn up together in unrelated sentences
#: too, so short texts must match exactly (after normalization) or not at all.
MIN_CONTENT_WORDS = 3

#: Weight of the bag-of-stems overlap against the sequence ratio.
#: Translation reorders clauses, which hurts the sequence ratio but not the
#: overlap, so the overlap gets the larger share; the ratio still separates a
#: quote from a sentence that merely talks about the same things.
OVERLAP_WEIGHT = 0.6

#: Windows of up to this many consecutive sentences are tried within a paragraph.
MAX_WINDOW_SENTENCES = 3

#: Words longer than this are cut to this length: a poor man's stemmer that
#: makes "standards"/"standard" and "coordinate"/"coordination" agree, in
#: English and Russian alike, without a dictionary.
STEM_LENGTH = 5

STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as into onto about
    over under than then so such is are was were be been being am do does did
    have has had will would shall should can could may might must it its this
    that these those there here they them their he him his she her we our you
    your i me my not no nor what which who whom whose when where why how all
    any some more most other only just very also even once again too
    и в во не что он на я с со как а то все она так его но да ты к у же вы за
    бы по только ее её мне было вот от меня еще ещё нет о из ему когда даже ну
    ли если уже или ни быть был него до вас там они тут где есть ней для мы их
    чем была без кто этот того этого это эти эту этой этом при об над про под
    """.split()  # noqa: SIM905 - a word list reads best as words
)

# Typographic quotes and apostrophes the translator produces, mapped to ASCII
# so that '«IG»', '“IG”' and '"IG"' normalize alike.
_QUOTE_MARKS = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "`": "'",
    }
)
_QUOTED_SPEECH = re.compile(r'"([^"]+)"')
_SPEECH_TRIM = " ,;:"
_POSSESSIVE = re.compile(r"'s\b")
_WORD = re.compile(r"[^\W_]+")
# Quote marks, dashes and spaces that may wrap a quoted paragraph.
_WRAPPING = " \t\"'“”„«»‘’"

# A sentence ends at . ! ? or … (possibly repeated, and possibly followed by
# one closing quote or bracket) when whitespace and a capital letter, digit or opening
# quote come next. Lowercase after a full stop (comment 14 of the reference
# page writes whole comments in lowercase) therefore does not split, which
# only makes windows longer.
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”»)\]]))\s+(?=[\"'“«(\[]?[A-ZА-ЯЁ0-9])",
)
# A sentence break after one of these is a false one ("Mr. Toner").
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Jr|Sr|vs|etc|No|Nos)|(?<![^\W\d_])[A-ZА-ЯЁ])\.$"
)


@dataclass(frozen=True)
class Match:
    """The passage of a text that best matches a quote."""

    passage: str
    #: 1-based index of the paragraph holding the passage.
    paragraph: int
    score: float


@dataclass(frozen=True)
class Quote:
    """A comment paragraph recognised as a quote."""

    source: Literal["article", "parent"]
    #: The comment paragraph, exactly as the comment gives it.
    text: str
    #: The quoted passage, exactly as the article or parent comment gives it.
    passage: str
    #: 1-based index of the quoted paragraph in its source.
    paragraph: int
    #: 0-based index of the quoting paragraph in the comment.
    position: int
    score: float


@dataclass(frozen=True)
class _Features:
    """What the comparison needs from one text, computed once per text."""

    words: tuple[str, ...]  # every word, casefolded, no stemming
    stems: tuple[str, ...]  # content words only, stemmed, in order
    stem_set: frozenset[str]


def split_sentences(text: str) -> list[str]:
    """Return the sentences of ``text``, stripped, in order.

    Splitting is deliberately crude (punctuation followed by a capital) and
    only serves to build candidate windows; a missed split makes a window
    longer, a spurious one is repaired for the common abbreviations.
    """
    pieces = [p.strip() for p in _SENTENCE_END.split(text.strip())]
    sentences: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def strip_wrapping_quotes(text: str) -> str:
    """Return ``text`` without the quote marks and spaces around it."""
    return text.strip(_WRAPPING)


@lru_cache(maxsize=8192)
def _features(text: str) -> _Features:
    folded = _POSSESSIVE.sub("", text.translate(_QUOTE_MARKS).casefold())
    words = tuple(_WORD.findall(folded))
    stems = tuple(
        word[:STEM_LENGTH]
        for word in words
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    )
    return _Features(words=words, stems=stems, stem_set=frozenset(stems))


def _is_short(features: _Features) -> bool:
    return len(features.stem_set) < MIN_CONTENT_WORDS


def _overlap(a: _Features, b: _Features) -> float:
    # Shared stems over the size of the LARGER set. Dividing by the smaller
    # set would call any short sentence that happens to be contained in a long
    # paragraph a perfect match; since find_passage tries windows of one to
    # three sentences, a genuine quote always has a window of about its own
    # size, so the larger-set denominator costs true quotes little.
    if not a.stem_set or not b.stem_set:
        return 0.0
    shared = len(a.stem_set & b.stem_set)
    return shared / max(len(a.stem_set), len(b.stem_set))


def _similarity(a: _Features, b: _Features, floor: float = 0.0) -> float:
    if _is_short(a) or _is_short(b):
        # Too few words to tell a quote from a coincidence: exact or nothing.
        return 1.0 if a.words and a.words == b.words else 0.0
    overlap = _overlap(a, b)
    # The ratio is at most 1, so if even a perfect ratio cannot lift the
    # score to the floor, skip the (comparatively slow) sequence matching.
    if OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) < floor:
        return OVERLAP_WEIGHT * overlap
    ratio = SequenceMatcher(None, a.stems, b.stems, autojunk=False).ratio()
    return OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * ratio


def similarity(a: str, b: str) -> float:
    """Return how alike two texts are, from 0.0 (unrelated) to 1.0.

    Both texts are casefolded, stripped of punctuation and quote marks,
    reduced to stems of their content words; the score is a weighted mean of
    the overlap of the two sets of stems (robust to reordering) and difflib's
    ratio of the two stem sequences (rewarding the same order). Texts with
    fewer than MIN_CONTENT_WORDS content words score 1.0 if their words are
    identical and 0.0 otherwise.
    """
    return _similarity(_features(a), _features(b))


@lru_cache(maxsize=2048)
def _windows(paragraph: str) -> tuple[str, ...]:
    """Return the candidate passages of a paragraph: runs of 1-3 sentences,
    passages in quote marks, and the whole paragraph."""
    sentences = split_sentences(paragraph)
    windows = {paragraph.strip()}
    # Quoted speech inside a paragraph ("They were asked - they refused ...
    # This is their point of view", the newspaper quotes ...) is what readers
    # copy most often, and the sentence splitter cannot cut it out of the
    # attribution around it. Translating the marks to '"' keeps offsets, so
    # the passage is sliced from the untouched paragraph.
    for found in _QUOTED_SPEECH.finditer(paragraph.translate(_QUOTE_MARKS)):
        speech = paragraph[found.start(1) : found.end(1)].strip(_SPEECH_TRIM)
        if speech:
            windows.add(speech)
    for start in range(len(sentences)):
        for size in range(1, MAX_WINDOW_SENTENCES + 1):
            if start + size <= len(sentences):
                windows.add(" ".join(sentences[start : start + size]))
    # Sorted so that ties are broken the same way on every run: the shorter
    # (tighter) passage first.
    return tuple(sorted(windows, key=lambda w: (len(w), w)))


def best_passage(text: str, paragraphs: list[str]) -> Match | None:
    """Return the window of ``paragraphs`` most similar to ``text``, whatever
    its score, or None if there is nothing to compare with.

    find_passage is this with the threshold applied; the threshold test of
    the reference page needs the scores of the non-quotes too.
    """
    features = _features(strip_wrapping_quotes(text))
    if not features.words:
        return None
    best: Match | None = None
    for index, paragraph in enumerate(paragraphs, start=1):
        for window in _windows(paragraph):
            floor = best.score if best else 0.0
            score = _similarity(features, _features(window), floor)
            if best is None or score > best.score:
                best = Match(passage=window, paragraph=index, score=score)
    return best


def find_passage(text: str, paragraphs: list[str]) -> Match | None:
    """Return the passage of ``paragraphs`` that ``text`` quotes, or None.

    The passage is the best-scoring window of one to three consecutive
    sentences of one paragraph (or the whole paragraph), and it only counts
    if it scores at least QUOTE_THRESHOLD. Wrapping quote marks around
    ``text`` are ignored.
    """
    match = best_passage(text, paragraphs)
    if match is None or match.score < QUOTE_THRESHOLD:
        return None
    return match


def detect_quotes(
    paragraphs: list[str], article: list[str], parent: list[str] | None
) -> list[Quote]:
    """Return the paragraphs of a comment that quote its parent comment or
    the article, in comment order.

    The parent is tried first: a reply quoting its parent usually quotes a
    line the parent itself took from the article, and then the parent is
    what the reader was answering.
    """
    quotes: list[Quote] = []
    sources: list[tuple[Literal["article", "parent"], list[str]]] = []
    if parent:
        sources.append(("parent", parent))
    sources.append(("article", article))
    for position, paragraph in enumerate(paragraphs):
        for source, candidates in sources:
            match = find_passage(paragraph, candidates)
            if match is not None:
                quotes.append(
                    Quote(
                        source=source,
                        text=paragraph,
                        passage=match.passage,
                        paragraph=match.paragraph,
                        position=position,
                        score=match.score,
                    )
                )
                break
    return quotes
