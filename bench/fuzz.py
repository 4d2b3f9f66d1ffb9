"""Fuzzing the import parsers with hostile files.

    uv run --frozen python -m bench.fuzz [--seconds-per-parser N] [--parser NAME]

Four parsers, each through the command a user runs: `tribune import-page`
(the saved-page archive), `tribune import --format wxr`, `tribune import
--format disqus` (both streamed by importers/xmlstream.py) and `tribune
restore` (the JSON export). Hypothesis draws each input from valid seed
documents (the reference page, the test samples, an export of a small site)
and mutates them with their structure in mind: lines and indentation of a
page, elements, attributes and texts of an XML export, keys and values of a
JSON document, then entity tricks, deep nesting, other encodings, huge
numbers, bad dates, and byte flips and truncation of the result.

Every input runs inside a transaction that is rolled back, so each starts
from the same migrated, empty database. An input is accepted (the command
succeeds), refused (CommandError with a message, raised from the parser's
own error class) or a crash:

- any other exception (KeyError, TypeError, OverflowError, RecursionError,
  MemoryError past --memory-mb …);
- a refusal that leaves rows behind (a partial write);
- an accepted input that wrote a value PostgreSQL would refuse: longer than
  its column, or holding a NUL character (SQLite stores both);
- an input that takes more than --timeout seconds of CPU time, or five
  times as long by the clock (a hang).

A crash is shrunk by Hypothesis to a minimal input, which is saved under
bench/results/fuzz-crashes/ with its traceback. Figures go to stdout and
bench/results/fuzz.json.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import platform
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from defusedxml.ElementTree import fromstring as defused_fromstring
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "fuzz.json"
CRASHES = ROOT / "bench" / "results" / "fuzz-crashes"
SAMPLES = ROOT / "importers" / "tests" / "samples"
REFERENCE_PAGE = (
    ROOT / "importers" / "pages" / "military-review-2016-05-25-joint-operations.txt"
)
SHARED_PAGES = ROOT.parent.parent / "shared" / "pages"
PARSERS = ("page", "wxr", "disqus", "restore")
#: Inputs per Hypothesis run; the harness starts runs until time is up.
BATCH = 40

# --- Seeds -------------------------------------------------------------------

SMALL_PAGE = """\
Военное обозрение

Предложение о совместных операциях не обсуждается.

Первый абзац статьи.

Автор: Иван Петров и Олег Чувакин
Уважаемый читатель, чтобы оставлять комментарии, войдите.
  1. Иван
    Иван 3 января 2017 10:05
    Первый абзац статьи.
    1. Пётр Первый
      Пётр Первый 3 января 2017 11: 15
      Ответ.
      1. avg-mgn
        avg-mgn 4 янв 2017 00:01
        Ответ на ответ.
  2. Tim
    Tim 25 May 2016 07: 46
    laughing In a word, partners
