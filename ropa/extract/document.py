"""Reading a notice: plain text, Markdown, HTML (and PDF when pypdf is installed).

The extractor works on one string, :attr:`Document.text`. For plain text and
Markdown that string *is* the input, so offsets into it are offsets into the
input. For HTML it is the rendered text (tags dropped, entities decoded, block
elements on their own lines, table rows as ``| cell | cell |``) and
:meth:`Document.source_span` maps a span of it back to the span of the input
it came from. For PDF the text is what pypdf extracts; offsets are into that
text (a PDF has no character offsets of its own).
"""
from __future__ import annotations

import bisect
import html
import io
import re
from dataclasses import dataclass, field

from ..errors import FormatError, Problem
from ..formats.text import decode

__all__ = ["Document", "read_document", "html_to_text"]

_BLOCK_TAGS = frozenset({"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "ul", "ol",
                         "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "blockquote", "pre", "form",
                         "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "address", "figure", "figcaption"})
_SKIP_TAGS = ("script", "style", "noscript", "template", "svg", "head")
_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>|<\?.*?\?>"
    r"|<(?P<skip>script|style|noscript|template|svg|head)\b[^>]*>.*?</(?P=skip)\s*>"
    r"|<(?P<close>/)?(?P<tag>[a-zA-Z][\w:-]*)[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);|[^<&]+|[<&]",
    re.S | re.I)


@dataclass
class Document:
    """A notice as text, with the way back to the input.

    ``offsets[i]`` is the (start, end) span of the input that ``text[i]`` was
    rendered from (``None`` for plain text, where text and input are the same).
    ``kind`` is ``text``, ``markdown``, ``html`` or ``pdf``.

    >>> d = read_document(b"<p>Hi &amp; bye</p>", "n.html")
    >>> d.text.strip(), d.source_span(0, 8)
    ('Hi & bye', (3, 15))
    """

    text: str
    name: str
    kind: str
    offsets: list[tuple[int, int]] | None = field(default=None, repr=False)
    # Markdown with HTML tables rendered in place: (text start, input start, offsets of a rendered table or None
    # where text and input are the same), sorted; ``offsets`` stays None (a per-character list would cost a
    # megabyte notice a million tuples)
    pieces: list[tuple[int, int, list[tuple[int, int]] | None]] | None = field(default=None, repr=False)

    def _char(self, i: int) -> tuple[int, int]:
        if self.offsets is not None:
            return self.offsets[i]
        if not self.pieces:
            return i, i + 1
        k = max(0, bisect.bisect_right([p[0] for p in self.pieces], i) - 1)
        ts, ss, offs = self.pieces[k]
        if offs is None:
            return ss + i - ts, ss + i - ts + 1
        return offs[min(i - ts, len(offs) - 1)]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The input span that ``text[start:end]`` was rendered from."""
        if (self.offsets is None and not self.pieces) or start >= end:
            return start, end
        return self._char(start)[0], self._char(end - 1)[1]


def html_to_text(source: str) -> tuple[str, list[tuple[int, int]]]:
    """Render HTML as text with one offset into ``source`` per character.

    Block elements start new lines, list items get a ``- `` marker (indented two spaces per list they are nested
    in, as Markdown writes a nested list), headings a
    ``#`` marker of their level, table cells are joined as ``| a | b |``.

    >>> text, spans = html_to_text("<h2>Who</h2><ul><li>Acme&nbsp;GmbH</li></ul>")
    >>> text.split("\\n")
    ['## Who', '- Acme GmbH', '']
    """
    out: list[str] = []
    offs: list[tuple[int, int]] = []

    def emit(chars: str, at: int, end: int | None = None) -> None:
        """Append ``chars``, all rendered from source[at:end] (end: one character)."""
        for ch in chars:
            out.append(ch)
            offs.append((at, at + 1 if end is None else end))

    def newline(at: int) -> None:
        while out and out[-1] in " \t":
            out.pop()
            offs.pop()
        if out and out[-1] != "\n":
            emit("\n", at)

    def cell_break() -> None:
        """A line break inside a table cell (an address over several lines): a comma, the row stays one line."""
        while out and out[-1] in " \t":
            out.pop()
            offs.pop()
        if out and out[-1] not in ",;:|\n":
            emit(",", at)
            pending[0] = True
        if out and out[-1] != " ":
            emit(" ", at)

    pending = [False]  # a comma of cell_break(), dropped if the next line of the cell opens a bracket
    depth = [0]  # lists open around the text (<ul>, <ol>)

    in_pre = 0
    in_cell = 0
    for m in _TOKEN.finditer(source):
        tok = m.group(0)
        at = m.start()
        if tok.startswith("<!--") or tok.startswith("<![") or tok.startswith("<!") or tok.startswith("<?") \
                or m.group("skip"):
            continue
        tag = (m.group("tag") or "").lower()
        if tag:
            closing = bool(m.group("close"))
            if tag == "pre":
                in_pre += -1 if closing else 1
            if tag in ("td", "th"):
                in_cell = 0 if closing else 1
            if tag == "tr":
                in_cell = 0
            if in_cell and tag in _BLOCK_TAGS | {"li"} and tag not in ("table", "thead", "tbody", "tfoot"):
                cell_break()
                continue
            if tag in ("ul", "ol"):
                depth[0] = max(0, depth[0] + (-1 if closing else 1))
            if tag == "li" and not closing:
                newline(at)
                emit("  " * max(0, depth[0] - 1) + "- ", at)  # a list inside an item is indented, as in Markdown
            elif tag in ("tr",):
                if closing:
                    while out and out[-1] in " \t":
                        out.pop()
                        offs.pop()
                    if out and out[-1] != "\n":
                        emit(" |", at)
                newline(at)
            elif tag in ("td", "th") and not closing:
                if out and out[-1] != "\n":
                    emit(" ", at)
                emit("| ", at)
            elif re.fullmatch(r"h[1-6]", tag):
                newline(at)
                if not closing:
                    emit("#" * int(tag[1]) + " ", at)
            elif tag in _BLOCK_TAGS or tag == "li":
                newline(at)
            continue
        if tok.startswith("&"):
            ch = html.unescape(tok)
            ch = " " if ch in ("\xa0",) else ch
            emit(ch, at, m.end())
            continue
        if in_pre:
            for k, ch in enumerate(tok):
                emit(ch, at + k)
            continue
        # Collapse runs of white space (HTML does); keep one offset per kept character.
        for k, ch in enumerate(tok):
            if ch in " \t\r\n\f\xa0":
                if out and out[-1] not in " \n":
                    emit(" ", at + k)
            else:
                if pending[0]:
                    pending[0] = False
                    if ch == "(" and out[-2:] == [",", " "]:  # "Google Cloud<br>(GCP, Workspace)"
                        del out[-2], offs[-2]
                emit(ch, at + k)
    newline(len(source))
    text = "".join(out)
    return text, offs


_JSX_COMMENT = re.compile(r"\{[ \t]*/\*.*?\*/[ \t]*\}", re.S)


def _blank_jsx_comments(text: str) -> str:
    """A page's JSX comments ("{/* <h2>Partnerprogramme</h2> … */}") blanked, line breaks kept, offsets unchanged:
    a commented-out section is not shown on the page, so it is no part of the notice.

    >>> _blank_jsx_comments("a {/* <p>Acme\\nInc.</p> */} b")
    'a            \\n             b'
    """
    return _JSX_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _looks_html(text: str, name: str) -> bool:
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    if name.lower().endswith((".md", ".markdown", ".mdx")) and re.search(r"^#{1,6}[ \t]+\S", text, re.M):
        return False  # Markdown with some HTML in it (a Jekyll '<div markdown="1">' wrapper): its headings are Markdown
    return bool(re.search(r"<(p|div|body|h[1-6]|ul|li|table)\b", head))


_EMBEDDED_TABLE = re.compile(r"<table\b.*?</table\s*>", re.S | re.I)


def _render_embedded_tables(text: str) -> tuple[str, list[tuple[int, int, list[tuple[int, int]] | None]] | None]:
    """Markdown or text carrying HTML ``<table>`` elements or a list of vendors written as source code (an array
    of objects, :mod:`.sourcecode`): each rendered as ``| cell | cell |`` rows (as an HTML page's tables are),
    the rest left as it is; the pieces map back to the input (None: nothing rendered)."""
    from .sourcecode import object_arrays, yaml_sequences
    regions: list[tuple[int, int, str, list[tuple[int, int]]]] = []
    for m in _EMBEDDED_TABLE.finditer(text):
        rendered, spans = html_to_text(m.group(0))
        regions.append((m.start(), m.end(), rendered, [(m.start() + a, m.start() + b) for a, b in spans]))
    if "{" in text:
        regions += object_arrays(text)
    if re.search(r"(?m)^[ \t]*-[ \t]+[A-Za-z_][\w-]*:", text):
        regions += yaml_sequences(text)
    if not regions:
        return text, None
    regions.sort()
    parts: list[str] = []
    pieces: list[tuple[int, int, list[tuple[int, int]] | None]] = []
    pos = at = 0
    for start, end, rendered, spans in regions:
        if start < pos:
            continue  # (an array inside a table, or a table inside an array: the first one read)
        pieces.append((at, pos, None))
        parts.append(text[pos:start])
        at += start - pos
        pieces.append((at, start, spans))
        parts.append(rendered)
        at += len(rendered)
        pos = end
    pieces.append((at, pos, None))
    parts.append(text[pos:])
    return "".join(parts), pieces


def _render_object_arrays(text: str, offsets: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """A page's text (a web page's source read as HTML: a component whose vendors are an array of objects in its
    code) with each such array rendered as table rows (:mod:`.sourcecode`); ``offsets`` map into the input."""
    if "{" not in text:
        return text, offsets
    from .sourcecode import object_arrays
    arrays = object_arrays(text)
    if not arrays:
        return text, offsets
    parts: list[str] = []
    offs: list[tuple[int, int]] = []
    pos = 0
    for start, end, rendered, spans in arrays:
        parts.append(text[pos:start])
        offs += offsets[pos:start]
        parts.append(rendered)
        offs += [(offsets[a][0], offsets[b - 1][1]) for a, b in spans]
        pos = end
    parts.append(text[pos:])
    offs += offsets[pos:]
    return "".join(parts), offs


def _join_wrapped_rows(text: str) -> str:
    """A PDF's text of a ``| a | b |`` table row longer than the page: the row starts a line with "|" and goes on
    over the next lines until it ends with "|" and has as many cells as the whole row before it (the header
    first); joined back into one line. The wrap may fall on a cell boundary (the next line starts with "|", or
    the line ends with "|" with cells still to come) or a page break (blank lines, dropped). A row that is not
    whole within thirty lines (a long cell of prose) is left as it is.

    >>> _join_wrapped_rows("| Acme | Boston, MA\\n02111 United States |\\nNext")
    '| Acme | Boston, MA 02111 United States |\\nNext'
    >>> _join_wrapped_rows("| Name | Place |\\n| Acme Inc. provides\\nsupport\\n| Boston, USA |")
    '| Name | Place |\\n| Acme Inc. provides support | Boston, USA |'
    >>> _join_wrapped_rows("| Name | What | Where |\\n| Acme | Hosting |\\nDublin, Ireland |")
    '| Name | What | Where |\\n| Acme | Hosting | Dublin, Ireland |'
    """
    def whole(row: str) -> int:
        """The cells of a row that ends with "|" (0 while it does not)."""
        return row.count("|") - 1 if row.endswith("|") and len(row) > 1 else 0

    lines = text.split("\n")
    out: list[str] = []
    width = 0  # cells of the last whole row
    k = 0
    while k < len(lines):
        line = lines[k].strip()
        if line.startswith("|") and (whole(line) if width == 0 else whole(line) >= width):
            width = whole(line)
        elif line.startswith("|") and len(line) > 1:
            row, end = line, None
            for j in range(k + 1, min(k + 30, len(lines))):
                nxt = lines[j].strip()
                if not nxt:
                    continue  # a page break inside the row
                cells = whole(row) or row.count("|")
                if nxt.startswith("|") and nxt != "|" and (cells >= width or row.endswith("|")):
                    break  # the next row (a short row before it is left as it is)
                row = row + " " + nxt
                if whole(row) and (width == 0 or whole(row) >= width):
                    end = j
                    break
            if end is not None:
                out.append(row)
                width = whole(row)
                k = end + 1
                continue
        out.append(lines[k])
        k += 1
    return "\n".join(out)


def _pdf_text(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader  # optional: only for PDF input
    except ImportError:
        raise FormatError(Problem(name, None, None, None,
                                  "PDF input needs the pypdf package (pip install pypdf)")) from None
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types on damaged files
        raise FormatError(Problem(name, None, None, None, f"not a readable PDF ({type(exc).__name__})")) from exc
    text = _join_wrapped_rows("\n\n".join(pages))
    if not text.strip():
        raise FormatError(Problem(name, None, None, None, "the PDF has no extractable text (scanned?)"))
    return text


# A privacy notice or sub-processor list is rarely over 200,000 characters (the longest of the big
# platforms' are about 100,000). The extractor reads a megabyte of text in about half a minute; a
# larger input is refused with a message rather than left running for many minutes. The byte limit
# leaves room for the markup of an HTML page and the overhead of a PDF.
MAX_NOTICE_CHARS = 1_000_000
MAX_NOTICE_BYTES = 8 * 1024 * 1024


def too_long(n: int, limit: int, unit: str) -> str:
    return (f"the notice is {n:,} {unit} long; at most {limit:,} are read (a privacy notice is rarely over "
            "200,000 characters): split it, or give the part with the recipients and transfers")


def _check_length(text: str, name: str) -> None:
    if len(text) > MAX_NOTICE_CHARS:
        raise FormatError(Problem(name, None, None, None, too_long(len(text), MAX_NOTICE_CHARS, "characters")))


def read_document(data: bytes | str, name: str = "notice.txt") -> Document:
    """Read a notice from bytes (or text) and a file name.

    Raises FormatError for empty, binary or undecodable input.

    >>> read_document("We use Acme GmbH.", "n.txt").kind
    'text'
    >>> read_document(b"# Privacy\\nWe use Acme GmbH.", "n.md").kind
    'markdown'
    """
    if len(data) > MAX_NOTICE_BYTES:
        raise FormatError(Problem(name, None, None, None, too_long(len(data), MAX_NOTICE_BYTES, "bytes")))
    if isinstance(data, bytes) and data[:5] == b"%PDF-":
        text = _pdf_text(data, name)
        _check_length(text, name)
        return Document(text, name, "pdf")
    text = decode(data, name) if isinstance(data, bytes) else data
    if not text.strip():
        raise FormatError(Problem(name, None, None, None, "the notice is empty"))
    if "{/*" in text or "{ /*" in text:
        text = _blank_jsx_comments(text)
    if _looks_html(text, name):
        rendered, offsets = html_to_text(text)
        rendered, offsets = _render_object_arrays(rendered, offsets)
        if not rendered.strip():
            raise FormatError(Problem(name, None, None, None, "the HTML page has no text"))
        _check_length(rendered, name)
        return Document(rendered, name, "html", offsets)
    _check_length(text, name)
    kind = "markdown" if name.lower().endswith((".md", ".markdown")) or re.search(r"(?m)^#{1,6} \S", text) else "text"
    text, pieces = _render_embedded_tables(text)
    return Document(text, name, kind, pieces=pieces)
