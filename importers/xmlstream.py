"""Read records out of a large, untrusted XML export in bounded memory.

Exports from WordPress and Disqus run to hundreds of megabytes, and a file
handed to an importer may be hostile. The document is parsed with
defusedxml's parser (no DTD, no entity declarations, no external
references, so neither XXE nor entity expansion bombs) fed in chunks; each
record element (a WordPress item or comment, a Disqus thread or post) is
handed over as soon as it is complete, with the line it starts on, and then
detached from the tree, so memory holds one record at a time, not the file.

defusedxml.ElementTree.iterparse does the same streaming but hides the
parser, so it cannot say on which line a record starts; driving
DefusedXMLParser with a small tree-building target can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

CHUNK = 64 * 1024
#: Elements open at once. A WordPress export nests 6 deep, Disqus 4 (the
#: HTML of a comment is text, not elements); memory holds every open
#: element, so a file nesting millions deep is refused rather than read.
MAX_DEPTH = 100

#: (tag with "{namespace}", depth where the root is 0) -> is it a record?
RecordTest = Callable[[str, int], bool]


class ImportFormatError(Exception):
    """The file is not a well-formed export of the expected kind.

    ``line`` is 1-based (0 when unknown); str() gives "line N: message".
    """

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class _Target:
    """Builds the tree, handing out and detaching complete record elements."""

    def __init__(self, is_record: RecordTest, line: Callable[[], int]) -> None:
        self._builder = TreeBuilder()
        self._is_record = is_record
        self._line = line
        # Open elements: (element, line if it is a record else 0).
        self._open: list[tuple[Element, int]] = []
        self.root_tag: str | None = None
        self.done: list[tuple[Element, int]] = []

    def start(self, tag, attrs):
        element = self._builder.start(tag, attrs)
        if self.root_tag is None:
            self.root_tag = tag
        depth = len(self._open)
        if depth >= MAX_DEPTH:
            raise ImportFormatError(
                self._line(),
                f"elements nested more than {MAX_DEPTH} deep; exports never "
                "are, so the file is refused",
            )
        self._open.append((element, self._line() if self._is_record(tag, depth) else 0))
        return element

    def end(self, tag):
        element = self._builder.end(tag)
        _, line = self._open.pop()
        if line:
            self.done.append((element, line))
            if self._open:
                # Detached here, the record is freed once its reader is done.
                self._open[-1][0].remove(element)
        return element

    def data(self, data):
        self._builder.data(data)

    def close(self):
        return self._builder.close()


def records(
    stream: BinaryIO, is_record: RecordTest, *, root: Callable[[str], None]
) -> Iterator[tuple[Element, int]]:
    """Yield (element, line) for each record element of the XML in `stream`.

    `root` is called with the root element's tag before any record, and may
    raise ImportFormatError to refuse a document of the wrong kind. Raises
    ImportFormatError for malformed, truncated or hostile XML.
    """
    holder: list = []
    target = _Target(is_record, lambda: holder[0].CurrentLineNumber)
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    expat = parser.parser
    holder.append(expat)
    checked = False
    while True:
        chunk = stream.read(CHUNK)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except ParseError as e:
            line, column = e.position
            raise ImportFormatError(line, _explain(str(e), column)) from None
        except (DTDForbidden, EntitiesForbidden) as e:
            raise ImportFormatError(
                expat.CurrentLineNumber,
                f"the file declares a DTD or entities ({type(e).__name__}); "
                "exports never do, so it is refused",
            ) from None
        except DefusedXmlException as e:
            raise ImportFormatError(
                expat.CurrentLineNumber,
                f"the file refers to external entities ({type(e).__name__}); "
                "it is refused",
            ) from None
        except (ValueError, LookupError) as e:
            # pyexpat reads only single-byte encodings besides UTF-8 and
            # UTF-16 ("multi-byte encodings are not supported"), and only
            # those Python knows ("unknown encoding").
            raise ImportFormatError(
                expat.CurrentLineNumber,
                f"cannot read the encoding the file declares ({e}); save it as UTF-8",
            ) from None
        if not checked and target.root_tag is not None:
            root(target.root_tag)
            checked = True
        done, target.done = target.done, []
        yield from done
        if not chunk:
            return


def _explain(message: str, column: int) -> str:
    # expat says "no element found" at the end of a cut-off file and
    # "not well-formed (invalid token)" for bytes that are not in the
    # declared encoding (or for plain bad XML).
    text = message.split(":", 1)[0]
    if text in ("no element found", "unclosed token"):
        return f"the file ends in the middle of the document ({text}); is it truncated?"
    if text == "not well-formed (invalid token)":
        return (
            f"column {column + 1}: not well-formed (invalid token); "
            "bad XML, or bytes that are not in the encoding the file declares"
        )
    return f"column {column + 1}: {text}"


def ns(tag: str) -> tuple[str, str]:
    """Split "{namespace}local" into (namespace, local)."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def child_text(element: Element, tag: str) -> str:
    """The text of the first child with this exact tag, stripped, or ""."""
    child = element.find(tag)
    if child is None or child.text is None:
        return ""
    return child.text.strip()


_BLOCKS = {
    "p",
    "div",
    "blockquote",
    "li",
    "ul",
    "ol",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "figure",
    "figcaption",
    "hr",
}


class _Paragraphs(HTMLParser):
    """Plain-text paragraphs of HTML, noting which sit in a blockquote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str, bool]] = []
        self._text: list[str] = []
        self._quote_depth = 0
        self._skip = 0
        self._href: list[str | None] = []

    def _flush(self) -> None:
        raw = "".join(self._text)
        self._text = []
        # A blank line in WordPress content is a paragraph break (wpautop).
        for block in raw.replace("\r\n", "\n").split("\n\n"):
            lines = [" ".join(line.split()) for line in block.split("\n")]
            text = "\n".join(line for line in lines if line)
            if text:
                self.paragraphs.append((text, self._quote_depth > 0))

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self._flush()
            if tag == "blockquote":
                self._quote_depth += 1
        elif tag == "br":
            self._text.append("\n")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._text.append("\x00")  # where the link text starts

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self._flush()
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "a" and self._href:
            href = self._href.pop()
            text = "".join(self._text)
            start = text.rfind("\x00")
            label = text[start + 1 :]
            # A link keeps its address in plain text unless the text is it.
            if href and href.startswith(("http://", "https://")) and href != label:
                label = f"{label} ({href})" if label.strip() else href
            self._text = [text[:start], label]

    def handle_data(self, data):
        if not self._skip:
            self._text.append(data)

    def close(self):
        super().close()
        self._flush()


def html_paragraphs(html: str) -> list[tuple[str, bool]]:
    """Return (text, in_blockquote) for each paragraph of an HTML fragment.

    Tags go, entities are decoded, links keep their address in brackets,
    blank lines and block elements separate paragraphs, <br> is a line break.
    """
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    return [(text.replace("\x00", ""), quoted) for text, quoted in parser.paragraphs]