"""


def page_seeds() -> list[str]:
    pages = [REFERENCE_PAGE.read_text(encoding="utf-8")]
    if SHARED_PAGES.is_dir():
        pages += [
            p.read_text(encoding="utf-8")
            for p in sorted(SHARED_PAGES.glob("*.txt"))
            if p.read_bytes() != REFERENCE_PAGE.read_bytes()
        ]
    # The reference page cut after its first few top-level comments: smaller
    # inputs, so more of them per second.
    text = pages[0]
    tops = [m.start() for m in re.finditer(r"(?m)^  \d+\. ", text)]
    cuts = [text[: tops[n]] for n in (2, 5) if n < len(tops)]
    return [SMALL_PAGE, *cuts, *pages]


def xml_seeds(name: str) -> list[str]:
    return [(SAMPLES / name).read_text(encoding="utf-8")]


def export_seeds() -> list[str]:
    """Exports of a small site: the WordPress sample and a page imported into
    the (empty, migrated) database, written out, then rolled back."""
    from django.core.management import call_command
    from django.db import transaction

    from importers.backup import FORMAT, VERSION, export_site

    documents = [json.dumps({"format": FORMAT, "version": VERSION})]
    with transaction.atomic():
        page = Path(tempfile.mkdtemp(prefix="tribune-fuzz-")) / "page.txt"
        page.write_text(SMALL_PAGE, encoding="utf-8")
        sink = io.StringIO()
        call_command("import-page", str(page), stdout=sink)
        wxr = str(SAMPLES / "wordpress.xml")
        call_command("import", wxr, "--format", "wxr", stdout=sink)
        out = io.StringIO()
        export_site(out)
        documents.append(out.getvalue())
        transaction.set_rollback(True)
    return documents


# --- Interesting values --------------------------------------------------------

NUMBERS = [
    "0",
    "-1",
    "1",
    "2",
    "007",
    "2147483648",
    "9223372036854775808",
    "18446744073709551616",
    "9" * 40,
    "1e309",
    "-0",
    "1.5",
    "NaN",
]
DATES = [
    "0000-00-00 00:00:00",
    "2016-02-30 10:00:00",
    "2016-05-25 24:00:00",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "2016-05-25T03:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2016-05-25T03:00:00+99:00",
    "2016-05-25T03:00:00",
    "10000-01-01T00:00:00Z",
    "Wed, 25 May 2016 03:00:00 +0000",
    "Wed, 31 Dec 9999 23:59:59 -1200",
    "вчера",
]
TEXTS = [
    "",
    " ",
    "\t",
    "x" * 5000,
    "Ж" * 400,
    "a\x00b",
    "\u202eevil\u202c",
    "e\u0301" * 50,
    "\ud800",
    "\U0001f600",
    "<p>one</p><blockquote>two",
    "</blockquote></blockquote>",
    "<a href='javascript:alert(1)'>x</a>",
    "> > > quoted",
    "[link](javascript:alert(1))",
    "http://[::1",
    "https://tribune.example/articles/joint-operations/",
    "//evil.example/%00",
    "../../etc/passwd",
    "%ff%00",
    "\r\n\r\n",
    "\u2028\u2029\x85\x1c",
]
INTERESTING = NUMBERS + DATES + TEXTS


def _encode(draw, text: str) -> bytes:
    encoding = draw(
        st.sampled_from(
            ["utf-8"] * 6 + ["utf-8-sig", "utf-16", "cp1251", "latin-1", "koi8-r"]
        )
    )
    return text.encode(encoding, errors="replace")


def _mutate_bytes(draw, data: bytes) -> bytes:
    """Byte flips, insertions, deletions, duplications and truncation."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "dup", "cut"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and at < len(data):
            data[at] = draw(st.sampled_from([0, 0xFF, 0x80, 0xC3, 10, 13, 60, 38]))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 2000))]
        elif op == "cut":
            del data[at:]
    return bytes(data)


def _maybe_bytes(draw, data: bytes) -> bytes:
    return _mutate_bytes(draw, data) if draw(st.integers(0, 3)) == 0 else data


# --- Pages ---------------------------------------------------------------------

_STAMP = re.compile(r"(\d{1,2}) (\S+) (\d{4}) (\d{1,2}): ?(\d{2})")


