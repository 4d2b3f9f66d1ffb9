"""Parse a saved page of an article with its numbered discussion.

The format is that of /work/shared/pages/*.txt, pages saved from a news site
and machine-translated::

    Military Review                              site name

    Proposal for joint operations ...            title

    20 May reported that ...                     body, one paragraph a line

    Observed and commented on Oleg Chuvakin      byline
    - especially for                             optional attribution
    Dear reader, to leave comments ...           sign-in prompt
      1. Thunderbolt                             comment heading, indent 2
        Thunderbolt 25 May 2016 06: 35           author and timestamp
        America is not profitable ...            body, one paragraph a line
      7. Tim
        Tim 25 May 2016 07: 46
        laughing In a word, partners
        1. Aleksandr72                           reply 7.1, indent 4
          Aleksandr72 25 May 2016 09: 37
          In a word, partners

Each level of replies indents two more spaces. The parser is strict about the
structure (numbering, indentation, the timestamp under every heading) and
reports the first problem with its line number, so that a broken page is
fixed rather than imported half-right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from discussion.quotes import detect_quotes

SITE_LINE = 1
INDENT_STEP = 2
#: Longest title and author name the site stores (Article.title, Author.name).
MAX_TITLE = 300
MAX_AUTHOR = 200
#: Replies nested deeper are refused: numbers and paths have a fixed width
#: (Comment.number, Comment.path), and the other importers keep 30 levels too.
MAX_DEPTH = 30
#: Comment.number's width.
MAX_NUMBER = 255

#: Byline prefixes, longest first so that a prefix of another never wins.
BYLINE_PREFIXES = (
    "Observed and commented on",
    "Наблюдал и комментировал",
    "Author:",
    "Автор:",
)

#: The sign-in prompt that separates the article from its comments.
SIGN_IN_MARKERS = ("to leave comments", "оставлять комментарии")

#: Smiley alt texts of the source site. The translator leaves them as a bare
#: lowercase word in front of the comment text.
EMOTICONS = frozenset(
    """
    smile laughing wink sad crying angry negative good fellow lol bully belay
    request wassat hi drinks tongue am yes no what recourse stop
    """.split()  # noqa: SIM905 - a word list reads best as words
)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "января", "январь", "янв"),
            ("february", "feb", "февраля", "февраль", "фев"),
            ("march", "mar", "марта", "март"),
            ("april", "apr", "апреля", "апрель", "апр"),
            ("may", "мая", "май"),
            ("june", "jun", "июня", "июнь", "июн"),
            ("july", "jul", "июля", "июль", "июл"),
            ("august", "aug", "августа", "август", "авг"),
            ("september", "sep", "sept", "сентября", "сентябрь", "сен", "сент"),
            ("october", "oct", "октября", "октябрь", "окт"),
            ("november", "nov", "ноября", "ноябрь", "ноя", "нояб"),
            ("december", "dec", "декабря", "декабрь", "дек"),
        ),
        start=1,
    )
    for name in names
}

TIMESTAMP_FORMAT = '"<author> <day> <month> <year> <hh>:<mm>"'

_HEADING = re.compile(r"(?P<number>\d+)\.\s+(?P<author>\S.*?)\s*")
# The translator turns "06:35" into "06: 35", hence the optional space.
_TIMESTAMP = re.compile(
    r"(?P<author>\S.*?)\s+(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?\s+"
    r"(?P<year>\d{4})\s+(?P<hour>\d{1,2}):\s?(?P<minute>\d{2})\s*"
)
_WHEN = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?\s+"
    r"(?P<year>\d{4})\s+(?P<hour>\d{1,2}):\s?(?P<minute>\d{2})\s*"
)
_AUTHOR_SEPARATOR = re.compile(r",\s*|\s+(?:and|и)\s+")


class PageFormatError(Exception):
    """The page does not follow the expected format.

    ``line`` is 1-based in the input; str() gives "line N: message".
    """

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedQuote:
    """A comment paragraph that quotes the article or the parent comment."""

    source: Literal["article", "parent"]
    #: The quoting paragraph as the comment gives it.
    text: str
    #: The quoted passage as the article or parent gives it.
    passage: str
    #: 1-based index of the quoted article paragraph; None for parent quotes.
    paragraph: int | None
    #: 0-based index of the quoting paragraph in ParsedComment.paragraphs.
    position: int


@dataclass
class ParsedComment:
    #: Dotted thread number: "7", "7.1", "7.1.1".
    number: str
    #: Number of the comment replied to, None for top-level comments.
    parent: str | None
    author: str
    #: Aware, in the timezone given to parse_page.
    created_at: datetime
    #: Body paragraphs, emoticon words removed.
    paragraphs: list[str] = field(default_factory=list)
    quotes: list[ParsedQuote] = field(default_factory=list)
    emoticons: list[str] = field(default_factory=list)
    #: 1-based line of the comment's heading.
    line: int = 0


@dataclass
class ParsedPage:
    site: str
    title: str
    authors: list[str]
    #: The byline's wording before the names, e.g. "Observed and commented on".
    byline_role: str
    body: list[str]
    #: The attribution line under the byline without its "- ", or "".
    attribution: str
    #: Every comment in thread (document) order.
    comments: list[ParsedComment]


@dataclass
class _Line:
    number: int  # 1-based
    indent: int
    text: str  # stripped


@dataclass
class _Open:
    """A comment whose replies may still follow."""

    comment: ParsedComment
    indent: int  # of its heading
    children: int = 0


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


def _quoted(text: str, limit: int = 80) -> str:
    """The offending text for an error message, shortened."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def parse_page(text: str, *, timezone: tzinfo) -> ParsedPage:
    """Parse a saved page and return its article and comments.

    Timestamps are read as wall-clock times in ``timezone`` and returned as
    aware datetimes. Quotes in comments are detected against the article and
    the parent comment. Raises PageFormatError for the first departure from
    the format.
    """
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise PageFormatError(1, "the page is empty")
    for number, line in enumerate(lines, start=1):
        # No saved page has one, and the database cannot store it.
        if "\x00" in line:
            raise PageFormatError(
                number,
                f"column {line.index(chr(0)) + 1}: a NUL character; "
                "is this a binary or damaged file?",
            )
    site = lines[0].strip()
    if not site:
        raise PageFormatError(SITE_LINE, "expected the site name, found a blank line")

    sign_in = _find_sign_in(lines)
    title_index = _next_nonblank(lines, 1, sign_in)
    if title_index is None or _indent(lines[title_index]):
        # Nothing but blank lines before the sign-in prompt (or the end of
        # the file), or the comments start right under the site name.
        found_at = title_index if title_index is not None else sign_in
        if found_at is None:
            raise PageFormatError(
                len(lines) + 1,
                "expected the title after the site name, found end of file",
            )
        raise PageFormatError(
            found_at + 1,
            "expected the title after the site name, "
            f"found {_quoted(lines[found_at].strip())}",
        )
    if sign_in is None:
        # Point at the first comment heading if there is one, so that the
        # message says where the prompt should have been.
        first_indented = next(
            (i for i, line in enumerate(lines) if line.strip() and _indent(line)),
            None,
        )
        line = first_indented + 1 if first_indented is not None else len(lines)
        raise PageFormatError(
            line,
            "expected the sign-in prompt (“… to leave comments …”) before the "
            "comments, found "
            + (
                _quoted(lines[first_indented].strip())
                if first_indented is not None
                else "end of file"
            ),
        )

    title = lines[title_index].strip()
    if len(title) > MAX_TITLE:
        raise PageFormatError(
            title_index + 1,
            f"the title is {len(title)} characters long, more than {MAX_TITLE}; "
            "is the title line missing, so that a paragraph is taken for it?",
        )
    article = [line.strip() for line in lines[title_index + 1 : sign_in]]
    body, authors, role, attribution = _split_byline(article)
    for name in authors:
        if len(name) > MAX_AUTHOR:
            byline = next(
                i for i in range(sign_in - 1, title_index, -1) if name in lines[i]
            )
            raise PageFormatError(
                byline + 1,
                f"the byline names an author of {len(name)} characters, "
                f"more than {MAX_AUTHOR}: {_quoted(name)}",
            )
    comments = _parse_comments(lines, sign_in + 1, timezone)
    _attach_quotes(comments, body)
    return ParsedPage(
        site=site,
        title=title,
        authors=authors,
        byline_role=role,
        body=body,
        attribution=attribution,
        comments=comments,
    )


