"""Comment and article Markdown: the allowed subset, XSS resistance, escaping."""

import html
import re
from html.parser import HTMLParser

import pytest

from lib.markdown import (
    ARTICLE_ATTRIBUTES,
    ARTICLE_TAGS,
    COMMENT_ATTRIBUTES,
    COMMENT_TAGS,
    LINK_REL,
    ParsedComment,
    QuoteLink,
    article_paragraphs,
    comment_plain_text,
    comment_quotes,
    escape_markdown,
    plain_text,
    quote_markdown,
    render_article,
    render_comment,
)

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Collector(HTMLParser):
    """Collect every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(markup: str) -> _Collector:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


def _text(markup: str) -> str:
    return "".join(_parse(markup).text).strip()


def _scheme(url: str) -> str:
    """The scheme a browser would see: entities decoded, controls and spaces gone."""
    url = html.unescape(url)
    url = re.sub(r"[\x00-\x20\x7f]", "", url)
    return url.lower()


def _assert_inert(markup: str, tags: set[str], attributes: dict[str, set[str]]):
    assert "<script" not in markup.lower()
    for tag, attrs in _parse(markup).tags:
        assert tag in tags, f"unexpected <{tag}> in {markup!r}"
        allowed = attributes.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler in {markup!r}"
            assert name in allowed, f"unexpected {name}= on <{tag}> in {markup!r}"
            if name in ("href", "src"):
                assert not _scheme(value or "").startswith(DANGEROUS_SCHEMES), (
                    f"dangerous URL in {markup!r}"
                )
            if tag == "a" and name == "rel":
                assert value == LINK_REL


# --- the comment subset ------------------------------------------------------


def test_it_renders_the_comment_subset():
    markup = render_comment(
        "A *point* and **a stronger one**, see [this](https://example.org/a).\n\n"
        "> What they said\n\n"
        "- one\n- two\n\n"
        "3. three\n4. four\n\n"
        "Use `code` here."
    )

    tags = [tag for tag, _ in _parse(markup).tags]
    assert set(tags) == {
        "p",
        "em",
        "strong",
        "a",
        "blockquote",
        "ul",
        "ol",
        "li",
        "code",
    }
    assert '<a href="https://example.org/a" rel="nofollow ugc noopener">this</a>' in (
        markup
    )
    assert '<ol start="3">' in markup


def test_it_turns_a_line_break_into_br_in_comments():
    assert render_comment("first\nsecond") == "<p>first<br>\nsecond</p>\n"


def test_it_links_bare_addresses_in_comments_with_rel():
    markup = render_comment("See https://example.org/page for more.")

    assert '<a href="https://example.org/page" rel="nofollow ugc noopener">' in markup


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# Shouting", "# Shouting"),
        ("## Also shouting", "## Also shouting"),
        ("Title\n=====", "Title\n====="),
        ("<b>bold</b> <i>it</i>", "<b>bold</b> <i>it</i>"),
        ("<div class='x'>block</div>", "<div class='x'>block</div>"),
        ("    indented", "indented"),
        ("---", "---"),
    ],
)
def test_it_shows_headings_rules_and_raw_html_as_text_in_comments(text, shown):
    markup = render_comment(text)

    assert {tag for tag, _ in _parse(markup).tags} <= {"p", "br"}
    assert _text(markup) == shown


def test_it_does_not_embed_images_in_comments():
    markup = render_comment("![a cat](https://example.org/cat.png)")

    assert "<img" not in markup
    assert "a cat" in _text(markup)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "&#106;avascript:alert(1)",
    ],
)
@pytest.mark.parametrize("render", [render_comment, render_article])
def test_it_gives_dangerous_links_no_href(render, url):
    markup = render(f"[click me](<{url}>) and [again]({url})")

    for tag, attrs in _parse(markup).tags:
        if tag == "a":
            assert not _scheme(attrs.get("href") or "").startswith(DANGEROUS_SCHEMES)
    assert "click me" in _text(markup)


def test_it_keeps_mailto_links():
    markup = render_comment("[write](mailto:desk@example.org)")

    assert 'href="mailto:desk@example.org"' in markup


# --- XSS corpus --------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=javascript:alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=javascript:alert(1)>x</math>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<a href="javascript:alert(1)">raw link</a>',
    '<a href="&#106;avascript:alert(1)">raw entity link</a>',
    "<a href='vbscript:msgbox(1)'>vb</a>",
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    "<marquee onstart=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=javascript:alert(1)//>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "[x](javascript:alert(1))",
    "[x](javascript:alert%281%29)",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#x0A;ascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
    "[x](&#0000106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1) )",
    "[x](\x01javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '[x](https://example.org "title" onmouseover="alert(1)")',
    '[x](https://example.org" onmouseover="alert(1))',
    "[x]: javascript:alert(1)\n\n[x]",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '![x"onerror="alert(1)](https://example.org/a.png)',
    "<javascript:alert(1)>",
    '<https://example.org/"onmouseover="alert(1)>',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</p><script>alert(1)</script><p>",
    "> <script>alert(1)</script>\n> [q](javascript:alert(1))",
    "- <img src=x onerror=alert(1)>\n- [y](vbscript:x)",
    "*<svg/onload=alert(1)>*",
    '<a href="https://example.org" onclick="alert(1)">click</a>',
    "www.example.org/<script>alert(1)</script>",
]


def test_the_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 40
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_xss_payloads_inert_in_comments(payload):
    _assert_inert(render_comment(payload), COMMENT_TAGS, COMMENT_ATTRIBUTES)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_xss_payloads_inert_in_articles(payload):
    _assert_inert(render_article(payload), ARTICLE_TAGS, ARTICLE_ATTRIBUTES)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_xss_payloads_inert_in_quote_links(payload):
    markup = render_comment(
        "> quoted", lambda text: QuoteLink(href=payload, label=payload)
    )

    _assert_inert(markup, COMMENT_TAGS, COMMENT_ATTRIBUTES)


# --- quote links ---------------------------------------------------------------


def test_it_links_a_quote_to_its_source_inside_the_blockquote():
    seen = []

    def link_quote(text):
        seen.append(text)
        return QuoteLink(href="/articles/syria/#p-2", label="paragraph 2")

    markup = render_comment(
        "> They were asked,\n> they refused.\n\nI agree.", link_quote
    )

    assert seen == ["They were asked, they refused."]
    assert markup.startswith("<blockquote>")
    blockquote = markup[: markup.index("</blockquote>")]
    assert (
        '<p class="quote-source"><a href="/articles/syria/#p-2" '
        'rel="nofollow ugc noopener">paragraph 2</a></p>'
    ) in blockquote
    assert "<p>I agree.</p>" in markup[markup.index("</blockquote>") :]


def test_it_leaves_a_quote_without_a_source_alone():
    markup = render_comment("> Something nobody wrote", lambda text: None)

    assert "quote-source" not in markup
    assert "<blockquote>" in markup


def test_it_links_each_top_level_quote_but_not_nested_ones():
    labels = iter(["first", "second", "third"])

    def link_quote(text):
        return QuoteLink(href=f"/q/{text[:3]}", label=next(labels))

    markup = render_comment("> one\n>> nested\n\nmiddle\n\n> two", link_quote)

    assert markup.count("quote-source") == 2
    assert ">first</a>" in markup and ">second</a>" in markup


def test_it_returns_the_text_of_each_top_level_quote():
    assert comment_quotes("> a *b*\n> c\n\nx\n\n> `d`") == ["a b c", "d"]


# --- articles --------------------------------------------------------------------

ARTICLE = """First paragraph.