def _page_line_mutation(draw, lines: list[str]) -> None:
    op = draw(
        st.sampled_from(
            [
                "delete",
                "duplicate",
                "swap",
                "indent",
                "number",
                "stamp",
                "author",
                "insert",
                "replace",
                "nest",
                "siblings",
            ]
        )
    )
    if not lines:
        lines.append(draw(st.sampled_from(INTERESTING)))
        return
    at = draw(st.integers(0, len(lines) - 1))
    line = lines[at]
    if op == "delete":
        del lines[at]
    elif op == "duplicate":
        lines[at:at] = [line] * draw(st.integers(1, 3))
    elif op == "swap" and at + 1 < len(lines):
        lines[at], lines[at + 1] = lines[at + 1], line
    elif op == "indent":
        change = draw(st.sampled_from([-2, -1, 1, 2, 4, 200]))
        stripped = line.lstrip(" ")
        indent = max(0, len(line) - len(stripped) + change)
        lines[at] = " " * indent + stripped
    elif op == "number":
        value = draw(st.sampled_from(NUMBERS))
        lines[at] = re.sub(r"^(\s*)\d+\.", rf"\g<1>{value}.", line, count=1)
    elif op == "stamp":
        day, month, year, hour, minute = (
            draw(st.sampled_from(["0", "31", "99", "1", "29"])),
            draw(
                st.sampled_from(
                    ["January", "января", "February", "Dec", "Smarch", "May.", "мая"]
                )
            ),
            draw(st.sampled_from(["0001", "9999", "0000", "2016", "1969"])),
            draw(st.sampled_from(["0", "23", "24", "99"])),
            draw(st.sampled_from(["00", "59", "60", "99"])),
        )
        lines[at] = _STAMP.sub(f"{day} {month} {year} {hour}: {minute}", line)
    elif op == "author":
        name = draw(st.sampled_from([*TEXTS, "Tim", "TIM", "tim", "A" * 41 + "b"]))
        lines[at] = re.sub(r"^(\s*)(\d+\.\s+)?\S+", rf"\g<1>\g<2>{name}", line)
    elif op == "insert":
        lines.insert(at, draw(st.sampled_from(INTERESTING)))
    elif op == "replace":
        lines[at] = line[: len(line) - len(line.lstrip())] + draw(
            st.sampled_from(INTERESTING)
        )
    elif op == "nest":
        # A chain of replies, each under the one before.
        depth = draw(st.integers(1, 300))
        chain = []
        for level in range(depth):
            pad = " " * (2 * level + 4)
            chain += [f"{pad}1. R{level}", f"{pad}  R{level} 25 May 2016 09: 37"]
        lines[at + 1 : at + 1] = chain
    elif op == "siblings":
        count = draw(st.integers(1, 200))
        start = draw(st.integers(1, 3))
        block = []
        for number in range(start, start + count):
            block += [f"  {number}. S", "    S 25 May 2016 09: 37", "    Text."]
        lines.extend(block)


@st.composite
def page_inputs(draw, seeds: list[str]) -> bytes:
    lines = draw(st.sampled_from(seeds)).split("\n")
    for _ in range(draw(st.integers(0, 4))):
        _page_line_mutation(draw, lines)
    separator = draw(st.sampled_from(["\n"] * 4 + ["\r\n", "\r"]))
    return _maybe_bytes(draw, _encode(draw, separator.join(lines)))


# --- XML exports -----------------------------------------------------------------

NAMESPACES = {
    "wp": "http://wordpress.org/export/1.2/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dsq": "http://disqus.com/disqus-internals",
}
DSQ_ID = f"{{{NAMESPACES['dsq']}}}id"
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

ENTITY_TRICKS = [
    '<!DOCTYPE r [<!ENTITY e "expanded">]>',
    '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/rss.dtd">',
    "<!DOCTYPE r ["
    + '<!ENTITY a0 "lol">'
    + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    + "]>",
    '<!DOCTYPE r [<!ENTITY big "' + "x" * 100_000 + '">]>',
    "<!DOCTYPE r [<!ELEMENT r ANY><!ATTLIST item id ID #IMPLIED>]>",
]
TEXT_TRICKS = [
    "&e;",
    "&a9;",
    "&big;" * 50,
    "&nope;",
    "&#0;",
    "&#xD800;",
    "&#x110000;",
    "&#65;&#x416;",
    "]]>",
    "<![CDATA[<b>x</b>]]>",
    "<![CDATA[ unclosed",
    "<?php echo 1; ?>",
    "<!-- comment -->",
    "<foo:bar/>",
    '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>',
    "<",
    "&",
    "\x00",
    "\x0b",
]
DECLARED = [
    "UTF-8",
    "utf-16",
    "windows-1251",
    "ISO-8859-1",
    "koi8-r",
    "us-ascii",
    "shift_jis",
    "utf-32",
    "utf-7",
    "cp500",
    "x-unknown",
    "",
]


