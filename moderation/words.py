"""Banned and suspect word lists: the matcher, its per-process cache, the writes.

Matching works on *folded* text, one character for one character so that a
hit's span is a span of the original text:

- case folding, compatibility forms and accents (NFKD, marks dropped:
  "ＦＵＣＫ", "fück"); "й" stays "й" so that Russian words keep their letter;
- Cyrillic and Greek letters that look like Latin ones fold to the Latin
  letter, in both directions: "аss" with a Cyrillic "а" is "ass", and the
  entry "хуй" folds to "xyй", which the Latin-lookalike "xyй" also folds to;
- zero-width characters and stray combining marks join a word
  ("fu\u200bck" is "fuck");
- inside a word that has at least one letter, digits and symbols stand for
  letters: 0→o 1→i 3→e 4→a 5→s @→a $→s !→i ("a$$", "sh1t", "@ss"); in a
  word with Cyrillic letters 3→з 4→ч 6→б instead. A trailing "!" is
  punctuation. A word with no letters ("88", "1488") is matched literally;
- runs of a repeated letter: each word becomes a *skeleton* (runs collapsed)
  plus its run lengths. A word matches an entry when the skeletons are equal
  and every run in the word is at least as long as the entry's: "fuuuck"
  matches "fuck", "asssss" matches "ass", but "as" does not match "ass";
- separators: a word written with ".", "-", "_", "*" or an apostrophe between
  its pieces is also tried joined ("f.u.c.k", "fu-ck", "f_u_c_k"), and three
  or more single letters in a row are tried joined ("f u c k").

Word boundaries are kept: only whole words (or whole joined pieces) are
compared, so banning "ass" touches neither "Assad" nor "class".

Decisions:

- "*" is not a letter wildcard: "f*ck" is a reader censoring themselves, which
  is what a word list asks of them, so it does not match "fuck" (it would
  only become "f" and "ck", and "fck" is a different word). "fu*ck", where
  the star is inserted rather than replacing a letter, does match.
- Not handled: a word split by a space into longer pieces ("fu ck"), words
  run together ("fuckfuckfuck"), a banned word inside a longer one
  ("motherfucker" — add "motherfuck*"), "1" or "|" read as "l", a word
  spelled entirely with symbols ("@$$"), and Cyrillic digit swaps in a word
  whose other letters all look Latin ("3ара3а": after folding nothing in it
  is Cyrillic, so its 3 reads as "e").
- Digits joined by separators stay numbers: "8.8" is not "88".

An entry ending in "*" matches any word starting with it ("fuck*" matches
"fucking"); an entry of several words matches those words in a row ("son of a
bitch", also "son-of-a-bitch" and "sonofabitch").

Speed: each word of the text costs one dict lookup of its skeleton, a short
walk down a trie of the prefix entries, and one dict lookup for phrases —
never a loop over the entries, so 10,000 entries cost what 10 do.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext

if TYPE_CHECKING:
    from moderation.models import WordEntry

logger = logging.getLogger(__name__)

MAX_LENGTH = 100
MIN_PREFIX = 2

Kind = Literal["banned", "suspect"]

JOIN = "\x00"

# After case folding. Cyrillic, Greek and a few Latin oddities that look like a
# Latin letter are read as that letter.
_LOOKALIKES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "һ": "h",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ү": "y",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    # Latin
    "ı": "i",
    "ſ": "s",
}

_SUBSTITUTES = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s", "!": "i"}
)
_SUBSTITUTES_CYRILLIC = str.maketrans(
    {"0": "o", "1": "i", "3": "з", "4": "ч", "6": "б", "@": "a", "$": "s", "!": "i"}
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def _fold_char(char: str) -> str:
    """Return the one character `char` is read as (JOIN for invisible ones)."""
    folded = char.casefold()
    if folded == "й":
        return folded
    category = unicodedata.category(char)
    if category.startswith("M") or category == "Cf":
        return JOIN
    decomposed = unicodedata.normalize("NFKD", folded)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if len(base) != 1:
        # Ligatures and "ß" keep their first letter; anything else is itself.
        return base[0] if base and base[0].isalnum() else char
    return _LOOKALIKES.get(base, base)


class _FoldTable(dict):
    """A str.translate table computed one character at a time, on first use."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Return `text` folded for matching; always the same length as `text`."""
    if text.isascii():
        return text.lower()
    return text.translate(_TABLE)


