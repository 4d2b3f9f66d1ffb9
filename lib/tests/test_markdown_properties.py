"""Properties of the Markdown renderer and sanitizer, for any text at all.

Whatever a reader or an editor types, the HTML that comes out is well formed
(every element closed, in order), holds only the allow-listed elements and
attributes, links only to http, https, mailto or this site, has no event
handler, and is a fixed point of the sanitizer: cleaning it again with the
same configuration changes nothing.
"""

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.markdown import (
    ARTICLE_ATTRIBUTES,
    ARTICLE_TAGS,
    COMMENT_ATTRIBUTES,
    COMMENT_TAGS,
    LINK_REL,
    QuoteLink,
    _sanitize,
    render_article,
    render_comment,
)

VOID = {"br", "hr", "img"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    # A failure prints its example; no .hypothesis/ folder in the checkout.
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class _Checker(HTMLParser):
    """Record problems: unbalanced tags, and tags or attributes off the list."""

    def __init__(self, tags: set[str], attributes: dict[str, set[str]]):
        super().__init__(convert_charrefs=True)
        self.allowed_tags = tags
        self.allowed_attributes = attributes
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check_element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._check_element(tag, attrs)
        if tag not in VOID:
            self.problems.append(f"<{tag}/> is not a void element")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"</{tag}> closes a void element")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> does not close {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_comment(self, data):
        self.problems.append("comment left in")

    def handle_decl(self, decl):
        self.problems.append(f"declaration <!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction <?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"unknown declaration {data}")

    def _check_element(self, tag, attrs):
        if tag not in self.allowed_tags:
            self.problems.append(f"<{tag}> is not allowed")
            return
        allowed = self.allowed_attributes.get(tag, set()) | (
            {"rel"} if tag == "a" else set()
        )
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"<{tag}> repeats an attribute")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name not in allowed:
                self.problems.append(f"{name}= is not allowed on <{tag}>")
            if name in ("href", "src") and not _safe_url(value or ""):
                self.problems.append(f"unsafe {name}={value!r}")
            if tag == "a" and name == "rel" and value != LINK_REL:
                self.problems.append(f"rel={value!r}")


def _safe_url(url: str) -> bool:
    """Whether a browser would follow `url` only to a safe scheme or this site.

    The value comes entity-decoded from the parser. Browsers (the WHATWG URL
    parser) strip leading and trailing controls and spaces and drop tabs and
    newlines anywhere before reading the scheme, which is letters, digits,
    "+", "-" and "." before the first ":"; anything else is a relative URL.
    """
    url = re.sub(r"[\t\n\r]", "", url.strip(_C0_AND_SPACE))
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):", url)
    if match is None:
        return True  # relative: a path, a query or a fragment on this site
    return match.group(1).lower() in SAFE_SCHEMES


def _problems(markup: str, tags, attributes) -> list[str]:
    checker = _Checker(tags, attributes)
    checker.feed(markup)
    checker.close()
    if checker.stack:
        checker.problems.append(f"left open: {checker.stack}")
    if checker.rawdata:
        checker.problems.append(f"unparsed tail {checker.rawdata!r}")
    return checker.problems


def _assert_safe(markup: str, tags, attributes) -> None:
    assert _problems(markup, tags, attributes) == [], markup
    # A fixed point of the sanitizer: nothing left for it to remove or fix.
    assert _sanitize(markup, tags, attributes) == markup


# --- strategies ----------------------------------------------------------------

SCHEMES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;script:alert(1)",
    "javascript&colon;alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "DATA:image/svg+xml,<svg onload=alert(1)>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "https://example.org/a?b=c&d=e#f",
    "http://example.org/(paren)",
    "mailto:a@example.org",
    "/articles/x/#c-7",
    "#p-1",
    "?quote=p-2",
]
FRAGMENTS = [
    "*",
    "**",
    "_",
    "__",
    "`",
    "```",
    "~~~",
    "\n",
    "\n\n",
    "> ",
    ">> ",
    "- ",
    "1. ",
    "3) ",
    "# ",
    "## ",
    "    ",
    "\t",
    "---",
    "***",
    "|",
    "| --- |",
    "[",
    "]",
    "(",
    ")",
    "![",
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x0;",
    "&#xD800;",
    "\\",
    '"',
    "'",
    "=",
    " ",
    "\u00a0",
    "\u200b",
    "\u202e",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<style>*{}</style>",
    "<!-- x -->",
    "<![CDATA[x]]>",
    '<p onclick="x()">',
    "</p>",
    "<b>",
    "</div>",
    "<a title='\" onmouseover=alert(1) x=\"'>",
    "<math><mi>x</mi></math>",
    "<http://example.org>",
    "<javascript:alert(1)>",
    "<mailto:a@example.org>",
    "www.example.org",
    "https://example.org/x_y_",
    "a@example.org",
    "[ref]: javascript:alert(1)\n\n[x][ref]",
    "<?php x ?>",
    "<!DOCTYPE html>",
]