#: Fields of the records the readers use, with values worth trying in each.
URLS = [
    "http://[::1",
    "https://[v7.x]/",
    "",
    "/articles/joint-operations/",
    "https://tribune.example/articles/joint-operations/",
    "https://tribune.example/articles/does-not-exist/",
    "https://user:pass@old.example.com:99999/a?b=c#d",
    "javascript:alert(1)",
    "x" * 3000,
]
FIELD_VALUES = {
    "link": URLS,
    "guid": URLS,
    "base_site_url": URLS,
    "comment_date": DATES,
    "comment_date_gmt": DATES,
    "post_date": DATES,
    "post_date_gmt": DATES,
    "pubDate": DATES,
    "createdAt": DATES,
    "comment_id": [*NUMBERS, "101", "102", "", "x" * 400],
    "comment_parent": [*NUMBERS, "101", "103", "104"],
    "comment_approved": ["1", "0", "spam", "trash", "approve", "", "maybe"],
    "comment_type": ["pingback", "trackback", "comment", ""],
    "post_type": ["post", "page", "attachment", "nav_menu_item", ""],
    "status": ["publish", "future", "draft", "private", ""],
    "post_name": ["", "%ff%fe", "%00", "a" * 300, "статья"],
    "isDeleted": ["true", "false", "TRUE", "yes", ""],
    "isSpam": ["true", "false", ""],
    "isApproved": ["true", "false", ""],
    "isAnonymous": ["true", "false"],
    "email": ["", "a@b", "A@B", "x" * 300, "\x00@x"],
    "comment_author_email": ["", "tim@example.org", "TIM@EXAMPLE.ORG"],
}
FIELD_VALUES["id"] = FIELD_VALUES["comment_id"]


def _field_mutation(draw, root: ET.Element) -> None:
    """Set a field the readers read to a value chosen for that field."""
    fields = [
        e
        for e in root.iter()
        if e.tag.rpartition("}")[2] in FIELD_VALUES or e.get(DSQ_ID) is not None
    ]
    if not fields:
        return
    element = draw(st.sampled_from(fields))
    local = element.tag.rpartition("}")[2]
    if element.get(DSQ_ID) is not None and (
        local not in FIELD_VALUES or draw(st.booleans())
    ):
        values = FIELD_VALUES["comment_id"] + ["1001", "5001", "5002", "9999"]
        element.set(DSQ_ID, draw(st.sampled_from(values)))
    else:
        element.text = draw(st.sampled_from(FIELD_VALUES[local] + TEXTS[:6]))


def _xml_tree_mutation(draw, root: ET.Element) -> None:
    if draw(st.booleans()):
        _field_mutation(draw, root)
        return
    parents = {child: parent for parent in root.iter() for child in parent}
    elements = list(root.iter())
    element = draw(st.sampled_from(elements))
    op = draw(
        st.sampled_from(
            ["delete", "duplicate", "text", "attribute", "drop-attr", "move", "empty"]
        )
    )
    parent = parents.get(element)
    if op == "delete" and parent is not None:
        parent.remove(element)
    elif op == "duplicate" and parent is not None:
        index = list(parent).index(element)
        for _ in range(draw(st.integers(1, 3))):
            parent.insert(index + 1, copy.deepcopy(element))
    elif op == "text":
        element.text = draw(st.sampled_from(INTERESTING))
    elif op == "attribute":
        name = draw(
            st.sampled_from(
                [f"{{{NAMESPACES['dsq']}}}id", "domain", "nicename", *element.keys()]
            )
        )
        element.set(name, draw(st.sampled_from(INTERESTING)))
    elif op == "drop-attr" and element.keys():
        del element.attrib[draw(st.sampled_from(sorted(element.keys())))]
    elif op == "move" and parent is not None:
        target = draw(st.sampled_from(elements))
        if target is not element and element not in target.iter():
            parent.remove(element)
            target.append(element)
    elif op == "empty":
        for child in list(element):
            element.remove(child)
        element.text = None