# A run of word characters, possibly split by in-word separators.
_CHUNK = re.compile(r"[\w@$!\x00]+(?:[.\-*'’]+[\w@$!\x00]+)*")
_PART = re.compile(r"[^_.\-*'’]+")
_RUN = re.compile(r"(.)\1+")
# A repeated letter anywhere in folded text: words without one are their own
# skeleton, which saves a regex call on most words.
_LETTER_RUN = re.compile(r"([^\W\d_])\1+")
_RUNS = re.compile(r"(.)\1*")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_WORD = re.compile(r"[\W_]+")


def _skeleton(word: str) -> str:
    return _RUN.sub(r"\1", word)


def _runs(word: str) -> tuple[int, ...]:
    return tuple(len(m.group()) for m in _RUNS.finditer(word))


def _finish(part: str) -> str:
    """Return the matchable word for a folded piece of a chunk, or ""."""
    part = part.replace(JOIN, "")
    if not _LETTER.search(part):
        # A number is matched as written; a piece of bare symbols not at all.
        return "".join(c for c in part if c.isdigit())
    table = _SUBSTITUTES_CYRILLIC if _CYRILLIC.search(part) else _SUBSTITUTES
    return _NOT_WORD.sub("", part.translate(table))


def _parts(chunk: str, offset: int) -> list[tuple[int, int, str]]:
    """Split a folded chunk into (start, end, word) at its separators."""
    parts = []
    for m in _PART.finditer(chunk):
        start, end = m.span()
        # "!" ends a sentence, "@" a mention ("fuck!", "bob@"); "!" can only
        # stand for a letter in front of one.
        while end > start and chunk[end - 1] in "!@" + JOIN:
            end -= 1
        while start < end and chunk[start] in "!" + JOIN:
            start += 1
        word = _finish(chunk[start:end])
        if word:
            parts.append((offset + start, offset + end, word))
    return parts


@dataclass(frozen=True)
class Hit:
    entry: str
    kind: Kind
    #: The exact text it matched, text[start:end].
    match: str
    start: int
    end: int


@dataclass(frozen=True)
class _Pattern:
    entry: str
    kind: Kind
    #: One (skeleton, runs) per word of the entry.
    words: tuple[tuple[str, tuple[int, ...]], ...]
    #: The last word is a prefix ("fuck*").
    prefix: bool

    @property
    def rank(self) -> tuple[bool, int]:
        return (self.kind == "banned", sum(sum(r) for _, r in self.words))


def normalise_entry(text: str) -> str:
    """Return an entry as stored: stripped, case-folded, single-spaced.

    Raises ValueError, with a message for the moderator, when the entry is
    empty, too long or cannot match anything.
    """
    return _parse_entry(text)[0]


def _parse_entry(text: str) -> tuple[str, list[str]]:
    """Return the normal form of an entry and its folded words."""
    normal = " ".join(text.split()).casefold()
    if not normal:
        raise ValueError(gettext("An entry cannot be empty."))
    if len(normal) > MAX_LENGTH:
        raise ValueError(
            gettext(
                "“%(start)s…” is %(length)d characters long; "
                "an entry can have at most %(max)d."
            )
            % {"start": normal[:30], "length": len(normal), "max": MAX_LENGTH}
        )
    if "*" in normal.rstrip("*") or normal.endswith("**"):
        raise ValueError(
            gettext(
                "“%(entry)s”: a * may only end an entry (“fuck*” matches “fucking”)."
            )
            % {"entry": normal}
        )
    words = _entry_words(normal)
    if not words:
        raise ValueError(
            gettext("“%(entry)s” has no letters or digits to match.")
            % {"entry": normal}
        )
    if normal.endswith("*") and len(words[-1]) < MIN_PREFIX:
        raise ValueError(
            gettext(
                "“%(entry)s” would match too many words; give at least "
                "%(min)d letters before the *."
            )
            % {"entry": normal, "min": MIN_PREFIX}
        )
    return normal, words


def _entry_words(normal: str) -> list[str]:
    """The folded words of an entry; separators inside a word are dropped."""
    words = []
    for piece in normal.rstrip("*").split():
        folded = fold(piece)
        if folded.isalpha():
            words.append(folded)
            continue
        word = "".join(
            w for m in _CHUNK.finditer(folded) for _, _, w in _parts(m.group(), 0)
        )
        if word:
            words.append(word)
    return words


def _compile(entry: str, kind: Kind) -> _Pattern | None:
    try:
        normal, words = _parse_entry(entry)
    except ValueError as e:
        logger.warning("Word entry %r ignored: %s", entry, e)
        return None
    return _Pattern(
        entry=normal,
        kind=kind,
        words=tuple((_skeleton(w), _runs(w)) for w in words),
        prefix=normal.endswith("*"),
    )