> A quoted paragraph.

- a list item

Second paragraph with **bold**.

## A heading

Third paragraph.
"""


def test_it_numbers_only_top_level_paragraphs():
    markup = render_article(ARTICLE)

    ids = [attrs["id"] for tag, attrs in _parse(markup).tags if "id" in attrs]
    assert ids == ["p-1", "p-2", "p-3"]
    assert '<p id="p-1">First paragraph.</p>' in markup
    assert "<blockquote>\n<p>A quoted paragraph.</p>" in markup
    assert "<li>a list item</li>" in markup
    assert '<p id="p-2">Second paragraph with <strong>bold</strong>.</p>' in markup
    assert "<h2>A heading</h2>" in markup
    assert '<p id="p-3">Third paragraph.</p>' in markup


def test_it_lists_the_paragraphs_that_carry_the_ids():
    assert article_paragraphs(ARTICLE) == [
        "First paragraph.",
        "Second paragraph with bold.",
        "Third paragraph.",
    ]


def test_it_allows_images_and_code_blocks_in_articles():
    markup = render_article(
        "![A map](https://example.org/map.png)\n\n```python\nprint(1)\n```"
    )

    assert '<img src="https://example.org/map.png" alt="A map">' in markup
    assert '<pre><code class="language-python">print(1)\n</code></pre>' in markup


def test_it_shows_raw_html_in_articles_as_text():
    markup = render_article('<p id="p-1" style="color:red">fake</p>\n\nreal')

    tags = _parse(markup).tags
    assert tags == [("p", {"id": "p-1"}), ("p", {"id": "p-2"})]
    assert _text(markup).startswith('<p id="p-1" style="color:red">fake</p>')


# --- escape_markdown and quote_markdown ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1) The US",
        "2. The EU",
        "- Nothing new.",
        "+ plus",
        "= equals",
        "*x* _y_ <b> # h",
        "# Not a heading",
        "> not a quote",
        "[not](a link)",
        "![not](an image)",
        "`not code`",
        "back\\slash",
        "a | b ~~c~~",
        "***",
        "  - indented dash",
        "1986. A fine year",
    ],
)
def test_it_escapes_plain_text_so_it_shows_literally(text):
    markup = render_comment(escape_markdown(text))

    # HTML drops leading spaces anyway; everything else must show as typed.
    assert _text(markup) == text.strip()
    assert {tag for tag, _ in _parse(markup).tags} <= {"p", "br"}


def test_it_escapes_every_line_of_plain_text():
    text = "Points:\n1) The US\n- Nothing new.\n# h"

    markup = render_comment(escape_markdown(text))

    assert _text(markup) == text
    assert markup.count("<br>") == 3


@pytest.mark.parametrize("text", ["&copy; 2015", "&lt;b&gt; is bold", "AT&amp;T"])
def test_it_escapes_entities_in_plain_text(text):
    markup = render_comment(escape_markdown(text))

    assert _text(markup) == text


def test_it_quotes_text_as_a_blockquote():
    quoted = quote_markdown("\nFirst line\n\nSecond line\n")

    assert quoted == "> First line\n>\n> Second line"
    assert comment_quotes(quoted) == ["First line\nSecond line"]
    assert render_comment(quoted).startswith("<blockquote>\n<p>First line</p>")


def test_plain_text_keeps_every_word_and_no_markup():
    text = (
        "## Heading\n\nSome *emphasis* and a [link](https://example.org).\n\n"
        "> A quote\n\n- one\n- two\n\n<b>typed tags</b> stay text"
    )
    assert plain_text(text) == (
        "Heading\nSome emphasis and a link.\nA quote\none\ntwo\n"
        "<b>typed tags</b> stay text"
    )


def test_a_parsed_comment_gives_what_each_function_gives():
    text = (
        "> First quoted line\n> goes on.\n\nMy **answer**, see https://example.org\n\n"
        "> Second quote\n\n# not a heading in a comment"
    )
    parsed = ParsedComment(text)
    assert (
        parsed.quotes()
        == comment_quotes(text)
        == [
            "First quoted line goes on.",
            "Second quote",
        ]
    )

    def link(quoted):
        return (
            QuoteLink("#c1", "quoting comment 1") if quoted == "Second quote" else None
        )

    assert parsed.html(link) == render_comment(text, link)
    # Linking quotes works on a copy: the parsed tokens stay as they were.
    assert parsed.html() == render_comment(text)
    assert parsed.html(link) != parsed.html()
    assert parsed.plain() == comment_plain_text(text)
    assert "# not a heading in a comment" in parsed.plain()
    assert "My answer, see https://example.org" in parsed.plain()