def _xml_declaration(draw, body: str) -> bytes:
    declared = draw(st.sampled_from(["UTF-8"] * 8 + DECLARED))
    header = (
        f'<?xml version="1.0" encoding="{declared}"?>\n'
        if declared
        else draw(st.sampled_from(['<?xml version="1.0"?>\n', "", "\ufeff"]))
    )
    # Written in the declared encoding, or (a lie) in another one.
    writes = declared if draw(st.booleans()) else draw(st.sampled_from(DECLARED))
    try:
        return (header + body).encode(writes or "utf-8", errors="replace")
    except LookupError:
        return (header + body).encode("utf-8", errors="surrogatepass")


@st.composite
def xml_inputs(draw, seeds: list[str]) -> bytes:
    seed = draw(st.sampled_from(seeds))
    root = defused_fromstring(seed.encode("utf-8"))
    for _ in range(draw(st.integers(0, 4))):
        _xml_tree_mutation(draw, root)
    body = ET.tostring(root, encoding="unicode")
    for _ in range(draw(st.integers(0, 2))):
        trick = draw(st.sampled_from(["entity", "text", "nest", "repeat"]))
        at = draw(st.integers(0, len(body)))
        # Keep insertions between tags, where they are most likely to be read.
        at = body.find(">", at) + 1 or len(body)
        if trick == "entity":
            body = draw(st.sampled_from(ENTITY_TRICKS)) + "\n" + body
            body = body[:at] + draw(st.sampled_from(TEXT_TRICKS)) + body[at:]
        elif trick == "text":
            body = body[:at] + draw(st.sampled_from(TEXT_TRICKS)) + body[at:]
        elif trick == "nest":
            depth = draw(st.sampled_from([10, 1000, 100_000]))
            tag = draw(st.sampled_from(["x", "item", "wp:comment", "post", "p"]))
            body = body[:at] + f"<{tag}>" * depth + f"</{tag}>" * depth + body[at:]
        elif trick == "repeat":
            end = body.find("</", at)
            chunk = body[at:end] if end > at else ""
            body = body[:at] + chunk * draw(st.integers(2, 200)) + body[at:]
    return _maybe_bytes(draw, _xml_declaration(draw, body))


# --- JSON exports ---------------------------------------------------------------

JSON_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    2**31,
    2**63,
    2**64,
    10**30,
    1.5,
    1e308,
    float("nan"),
    float("inf"),
    "",
    "x" * 5000,
    "a\x00b",
    "\ud800",
    "2016-02-30T00:00:00+00:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2016-05-25T03:00:00",
    "2016-05-25",
    "not a date",
    "1.2.3",
    "published",
    "nope",
    [],
    {},
    [[]],
    ["a", "b"],
    ["a", ["b"]],
    {"a": 1},
]


def _json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _json_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:50]):
            yield from _json_paths(child, (*path, index))


def _json_mutation(draw, document) -> object:
    paths = list(_json_paths(document))
    path = draw(st.sampled_from(paths))
    op = draw(st.sampled_from(["set", "delete", "duplicate", "rename", "swap-type"]))
    if not path:
        return (
            copy.deepcopy(draw(st.sampled_from(JSON_VALUES)))
            if op == "set"
            else document
        )
    holder = document
    for step in path[:-1]:
        holder = holder[step]
    last = path[-1]
    if op == "set" or op == "swap-type":
        # A copy: later mutations must not change the value list itself.
        holder[last] = copy.deepcopy(draw(st.sampled_from(JSON_VALUES)))
    elif op == "delete":
        del holder[last]
    elif op == "duplicate":
        if isinstance(holder, list):
            holder.insert(last, json.loads(json.dumps(holder[last])))
        else:
            holder[f"{last}"] = json.loads(json.dumps(holder[last]))
    elif op == "rename" and isinstance(holder, dict):
        holder[draw(st.sampled_from(["id", "slug", "x", last + "_"]))] = holder.pop(
            last
        )
    return document


