"""Word-list matching with 10,000 entries: WordMatcher against one big regex.

    uv run python -m bench.words

Builds a deterministic list (pseudo-words from a fixed seed, Latin and
Cyrillic, some prefixes and phrases, plus real swear words), then times
`WordMatcher.find` on every comment of the reference page and on 2,000
generated comments of 50-800 characters. The baseline is the naive approach:
one compiled alternation of every entry between \\b boundaries, IGNORECASE.
Each measurement runs REPEATS times; medians and maxima are printed and
written to bench/results/words.json. No database is needed.
"""

from __future__ import annotations

import json
import platform
import random
import re
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

from importers.reference_page import parse_page
from moderation.words import WordMatcher

SEED = 20160525
ENTRIES = 10_000
COMMENTS = 2_000
REPEATS = 7
#: The naive regex takes milliseconds a comment; it runs on this many of the
#: generated comments (the same ones for both matchers in the comparison).
NAIVE_SAMPLE = 200

PAGE = Path("/work/shared/pages/military-review-2016-05-25-joint-operations.txt")
RESULTS = Path(__file__).resolve().parent / "results" / "words.json"

REAL = [
    ("fuck", "banned"),
    ("fuck*", "banned"),
    ("motherfuck*", "banned"),
    ("shit", "banned"),
    ("bullshit", "suspect"),
    ("ass", "banned"),
    ("asshole*", "banned"),
    ("bitch*", "banned"),
    ("son of a bitch", "banned"),
    ("bastard*", "suspect"),
    ("cunt*", "banned"),
    ("dick", "suspect"),
    ("dickhead*", "banned"),
    ("prick", "suspect"),
    ("wanker*", "banned"),
    ("twat*", "banned"),
    ("piss off", "suspect"),
    ("go to hell", "suspect"),
    ("idiot*", "suspect"),
    ("moron*", "suspect"),
    ("retard*", "banned"),
    ("scum", "suspect"),
    ("traitor*", "suspect"),
    ("liberast*", "suspect"),
    ("khokhol*", "banned"),
    ("katsap*", "banned"),
    ("pindos*", "suspect"),
    ("хуй", "banned"),
    ("хуе*", "banned"),
    ("хуя*", "banned"),
    ("пизд*", "banned"),
    ("ебать", "banned"),
    ("еба*", "banned"),
    ("ёб*", "banned"),
    ("бля", "banned"),
    ("блядь", "banned"),
    ("бляд*", "banned"),
    ("сука", "banned"),
    ("суки", "banned"),
    ("мудак*", "banned"),
    ("мудил*", "banned"),
    ("гандон*", "banned"),
    ("пидор*", "banned"),
    ("пидар*", "banned"),
    ("залуп*", "banned"),
    ("дебил*", "suspect"),
    ("идиот*", "suspect"),
    ("придур*", "suspect"),
    ("хохол", "banned"),
    ("укроп*", "suspect"),
    ("ватник*", "suspect"),
    ("88", "suspect"),
]

LATIN = "bcdfghjklmnprstvwz"
LATIN_VOWELS = "aeiouy"
CYRILLIC = "бвгджзклмнпрстфхцчшщ"
CYRILLIC_VOWELS = "аеиоуыэюяё"


def pseudo_word(rng: random.Random, cyrillic: bool) -> str:
    consonants, vowels = (
        (CYRILLIC, CYRILLIC_VOWELS) if cyrillic else (LATIN, LATIN_VOWELS)
    )
    syllables = rng.randint(2, 4)
    word = "".join(
        rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables)
    )
    if rng.random() < 0.3:
        word += rng.choice(consonants)
    return word


def build_entries(rng: random.Random) -> list[tuple[str, str]]:
    entries = dict(REAL)
    while len(entries) < ENTRIES:
        cyrillic = rng.random() < 0.4
        roll = rng.random()
        if roll < 0.1:
            text = pseudo_word(rng, cyrillic) + "*"
        elif roll < 0.15:
            text = " ".join(
                pseudo_word(rng, cyrillic) for _ in range(rng.randint(2, 4))
            )
        else:
            text = pseudo_word(rng, cyrillic)
        entries.setdefault(text, "banned" if rng.random() < 0.5 else "suspect")
    return list(entries.items())


def reference_comments() -> list[str]:
    page = parse_page(
        PAGE.read_text(encoding="utf-8"), timezone=zoneinfo.ZoneInfo("Europe/Moscow")
    )
    return ["\n".join(comment.paragraphs) for comment in page.comments]