_END = ""  # trie key of the patterns that end at a node; never a character


class WordMatcher:
    """Find the entries of a word list in texts.

    Building costs a few microseconds an entry; `find` costs a few dict
    lookups a word of the text, whatever the number of entries.
    """

    #: Longest run of single letters tried as one word ("f u c k").
    MAX_SPELLED = 40

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._exact: dict[str, list[_Pattern]] = {}
        self._trie: dict = {}
        self._phrases: dict[str, list[_Pattern]] = {}
        # First three letters of the prefix entries (two for two-letter
        # ones): a word that starts otherwise need not walk the trie.
        self._heads: set[str] = set()
        self._short: set[str] = set()
        self.size = 0
        for text, kind in entries:
            pattern = _compile(text, kind)  # type: ignore[arg-type]
            if pattern is None:
                continue
            self.size += 1
            if len(pattern.words) > 1:
                self._phrases.setdefault(pattern.words[0][0], []).append(pattern)
                # "sonofabitch" is the phrase too.
                joined = "".join(
                    _expand(skeleton, runs) for skeleton, runs in pattern.words
                )
                whole = _Pattern(
                    entry=pattern.entry,
                    kind=pattern.kind,
                    words=((_skeleton(joined), _runs(joined)),),
                    prefix=pattern.prefix,
                )
                self._add_word(whole)
            else:
                self._add_word(pattern)

    def _add_word(self, pattern: _Pattern) -> None:
        skeleton = pattern.words[0][0]
        if not pattern.prefix:
            self._exact.setdefault(skeleton, []).append(pattern)
            return
        (self._heads if len(skeleton) > 2 else self._short).add(skeleton[:3])
        node = self._trie
        for char in skeleton:
            node = node.setdefault(char, {})
        node.setdefault(_END, []).append(pattern)

    def __len__(self) -> int:
        return self.size

    def find(self, text: str) -> list[Hit]:
        """Return the hits in `text`, in text order, with no overlapping spans.

        Where two entries match overlapping text, a banned one wins over a
        suspect one, then the longer match.
        """
        folded = fold(text)
        # Positions of repeated letters: a plain word without one is its own
        # skeleton, which saves a regex call on most words.
        runs_at = [m.start() for m in _LETTER_RUN.finditer(folded)]
        words: list[tuple[int, int, str]] = []
        skeletons: list[str] = []
        joined: list[tuple[int, int, str]] = []
        for m in _CHUNK.finditer(folded):
            chunk = m.group()
            if chunk.isalpha():
                start, end = m.span()
                words.append((start, end, chunk))
                at = bisect_left(runs_at, start)
                if at == len(runs_at) or runs_at[at] >= end:
                    skeletons.append(chunk)
                else:
                    skeletons.append(_skeleton(chunk))
                continue
            parts = _parts(chunk, m.start())
            words.extend(parts)
            skeletons.extend(_skeleton(p[2]) for p in parts)
            if 1 < len(parts) <= 8:
                for i in range(len(parts)):
                    for j in range(i + 1, len(parts)):
                        word = "".join(p[2] for p in parts[i : j + 1])
                        joined.append((parts[i][0], parts[j][1], word))
            elif len(parts) > 8:
                word = "".join(p[2] for p in parts)
                joined.append((parts[0][0], parts[-1][1], word))

        found: list[tuple[int, int, _Pattern]] = []
        exact, heads, short = self._exact, self._heads, self._short
        phrases = self._phrases
        for index, skeleton in enumerate(skeletons):
            if skeleton in exact or skeleton[:3] in heads or skeleton[:2] in short:
                start, end, word = words[index]
                pattern = self._lookup(word, skeleton)
                if pattern is not None:
                    found.append((start, end, pattern))
            if skeleton in phrases:
                for pattern in phrases[skeleton]:
                    last = self._phrase_at(pattern, words, skeletons, index)
                    if last is not None:
                        found.append((words[index][0], words[last][1], pattern))
        for start, end, word in joined:
            if word.isdigit():
                continue  # "8.8" and "1-800" are numbers, not "88" or "1800"
            pattern = self._lookup(word, _skeleton(word))
            if pattern is not None:
                found.append((start, end, pattern))
        self._find_spelled(words, found)
        return _select(text, found)

    def _lookup(self, word: str, skeleton: str) -> _Pattern | None:
        """The best single-word pattern matching a folded word, if any."""
        best = None
        runs = None
        patterns = self._exact.get(skeleton)
        if patterns:
            runs = _runs(word)
            for pattern in patterns:
                if _covers(runs, pattern.words[0][1]) and (
                    best is None or pattern.rank > best.rank
                ):
                    best = pattern
        node = self._trie
        if node:
            for char in skeleton:
                node = node.get(char)
                if node is None:
                    break
                patterns = node.get(_END)
                if patterns:
                    if runs is None:
                        runs = _runs(word)
                    for pattern in patterns:
                        if _covers(runs, pattern.words[0][1]) and (
                            best is None or pattern.rank > best.rank
                        ):
                            best = pattern
        return best

    def _phrase_at(self, pattern, words, skeletons, index) -> int | None:
        """Index of the last word if `pattern` matches the words from `index`."""
        count = len(pattern.words)
        if index + count > len(words):
            return None
        for offset, (skeleton, runs) in enumerate(pattern.words):
            here = skeletons[index + offset]
            last = offset == count - 1
            if last and pattern.prefix:
                if not here.startswith(skeleton):
                    return None
            elif here != skeleton:
                return None
            if not _covers(_runs(words[index + offset][2]), runs):
                return None
        return index + count - 1

    def _find_spelled(self, words, found) -> None:
        """Try three or more single letters in a row as one word ("f u c k")."""
        index = 0
        while index < len(words):
            if len(words[index][2]) != 1 or not words[index][2].isalpha():
                index += 1
                continue
            end = index
            while end < len(words) and len(words[end][2]) == 1:
                end += 1
            if end - index >= 3:
                self._find_in_letters(words[index:end], found)
            index = end

    def _find_in_letters(self, letters, found) -> None:
        # Every candidate goes to _select, which prefers banned, then longer
        # matches: "f u c k f u c k" is two hits on "fuck", not one on "fuck*".
        for start in range(len(letters) - 2):
            word = letters[start][2] + letters[start + 1][2]
            stop = min(len(letters), start + self.MAX_SPELLED)
            for end in range(start + 2, stop):
                word += letters[end][2]
                pattern = self._lookup(word, _skeleton(word))
                if pattern is not None:
                    found.append((letters[start][0], letters[end][1], pattern))