@st.composite
def json_inputs(draw, seeds: list[str]) -> bytes:
    document = json.loads(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        document = _json_mutation(draw, document)
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    trick = draw(st.sampled_from(["none"] * 6 + ["deep", "digits", "cut", "bom"]))
    if trick == "deep":
        depth = draw(st.sampled_from([100, 10_000, 200_000]))
        text = '{"format": "tribune-export", "version": 1, "site": ' + (
            "[" * depth + "]" * depth + "}"
        )
    elif trick == "digits":
        text = text.replace('"version": 1', '"version": 1' + "0" * 5000, 1)
    elif trick == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif trick == "bom":
        text = "\ufeff" + text
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 5)) == 0:
        data = _encode(draw, text)
    return _maybe_bytes(draw, data)


# --- Running one input ------------------------------------------------------------


class Hang(BaseException):
    """An input ran past the time bound (BaseException: no parser catches it)."""


class Crash(Exception):
    """A refusal that left rows behind, or a write PostgreSQL would refuse."""


def _on_alarm(signum, frame):
    raise Hang("ran past the time bound")


#: The machine may be shared: the bound is on CPU time, with a wall-clock
#: bound this many times longer for an input that waits instead of working.
WALL_FACTOR = 5


def _arm(timeout: float) -> None:
    """Raise Hang after `timeout` seconds of CPU time (0: disarm)."""
    signal.setitimer(signal.ITIMER_PROF, timeout)
    signal.setitimer(signal.ITIMER_REAL, timeout * WALL_FACTOR)


@dataclass
class Parser:
    name: str
    command: list[str]
    suffix: str
    refusals: tuple[type[BaseException], ...]
    #: Builds the strategy (and its seeds) when the parser is fuzzed.
    strategy: Callable[[], st.SearchStrategy]


def _parsers() -> dict[str, Parser]:
    from importers.backup import RestoreError
    from importers.reference_page import PageFormatError
    from importers.xmlstream import ImportFormatError

    return {
        "page": Parser(
            "page",
            ["import-page", "{file}"],
            ".txt",
            # read_page refuses bytes that are not UTF-8 itself.
            (PageFormatError, UnicodeDecodeError),
            lambda: page_inputs(page_seeds()),
        ),
        "wxr": Parser(
            "wxr",
            ["import", "{file}", "--format", "wxr"],
            ".xml",
            (ImportFormatError,),
            lambda: xml_inputs(xml_seeds("wordpress.xml")),
        ),
        "disqus": Parser(
            "disqus",
            ["import", "{file}", "--format", "disqus", "--create-missing"],
            ".xml",
            (ImportFormatError,),
            lambda: xml_inputs(xml_seeds("disqus.xml")),
        ),
        "restore": Parser(
            "restore",
            ["restore", "{file}"],
            ".json",
            (RestoreError,),
            lambda: json_inputs(export_seeds()),
        ),
    }


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _unstorable(changed: list[str]) -> list[str]:
    """Values in the changed tables that PostgreSQL would refuse: longer than
    their column, or with a NUL character. SQLite keeps both."""
    from django.apps import apps
    from django.db import models

    problems = []
    for label in changed:
        model = apps.get_model(label)
        checked = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not checked:
            continue
        names = [f.attname for f in checked]
        for row in model._base_manager.values_list("pk", *names):
            for f, value in zip(checked, row[1:], strict=True):
                text = json.dumps(value) if isinstance(f, models.JSONField) else value
                if not isinstance(text, str):
                    continue
                if "\x00" in text or "\\u0000" in text:
                    problems.append(f"{label}.{f.name} (pk {row[0]}) holds a NUL")
                limit = getattr(f, "max_length", None)
                if limit and isinstance(value, str) and len(value) > limit:
                    problems.append(
                        f"{label}.{f.name} (pk {row[0]}) is {len(value)} "
                        f"characters, over its {limit}"
                    )
    return problems[:5]