def _find_sign_in(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        # An indented line is a comment, which may well talk about comments.
        if line.strip() and not _indent(line):
            folded = line.casefold()
            if any(marker in folded for marker in SIGN_IN_MARKERS):
                return index
    return None


def _next_nonblank(lines: list[str], start: int, stop: int | None) -> int | None:
    for index in range(start, len(lines) if stop is None else stop):
        if lines[index].strip():
            return index
    return None


def _split_byline(lines: list[str]) -> tuple[list[str], list[str], str, str]:
    """Split the lines between title and sign-in prompt into body paragraphs,
    authors, byline role and attribution.

    The byline is the last non-blank line (or the one before an attribution
    line starting with "- "); without a recognised byline every line is body.
    """
    nonblank = [line for line in lines if line]
    authors: list[str] = []
    role = attribution = ""
    for candidate in (nonblank[-1:], nonblank[-2:]):
        if not candidate:
            continue
        byline, *rest = candidate
        if rest and not rest[0].startswith("- "):
            continue
        prefix = next((p for p in BYLINE_PREFIXES if byline.startswith(p)), None)
        if prefix is None:
            continue
        role = prefix.rstrip(":")
        names = byline[len(prefix) :].strip()
        authors = [name for name in _AUTHOR_SEPARATOR.split(names) if name]
        attribution = rest[0][2:].strip() if rest else ""
        nonblank = nonblank[: -len(candidate)]
        break
    return nonblank, authors, role, attribution


def _parse_comments(
    lines: list[str], start: int, timezone: tzinfo
) -> list[ParsedComment]:
    content = [
        _Line(number=i + 1, indent=_indent(raw), text=raw.strip())
        for i, raw in enumerate(lines[start:], start=start)
        if raw.strip()
    ]
    comments: list[ParsedComment] = []
    stack: list[_Open] = []
    top_level = 0  # number of the last top-level comment
    index = 0
    while index < len(content):
        line = content[index]
        following = content[index + 1] if index + 1 < len(content) else None
        body_indent = stack[-1].indent + INDENT_STEP if stack else INDENT_STEP
        if line.indent < INDENT_STEP:
            raise PageFormatError(
                line.number,
                f"expected an indented comment line, found {_quoted(line.text)}",
            )
        heading = _HEADING.fullmatch(line.text)
        # A top-level heading is unambiguous (no body text sits at indent 2).
        # Deeper down, "1. Point one" may be body text; it is a reply heading
        # only if something is indented under it, or if it sits left of the
        # current body, where no body text can be.
        is_heading = heading is not None and (
            line.indent == INDENT_STEP
            or line.indent < body_indent
            or (following is not None and following.indent > line.indent)
        )
        if not is_heading:
            if not stack or line.indent == INDENT_STEP:
                raise PageFormatError(
                    line.number,
                    f'expected a comment heading "<number>. <author>", '
                    f"found {_quoted(line.text)}",
                )
            if line.indent < body_indent:
                raise PageFormatError(
                    line.number,
                    f"expected the text of comment {stack[-1].comment.number} "
                    f"indented by {body_indent}, found {_quoted(line.text)} "
                    f"indented by {line.indent}",
                )
            stack[-1].comment.paragraphs.append(line.text)
            index += 1
            continue

        assert heading is not None  # narrowed by is_heading, for the type checker
        if line.indent % INDENT_STEP:
            raise PageFormatError(
                line.number,
                f"comment heading indented by {line.indent}, "
                f"which is not a multiple of {INDENT_STEP}",
            )
        if line.indent > body_indent:
            under = f"comment {stack[-1].comment.number}" if stack else "no comment"
            raise PageFormatError(
                line.number,
                f"reply indented by {line.indent} under {under}; "
                f"expected at most {body_indent}",
            )
        depth = line.indent // INDENT_STEP - 1
        if depth >= MAX_DEPTH:
            raise PageFormatError(
                line.number,
                f"reply nested {depth + 1} levels deep; "
                f"at most {MAX_DEPTH} levels can be imported",
            )
        del stack[depth:]
        parent = stack[-1] if stack else None
        previous = parent.children if parent else top_level
        number = int(heading["number"])
        prefix = f"{parent.comment.number}." if parent else ""
        if number != previous + 1:
            if previous:
                after = f"follows {prefix}{previous}"
            elif parent:
                after = f"is the first reply to {parent.comment.number}"
            else:
                after = "is the first comment"
            raise PageFormatError(
                line.number,
                f"comment number {prefix}{number} {after}; "
                f"expected {prefix}{previous + 1}",
            )
        if parent:
            parent.children = number
        else:
            top_level = number
        comment_number = f"{prefix}{number}"
        if len(comment_number) > MAX_NUMBER:
            raise PageFormatError(
                line.number,
                f"comment number {comment_number[:40]}… is longer than "
                f"{MAX_NUMBER} characters",
            )
        author = heading["author"]
        created_at = _read_timestamp(following, line, author, comment_number, timezone)
        comment = ParsedComment(
            number=comment_number,
            parent=parent.comment.number if parent else None,
            author=author,
            created_at=created_at,
            line=line.number,
        )
        comments.append(comment)
        stack.append(_Open(comment=comment, indent=line.indent))
        index += 2  # the heading and its timestamp line

    for comment in comments:
        comment.emoticons, comment.paragraphs = split_emoticons(comment.paragraphs)
    return comments


def _read_timestamp(
    line: _Line | None,
    heading: _Line,
    author: str,
    number: str,
    timezone: tzinfo,
) -> datetime:
    """Return the creation time from the line under a comment heading."""
    if line is None or line.indent != heading.indent + INDENT_STEP:
        found = _quoted(line.text) if line else "end of file"
        raise PageFormatError(
            line.number if line else heading.number + 1,
            f"expected {TIMESTAMP_FORMAT} under comment {number}, found {found}",
        )
    # Check the heading's author first: a username may itself end in digits
    # or contain spaces, which the generic pattern could split wrongly.
    when = None
    if line.text.startswith(author + " "):
        when = _WHEN.fullmatch(line.text[len(author) + 1 :].lstrip())
    if when is None:
        other = _TIMESTAMP.fullmatch(line.text)
        if other is None:
            raise PageFormatError(
                line.number,
                f"expected {TIMESTAMP_FORMAT} under comment {number}, "
                f"found {_quoted(line.text)}",
            )
        if other["author"] != author:
            raise PageFormatError(
                line.number,
                f'timestamp line names "{other["author"]}" but comment {number} '
                f'is headed "{author}"',
            )
        when = other
    month = MONTHS.get(when["month"].casefold())
    if month is None:
        raise PageFormatError(
            line.number,
            f'cannot read the timestamp of comment {number}: unknown month "'
            f'{when["month"]}"',
        )
    try:
        naive = datetime(  # naive on purpose: made aware just below
            int(when["year"]),
            month,
            int(when["day"]),
            int(when["hour"]),
            int(when["minute"]),
        )
    except ValueError as e:
        raise PageFormatError(
            line.number, f"cannot read the timestamp of comment {number}: {e}"
        ) from None
    # zoneinfo zones resolve the offset on replace(); pytz is not used here.
    moment = naive.replace(tzinfo=timezone)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise PageFormatError(
            line.number,
            f"cannot read the timestamp of comment {number}: "
            f"{naive.isoformat(' ', 'minutes')} is outside the calendar in UTC",
        ) from None
    return moment


def split_emoticons(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Return (emoticons, paragraphs) with the smiley words taken off the
    start of the first paragraph.

    "laughing In a word, partners" gives (["laughing"], ["In a word,
    partners"]). The words only count as smileys when what follows starts
    with a capital letter or nothing follows: on these pages a real sentence
    beginning with such a word goes on in lowercase ("stop people. who needs
    these bearded men?"). A paragraph that was nothing but smileys is dropped.
    """
    if not paragraphs:
        return [], paragraphs
    words = paragraphs[0].split(" ")
    run = 0
    while run < len(words) and words[run] in EMOTICONS:
        run += 1
    # The longest run of smiley words after which the text starts afresh.
    for count in range(run, 0, -1):
        rest = " ".join(words[count:]).strip()
        if not rest or rest[0].isupper():
            first = [rest] if rest else []
            return words[:count], first + paragraphs[1:]
    return [], paragraphs


def _attach_quotes(comments: list[ParsedComment], article: list[str]) -> None:
    by_number = {comment.number: comment for comment in comments}
    for comment in comments:
        parent = by_number[comment.parent].paragraphs if comment.parent else None
        comment.quotes = [
            ParsedQuote(
                source=quote.source,
                text=quote.text,
                passage=quote.passage,
                paragraph=quote.paragraph if quote.source == "article" else None,
                position=quote.position,
            )
            for quote in detect_quotes(comment.paragraphs, article, parent)
        ]


def page_to_json(page: ParsedPage, *, published_at: datetime | None) -> dict[str, Any]:
    """Return the page as a JSON-serialisable dict.

    Comment bodies are their paragraphs joined by blank lines, quotes
    included as plain text and smiley words left out (they are listed under
    "emoticons"). Datetimes are ISO 8601 with their UTC offset.
    """
    return {
        "site": page.site,
        "article": {
            "title": page.title,
            "authors": list(page.authors),
            "published_at": published_at.isoformat() if published_at else None,
            "body": list(page.body),
        },
        "comments": [
            {
                "number": comment.number,
                "parent": comment.parent,
                "author": comment.author,
                "created_at": comment.created_at.isoformat(),
                "body": "\n\n".join(comment.paragraphs),
                "quotes": [
                    {"source": q.source, "text": q.text, "passage": q.passage}
                    for q in comment.quotes
                ],
                "emoticons": list(comment.emoticons),
            }
            for comment in page.comments
        ],
    }