def _expand(skeleton: str, runs: tuple[int, ...]) -> str:
    return "".join(char * run for char, run in zip(skeleton, runs, strict=True))


def _covers(runs: tuple[int, ...], needed: tuple[int, ...]) -> bool:
    """Every run of the word is at least as long as the entry's (prefix-wise)."""
    return all(have >= need for have, need in zip(runs, needed, strict=False))


def _select(text: str, found: list[tuple[int, int, _Pattern]]) -> list[Hit]:
    if not found:
        return []
    found.sort(key=lambda f: (f[2].kind != "banned", f[0] - f[1], f[0]))
    chosen: list[tuple[int, int, _Pattern]] = []
    for start, end, pattern in found:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, pattern))
    chosen.sort(key=lambda f: f[0])
    return [
        Hit(entry=p.entry, kind=p.kind, match=text[s:e], start=s, end=e)
        for s, e, p in chosen
    ]


# --- The word lists in the database -------------------------------------------

VERSION_KEY = "words:version"
#: Edits that bypass add_words/remove_words and the model signals (raw SQL,
#: a shell without this module imported) are seen at the latest this late
#: when the version lives in a shared cache.
VERSION_TIMEOUT = 300

_built: tuple[object, WordMatcher] | None = None


def _shared_cache():
    """The default cache if every process sees the same one, else None."""
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    if isinstance(cache, LocMemCache | DummyCache):
        return None
    return cache


def _version() -> object:
    """A value that changes whenever the word lists change.

    With a shared cache (Redis): a random token under "words:version",
    replaced after every committed write — no database query. A process
    reads the token *before* loading the entries, and writers replace it
    *after* committing, so a matcher built under a token has every write
    whose token change came before it; any later write changes the token.

    With a per-process cache (local memory: one per worker, so a bump in
    one worker is invisible to the others) the database answers instead,
    with one aggregate query: the count, the highest id, the latest
    creation time and the number of banned entries. Ids only grow
    (AUTOINCREMENT on SQLite, sequences on PostgreSQL), so an addition
    raises the highest id and a removal lowers the count; a change of kind
    re-creates the row (see add_words). The creation time tells apart lists
    that reuse ids after a rolled-back transaction (tests do that).
    """
    cache = _shared_cache()
    if cache is not None:
        token = cache.get(VERSION_KEY)
        if token is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, VERSION_TIMEOUT)
            token = cache.get(VERSION_KEY)
        if token is not None:
            return ("cache", token)
    from django.db import connection

    from moderation.models import WordEntry

    # Plain SQL: asked on every post, and the ORM took longer to build the
    # aggregate than the database to answer it.
    table = connection.ops.quote_name(WordEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(id), MAX(id), MAX(created_at), "  # noqa: S608 - quoted name
            f"SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END) FROM {table}",
            [WordEntry.Kind.BANNED],
        )
        return ("db", *cursor.fetchone())