def run_one(parser: Parser, data: bytes, path: Path, timeout: float) -> str:
    """Run the command on `data`; return "accepted" or "refused", or raise."""
    from django.core.management import CommandError, call_command
    from django.db import transaction

    path.write_bytes(data)
    args = [a.replace("{file}", str(path)) for a in parser.command]
    with transaction.atomic():
        before = _row_counts()
        _arm(timeout)
        try:
            with warnings.catch_warnings():
                # Naive datetimes and the like: errors under pytest (the
                # project's setting), so errors here too.
                warnings.simplefilter("error", RuntimeWarning)
                call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as e:
            _arm(0)
            cause = e.__context__
            message = str(e).replace(str(path), "FILE")
            if not str(e).strip():
                raise Crash("refused with an empty message") from e
            if cause is not None and not isinstance(cause, parser.refusals):
                raise Crash(f"refused through {type(cause).__name__}") from e
            after = _row_counts()
            if after != before:
                grew = {k: after[k] - before[k] for k in after if after[k] != before[k]}
                raise Crash(
                    f"refused ({message}) but rows were left behind: {grew}"
                ) from e
            outcome = "refused"
        else:
            _arm(0)
            after = _row_counts()
            changed = [label for label in after if after[label] != before[label]]
            problems = _unstorable(changed)
            if problems:
                raise Crash("PostgreSQL would refuse: " + "; ".join(problems))
            outcome = "accepted"
        finally:
            _arm(0)
        transaction.set_rollback(True)
    return outcome


# --- The harness ------------------------------------------------------------------


@dataclass
class Tally:
    parser: str
    inputs: int = 0
    accepted: int = 0
    refused: int = 0
    crashes: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    #: (seconds, bytes) of the slowest input.
    slowest: tuple[float, int] = (0.0, 0)
    largest_input: int = 0


def _signature(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [
        f
        for f in frames
        if f.filename.startswith(str(ROOT))
        and not f.filename.startswith((str(ROOT / "bench"), str(ROOT / ".venv")))
    ]
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    if isinstance(error, Crash):
        # Digits vary between instances of one crash (ids, lengths).
        return "Crash: " + re.sub(r"\d+", "N", str(error))[:200]
    return f"{type(error).__name__} at {where}"


def fuzz(
    name: str,
    *,
    seconds: float | None = None,
    examples: int | None = None,
    timeout: float = 20.0,
    crashes_dir: Path | None = CRASHES,
    parsers: dict[str, Parser] | None = None,
) -> Tally:
    """Fuzz one parser for `seconds` (or `examples` inputs) in the current
    database; each input runs in a transaction that is rolled back."""
    parser = (parsers or _parsers())[name]
    strategy = parser.strategy()
    tally = Tally(name)
    seen: set[str] = set()
    work = Path(tempfile.mkdtemp(prefix=f"tribune-fuzz-{name}-"))
    path = work / f"input{parser.suffix}"
    last_failure: list = []
    previous = {
        number: signal.signal(number, _on_alarm)
        for number in (signal.SIGALRM, signal.SIGPROF)
    }

    def check(data: bytes) -> None:
        tally.inputs += 1
        tally.largest_input = max(tally.largest_input, len(data))
        began = time.process_time()
        try:
            outcome = run_one(parser, data, path, timeout)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            last_failure[:] = [data, e]
            if isinstance(e, Hang):
                # Hypothesis shrinks Exceptions, not other BaseExceptions.
                raise Crash(f"hang: over {timeout} s") from e
            raise
        finally:
            took = time.process_time() - began
            tally.slowest = max(tally.slowest, (round(took, 2), len(data)))
        if took > timeout:
            # The alarm can go off where its exception is swallowed (in a
            # garbage collector callback): the clock still tells.
            error = Crash(f"hang: {took:.0f} CPU s, over the {timeout} s bound")
            last_failure[:] = [data, error]
            raise error
        if outcome == "accepted":
            tally.accepted += 1
        else:
            tally.refused += 1

    started = time.perf_counter()
    try:
        warnings.filterwarnings("ignore", message="Generating overly large repr")
        while True:
            remaining = (
                None if seconds is None else seconds - (time.perf_counter() - started)
            )
            left = None if examples is None else examples - tally.inputs
            if (remaining is not None and remaining <= 0) or (
                left is not None and left <= 0
            ):
                break
            batch = BATCH if left is None else min(BATCH, left)
            run = given(strategy)(check)
            run = settings(
                max_examples=batch,
                derandomize=False,
                database=None,
                deadline=None,
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate, Phase.shrink],
                print_blob=False,
            )(run)
            inputs_before = tally.inputs
            try:
                run()
            except (HypothesisException, KeyboardInterrupt):
                raise
            except BaseException as e:
                if not last_failure:
                    raise
                data, error = last_failure
                _record_crash(tally, seen, data, error, parser, crashes_dir)
                last_failure.clear()
                del e
            if tally.inputs == inputs_before:
                break  # nothing left to generate
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    tally.seconds = round(time.perf_counter() - started, 1)
    tally.peak_rss_mb = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    return tally