@st.composite
def links(draw):
    target = draw(st.sampled_from(SCHEMES) | st.text(max_size=20))
    label = draw(st.text(max_size=10))
    title = draw(st.none() | st.text(max_size=10))
    image = draw(st.booleans())
    titled = f' "{title}"' if title is not None else ""
    bracketed = draw(st.booleans())
    target = f"<{target}>" if bracketed else target
    return f"{'!' if image else ''}[{label}]({target}{titled})"


@st.composite
def tables(draw):
    cells = draw(st.lists(st.text(max_size=6), min_size=1, max_size=3))
    return "| " + " | ".join(cells) + " |\n|" + " --- |" * len(cells) + "\n"


pieces = st.one_of(
    st.sampled_from(FRAGMENTS),
    links(),
    tables(),
    st.text(max_size=12),
)
markdown_text = st.lists(pieces, max_size=25).map("".join)
any_text = st.text(max_size=400)
texts = st.one_of(any_text, markdown_text)


# --- properties ------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(texts)
def test_a_comment_renders_to_safe_well_formed_html(text):
    _assert_safe(render_comment(text), COMMENT_TAGS, COMMENT_ATTRIBUTES)


@PROPERTY_SETTINGS
@given(texts)
def test_an_article_renders_to_safe_well_formed_html(text):
    _assert_safe(render_article(text), ARTICLE_TAGS, ARTICLE_ATTRIBUTES)


@PROPERTY_SETTINGS
@given(st.lists(pieces, max_size=10).map(lambda parts: "> " + "".join(parts)))
def test_a_quote_source_link_stays_escaped(text):
    """The quote's own text becomes the link's label: still only text."""

    def link_quote(quoted: str) -> QuoteLink:
        return QuoteLink(href="/articles/x/#p-1", label=quoted)

    markup = render_comment(text, link_quote)

    _assert_safe(markup, COMMENT_TAGS, COMMENT_ATTRIBUTES)


@PROPERTY_SETTINGS
@given(st.sampled_from(SCHEMES), st.text(max_size=8))
def test_a_dangerous_scheme_never_survives_in_any_form(target, label):
    for text in (
        f"[{label}]({target})",
        f"[{label}](<{target}>)",
        f"[{label}][r]\n\n[r]: {target}",
        f"<{target}>",
        f"![{label}]({target})",
    ):
        _assert_safe(render_comment(text), COMMENT_TAGS, COMMENT_ATTRIBUTES)
        _assert_safe(render_article(text), ARTICLE_TAGS, ARTICLE_ATTRIBUTES)


# --- the checker itself --------------------------------------------------------


def test_the_checker_finds_what_it_must():
    tags, attributes = COMMENT_TAGS, COMMENT_ATTRIBUTES

    assert _problems("<p>a</p>", tags, attributes) == []
    assert _problems("<p>a", tags, attributes) == ["left open: ['p']"]
    assert _problems("<em><strong>a</em></strong>", tags, attributes)
    assert _problems("<script>x</script>", tags, attributes)
    assert _problems('<p onclick="x">a</p>', tags, attributes)
    assert _problems(
        '<a href="jav&#x61;script:x" rel="nofollow ugc noopener">a</a>',
        tags,
        attributes,
    )
    assert _problems(
        '<a href="java\tscript:x" rel="nofollow ugc noopener">a</a>', tags, attributes
    )
    assert _problems('<p style="x">a</p>', tags, attributes)
    assert _problems("<!-- x -->", tags, attributes)
    assert _safe_url("/articles/x/?a=b:c")
    assert _safe_url("https://example.org")
    assert not _safe_url("data:text/html,x")
