"""Markdown for comments and articles: markdown-it-py with raw HTML off, then nh3.

Every piece of HTML that Tribune shows from user or editor input comes out of
`render_comment` or `render_article`; templates mark only those outputs safe.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

LINK_REL = "nofollow ugc noopener"
URL_SCHEMES = {"http", "https", "mailto"}

COMMENT_TAGS = {"p", "br", "blockquote", "em", "strong", "a", "ul", "ol", "li", "code"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "p": {"class"}}

ARTICLE_TAGS = COMMENT_TAGS | {
    "h2",
    "h3",
    "h4",
    "hr",
    "pre",
    "img",
    "figure",
    "figcaption",
}
ARTICLE_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "p": {"id", "class"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
}


@dataclass(frozen=True)
class QuoteLink:
    href: str
    label: str


@cache
def _comment_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable("linkify")
    # The comment subset: paragraphs, blockquotes, emphasis, links, lists and
    # inline code. Headings, images, rules and code blocks would let one
    # reader dominate a thread's layout.
    md.disable(["code", "fence", "hr", "heading", "lheading", "image", "reference"])
    return md


@cache
def _article_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True})
    md.enable("linkify")
    return md


def _text_of(tokens: list[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            for child in token.children:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append("\n")
    return "".join(parts).strip()


def _sanitize(html: str, tags: set[str], attributes: dict[str, set[str]]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=attributes,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _blockquote_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """Return (open index, close index) of each top-level blockquote."""
    spans = []
    start = None
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open" and token.level == 0:
            start = index
        elif (
            token.type == "blockquote_close" and token.level == 0 and start is not None
        ):
            spans.append((start, index))
            start = None
    return spans


class ParsedComment:
    """A comment's Markdown, parsed once for its quotes, its HTML and its words
    (posting needs all three; parsing is most of what each costs)."""

    __slots__ = ("_tokens", "text")

    def __init__(self, text: str):
        self.text = text
        self._tokens = _comment_parser().parse(text)

    def quotes(self) -> list[str]:
        """The plain text of each top-level blockquote."""
        tokens = self._tokens
        return [_text_of(tokens[a : b + 1]) for a, b in _blockquote_spans(tokens)]

    def html(self, link_quote: Callable[[str], QuoteLink | None] | None = None) -> str:
        """Sanitized HTML (see render_comment)."""
        md = _comment_parser()
        # Links to quoted passages go into a copy; the tokens stay as parsed.
        tokens = list(self._tokens)
        if link_quote is not None:
            for start, end in reversed(_blockquote_spans(tokens)):
                link = link_quote(_text_of(tokens[start : end + 1]))
                if link is None:
                    continue
                tokens.insert(end, _source_token(link))
        html = md.renderer.render(tokens, md.options, {})
        return _sanitize(html, COMMENT_TAGS, COMMENT_ATTRIBUTES)

    def plain(self) -> str:
        """All its words without markup, as the comment shows them (for search)."""
        return _text_of(self._tokens)


def comment_quotes(text: str) -> list[str]:
    """Return the plain text of each top-level blockquote in a comment."""
    return ParsedComment(text).quotes()


def render_comment(
    text: str, link_quote: Callable[[str], QuoteLink | None] | None = None
) -> str:
    """Return sanitized HTML for a comment's Markdown.

    `link_quote` receives the text of each top-level blockquote and may return
    a link to the passage it quotes, shown at the end of the blockquote.
    """
    return ParsedComment(text).html(link_quote)


def comment_plain_text(text: str) -> str:
    """Return the words of a comment without markup (for search): read as a
    comment, so a line the comment shows as "# 1 reason" keeps its "#"."""
    return ParsedComment(text).plain()


def _source_token(link: QuoteLink) -> Token:
    from html import escape

    token = Token("html_block", "", 0)
    token.content = (
        f'<p class="quote-source"><a href="{escape(link.href)}">'
        f"{escape(link.label)}</a></p>\n"
    )
    return token


def render_article(text: str) -> str:
    """Return sanitized HTML for an article; top-level paragraphs get ids p-1, p-2 …"""
    md = _article_parser()
    tokens = md.parse(text)
    number = 0
    for token in tokens:
        if token.type == "paragraph_open" and token.level == 0:
            number += 1
            token.attrSet("id", f"p-{number}")
    html = md.renderer.render(tokens, md.options, {})
    return _sanitize(html, ARTICLE_TAGS, ARTICLE_ATTRIBUTES)


def article_paragraphs(text: str) -> list[str]:
    """Return the plain text of each top-level paragraph, in the ids' order."""
    tokens = _article_parser().parse(text)
    paragraphs = []
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            paragraphs.append(_text_of([tokens[index + 1]]))
    return paragraphs


def plain_paragraphs(text: str) -> list[str]:
    """Return the plain text of each top-level block of a comment (for quoting)."""
    tokens = _comment_parser().parse(text)
    return [
        _text_of([tokens[i + 1]])
        for i, token in enumerate(tokens)
        if token.type == "paragraph_open" and token.level == 0
    ]


def plain_text(text: str) -> str:
    """Return all the words of a Markdown text without markup (for search).

    Lines are kept apart by newlines; links keep their text, images their alt.
    """
    return _text_of(_article_parser().parse(text))


# "&" too: "&copy;" or "&lt;b&gt;" in plain text must not turn into entities.
_ESCAPED = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~&"})


def escape_markdown(text: str) -> str:
    """Return `text` as Markdown that renders to exactly that text.

    Used for imported plain-text comments: "1) …" or "- Nothing new." must not
    turn into lists.
    """
    escaped = text.translate(_ESCAPED)
    lines = []
    for line in escaped.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped[:1] in {"-", "+", "="}:
            stripped = "\\" + stripped
        else:
            digits = len(stripped) - len(stripped.lstrip("0123456789"))
            if digits > 0 and stripped[digits : digits + 1] in {".", ")"}:
                stripped = stripped[:digits] + "\\" + stripped[digits:]
        lines.append(indent + stripped)
    return "\n".join(lines)


def quote_markdown(text: str) -> str:
    """Return `text` as a Markdown blockquote (each line prefixed with "> ")."""
    return "\n".join(
        "> " + line if line.strip() else ">" for line in text.strip().split("\n")
    )