def _record_crash(tally, seen, data, error, parser, crashes_dir) -> None:
    signature = _signature(error)
    if signature in seen:
        return
    seen.add(signature)
    digest = hashlib.sha256(data).hexdigest()[:12]
    entry = {"signature": signature, "input_bytes": len(data), "sha256_12": digest}
    if crashes_dir is not None:
        crashes_dir.mkdir(parents=True, exist_ok=True)
        stem = crashes_dir / f"{parser.name}-{digest}"
        stem.with_suffix(parser.suffix).write_bytes(data)
        stem.with_suffix(".traceback.txt").write_text(
            "".join(traceback.format_exception(error)), encoding="utf-8"
        )
        saved = stem.with_suffix(parser.suffix)
        entry["saved_as"] = str(
            saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved
        )
    tally.crashes.append(entry)


def _setup_django(database: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(database)
    os.environ.setdefault("TRIBUNE_SECRET_KEY", "fuzz-only-" + "x" * 40)
    os.environ["DEBUG"] = "0"  # with DEBUG on, Django keeps every query
    os.environ.setdefault("LOG_LEVEL", "CRITICAL")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-per-parser", type=float, default=200.0)
    parser.add_argument("--parser", choices=PARSERS, action="append")
    parser.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        help="CPU seconds one input may take (wall clock: 5 times as long)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=4096,
        help="address space the process may use; more is a MemoryError (a crash)",
    )
    options = parser.parse_args(argv)
    limit = options.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    names = options.parser or list(PARSERS)
    with tempfile.TemporaryDirectory(prefix="tribune-fuzz-db-") as folder:
        _setup_django(Path(folder) / "fuzz.sqlite3")
        from django.db import connection

        parsers = _parsers()
        tallies = []
        for name in names:
            print(
                f"fuzzing {name} for {options.seconds_per_parser:.0f} s …", flush=True
            )
            tally = fuzz(
                name,
                seconds=options.seconds_per_parser,
                timeout=options.timeout,
                parsers=parsers,
            )
            tallies.append(tally)
            for crash in tally.crashes:
                print(f"  crash: {crash['signature']}", flush=True)
        vendor = connection.vendor
    print()
    print(
        f"{'parser':8} {'inputs':>7} {'accepted':>9} {'refused':>8} "
        f"{'crashes':>8} {'seconds':>8}"
    )
    for t in tallies:
        print(
            f"{t.parser:8} {t.inputs:7} {t.accepted:9} {t.refused:8} "
            f"{len(t.crashes):8} {t.seconds:8.0f}"
        )
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "database": vendor,
        "seconds_per_parser": options.seconds_per_parser,
        "timeout_per_input_cpu_s": options.timeout,
        "memory_limit_mb": options.memory_mb,
        "parsers": {
            t.parser: {
                "inputs": t.inputs,
                "accepted": t.accepted,
                "refused": t.refused,
                "crashes": len(t.crashes),
                "crash_details": t.crashes,
                "seconds": t.seconds,
                "slowest_input_s": t.slowest[0],
                "slowest_input_bytes": t.slowest[1],
                "largest_input_bytes": t.largest_input,
                "peak_rss_mb_so_far": t.peak_rss_mb,
            }
            for t in tallies
        },
    }
    if set(names) != set(PARSERS) and RESULTS.exists():
        # One parser re-run: the others keep their figures.
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        previous["parsers"].update(results.pop("parsers"))
        results = {**previous, **results, "parsers": previous["parsers"]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 1 if any(t.crashes for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