def current_matcher() -> WordMatcher:
    """Return the matcher for the word lists in the database.

    Costs no query with a shared cache and one without, when nothing has
    changed; a change costs one more query and a rebuild (~0.1 s for 10,000
    entries) in each process.
    """
    global _built
    from moderation.models import WordEntry

    version = _version()
    built = _built
    if built is not None and built[0] == version:
        return built[1]
    matcher = WordMatcher(WordEntry.objects.values_list("text", "kind"))
    _built = (version, matcher)
    return matcher


def check_text(text: str) -> list[Hit]:
    """Return the word-list hits in `text` (see WordMatcher.find)."""
    return current_matcher().find(text)


def bump_version() -> None:
    """Make every process rebuild its matcher; call after the change commits."""
    cache = _shared_cache()
    if cache is not None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, VERSION_TIMEOUT)


def _bump_on_commit(**kwargs) -> None:
    """Bump now, so this process sees its own change even inside a long
    transaction, and again after commit, in case another process rebuilt
    from the old rows in between."""
    from django.db import transaction

    bump_version()
    transaction.on_commit(bump_version)


# Edits made elsewhere (the admin) change the version too. The sender is
# named lazily so that the matcher can be imported without Django set up.
post_save.connect(
    _bump_on_commit, sender="moderation.WordEntry", dispatch_uid="words-save"
)
post_delete.connect(
    _bump_on_commit, sender="moderation.WordEntry", dispatch_uid="words-delete"
)


def _normalise_all(words: Iterable[str]) -> list[str]:
    """Normalise entries, dropping repeats; ValueError names every bad one."""
    normal: list[str] = []
    errors = []
    for word in words:
        try:
            entry = normalise_entry(word)
        except ValueError as e:
            errors.append(str(e))
            continue
        if entry not in normal:
            normal.append(entry)
    if errors:
        raise ValueError(" ".join(errors))
    if not normal:
        raise ValueError(gettext("Give at least one word or phrase."))
    return normal


def add_words(words: list[str], kind: str, actor) -> list[WordEntry]:
    """Add entries of `kind`, or move existing ones to it; return their rows.

    One transaction and one audit entry (none if nothing changed). An entry
    that changes kind is deleted and created again, so that its id moves
    past the version fingerprint that other processes compare.
    """
    from django.db import transaction

    from moderation.models import AuditEntry, WordEntry

    if kind not in WordEntry.Kind.values:
        raise ValueError(f"Unknown kind {kind!r}: use banned or suspect.")
    texts = _normalise_all(words)
    with transaction.atomic():
        existing = {
            entry.text: entry
            for entry in WordEntry.objects.select_for_update().filter(text__in=texts)
        }
        before = {text: e.kind for text, e in existing.items() if e.kind != kind}
        changed = [t for t in texts if t not in existing or t in before]
        if before:
            WordEntry.objects.filter(text__in=list(before)).delete()
        created = WordEntry.objects.bulk_create(
            [WordEntry(text=t, kind=kind, created_by=actor) for t in changed]
        )
        if changed:
            AuditEntry.objects.create(
                action=AuditEntry.Action.WORDS,
                actor=actor,
                before={"entries": before},
                after={"entries": dict.fromkeys(changed, kind)},
            )
            _bump_on_commit()
    rows = {e.text: e for e in created} | {
        t: e for t, e in existing.items() if t not in before
    }
    return [rows[t] for t in texts]


def remove_words(words: Iterable[str], actor) -> int:
    """Remove entries; return how many existed.

    One transaction and one audit entry (none if nothing was removed).
    Unknown or malformed words are not an error: there is nothing to remove.
    """
    from django.db import transaction

    from moderation.models import AuditEntry, WordEntry

    texts = {" ".join(w.split()).casefold() for w in words}
    with transaction.atomic():
        doomed = dict(
            WordEntry.objects.select_for_update()
            .filter(text__in=texts)
            .values_list("text", "kind")
        )
        if not doomed:
            return 0
        WordEntry.objects.filter(text__in=list(doomed)).delete()
        AuditEntry.objects.create(
            action=AuditEntry.Action.WORDS,
            actor=actor,
            before={"entries": doomed},
            after={"entries": {}},
        )
        _bump_on_commit()
    return len(doomed)