def generated_comments(
    rng: random.Random, vocabulary: list[str], entries: list[tuple[str, str]]
) -> list[str]:
    """Comments of 50-800 characters: page vocabulary, some Russian, a few hits."""
    russian = re.findall(
        r"\w+",
        "это просто позор они опять врут нам всем и ничего не меняется в "
        "сирии американцы снова против россии",
    )
    evasions = ["fuuuck", "f.u.c.k", "a$$", "аss", "xyй", "сууука", "b!tch"]
    comments = []
    for _ in range(COMMENTS):
        length = rng.randint(50, 800)
        words = []
        size = 0
        while size < length:
            roll = rng.random()
            if roll < 0.01:
                word = rng.choice(entries)[0].rstrip("*")
            elif roll < 0.015:
                word = rng.choice(evasions)
            elif roll < 0.15:
                word = rng.choice(russian)
            else:
                word = rng.choice(vocabulary)
            words.append(word)
            size += len(word) + 1
        comments.append(" ".join(words)[:length])
    return comments


def naive_regex(entries: list[tuple[str, str]]) -> re.Pattern[str]:
    alternatives = []
    for text, _ in entries:
        if text.endswith("*"):
            alternatives.append(re.escape(text[:-1]) + r"\w*")
        else:
            alternatives.append(re.escape(text))
    # re caches compiled patterns: purge so that every repeat compiles.
    re.purge()
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def per_comment(find, texts: list[str]) -> tuple[list[float], float, int]:
    """Seconds each text took, the total, and the number of hits."""
    times = []
    hits = 0
    clock = time.perf_counter
    begin = clock()
    for text in texts:
        start = clock()
        hits += len(find(text))
        times.append(clock() - start)
    return times, clock() - begin, hits


def measure(find, texts: list[str]) -> dict:
    samples: list[float] = []
    totals = []
    hits = 0
    for _ in range(REPEATS):
        times, total, hits = per_comment(find, texts)
        samples.extend(times)
        totals.append(total)
    samples.sort()
    return {
        "texts": len(texts),
        "hits": hits,
        "median_us": statistics.median(samples) * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "max_us": samples[-1] * 1e6,
        "run_median_ms": statistics.median(totals) * 1e3,
        "run_max_ms": max(totals) * 1e3,
    }


def timed(build):
    times = []
    result = None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = build()
        times.append(time.perf_counter() - start)
    return result, {
        "median_ms": statistics.median(times) * 1e3,
        "max_ms": max(times) * 1e3,
    }


def main() -> None:
    started = time.perf_counter()
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
    entries = build_entries(rng)
    reference = reference_comments()
    vocabulary = re.findall(r"\w+", PAGE.read_text(encoding="utf-8"))
    generated = generated_comments(rng, vocabulary, entries)
    sample = generated[:NAIVE_SAMPLE]

    matcher, matcher_compile = timed(lambda: WordMatcher(entries))
    naive, naive_compile = timed(lambda: naive_regex(entries))

    results = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "entries": len(matcher),
        "repeats": REPEATS,
        "compile": {"matcher": matcher_compile, "naive_regex": naive_compile},
        "matcher": {
            "reference_page": measure(matcher.find, reference),
            "generated": measure(matcher.find, generated),
            "generated_sample": measure(matcher.find, sample),
        },
        "naive_regex": {
            "reference_page": measure(naive.findall, reference),
            "generated_sample": measure(naive.findall, sample),
        },
    }
    for name in ("reference_page", "generated_sample"):
        results.setdefault("ratio_naive_over_matcher", {})[name] = (
            results["naive_regex"][name]["median_us"]
            / results["matcher"][name]["median_us"]
        )
    results["seconds"] = time.perf_counter() - started

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(results)


def report(results: dict) -> None:
    print(f"{results['entries']} entries, {results['repeats']} repeats")
    for name, figures in results["compile"].items():
        print(
            f"compile {name:12} median {figures['median_ms']:9.1f} ms"
            f"   max {figures['max_ms']:9.1f} ms"
        )
    print(f"{'':28} {'per comment (µs)':>30}   {'whole run (ms)':>20}")
    print(f"{'':28} {'median':>9} {'p99':>9} {'max':>10}   {'median':>9} {'max':>9}")
    for matcher in ("matcher", "naive_regex"):
        for name, f in results[matcher].items():
            print(
                f"{matcher:12} {name:16} ({f['texts']:4})"
                f" {f['median_us']:9.1f} {f['p99_us']:9.1f} {f['max_us']:10.1f}"
                f"   {f['run_median_ms']:9.1f} {f['run_max_ms']:9.1f}"
            )
    for name, ratio in results["ratio_naive_over_matcher"].items():
        print(f"naive regex / matcher, median per comment, {name}: {ratio:.0f}×")
    print(f"written to {RESULTS} in {results['seconds']:.1f} s")


if __name__ == "__main__":
    main()
