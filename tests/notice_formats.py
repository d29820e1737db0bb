"""One notice in the formats a user may have it in: Markdown (the source), HTML, plain text with and without
list bullets, and PDF. A small renderer for the Markdown our notices use (headings, bullets, numbered items,
pipe tables, links, emphasis, paragraphs, raw HTML), written for these tests; not a general Markdown implementation.

Raw HTML in the Markdown (a ``<table>`` block, an inline ``<a>``) passes into the HTML page as Markdown renderers
pass it; the plain text (and the PDF made from it) is what a user copying that page from a browser gets: the
text without tags, an HTML table as rows of cells."""
from __future__ import annotations

import html
import re
import textwrap
from html.parser import HTMLParser

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$")
_REF = re.compile(r"\[([^\]]+)\](?:\[[^\]]*\])?")
_EMPH = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)])\s+")
_SEP = re.compile(r"^\s*\|?\s*:?-{3,}")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


class _TableCells(HTMLParser):
    """The rows of an HTML table as a browser shows them: each cell's text, white space collapsed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table_rows(raw: str) -> list[list[str]]:
    parser = _TableCells()
    parser.feed(raw)
    parser.close()
    return [row for row in parser.rows if row]


def _front_matter(md: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", md, flags=re.S)


# a site generator's link shortcode, '{{< link slug="company/acme" text="Acme" >}}': the site shows a link "Acme"
_SHORTCODE = re.compile(r"""\{\{[<%]\s*link\b[^}]*?\btext=["']([^"']+)["'][^}]*?[>%]\}\}""")


def _shortcode_links(s: str) -> str:
    """Shortcode links as the Markdown links the site renders them as (the HTML and text are what the site shows)."""
    return _SHORTCODE.sub(lambda m: f"[{m.group(1)}](/{re.sub(r'[^a-z0-9]+', '-', m.group(1).lower())})", s)


def _inline_text(s: str) -> str:
    s = _shortcode_links(s)
    s = re.sub(r"<br\s*/?>", " ", s)
    s = html.unescape(_TAG.sub("", s)) if _TAG.search(s) else s
    s = _LINK.sub(r"\1", s)
    s = _REF.sub(r"\1", s)
    s = _EMPH.sub(r"\2", s)
    s = re.sub(r"<br\s*/?>", " ", s)
    return s.replace("`", "")


def _inline_html(s: str) -> str:
    """Markdown inline syntax as HTML; raw HTML tags in it pass through unchanged."""
    s = _shortcode_links(s)
    if _TAG.search(s):
        parts, pos = [], 0
        for m in _TAG.finditer(s):
            parts.append(_inline_html(s[pos:m.start()]) + m.group(0))
            pos = m.end()
        return "".join(parts) + _inline_html(s[pos:])
    out, pos = [], 0
    for m in _LINK.finditer(s):
        out.append(html.escape(_EMPH.sub(r"\2", s[pos:m.start()])))
        out.append(f'<a href="{html.escape(m.group(2))}">{html.escape(m.group(1))}</a>')
        pos = m.end()
    out.append(html.escape(_EMPH.sub(r"\2", _REF.sub(r"\1", s[pos:]))))
    return "".join(out).replace("&lt;br/&gt;", "<br>").replace("`", "")


def _blocks(md: str):
    """(kind, payload): heading (level, text), item (text), row (cells), para (text), table (raw HTML)."""
    para: list[str] = []
    lines = _front_matter(md).split("\n")
    raw_table: list[str] | None = None
    indents: list[int] = []  # the bullets' indentation of the list items open around the next one
    for n, line in enumerate(lines):  # "3. Google Analytics" alone on its line, a blank line after: a heading
        num = re.match(r"(\d+(?:\.\d+)*)\.?\s+(\S.*)$", line)
        after = lines[n + 1] if n + 1 < len(lines) else ""
        if num and len(line) <= 70 and not line.rstrip().endswith((".", ";", ",", ":")) and not after.strip():
            lines[n] = "#" * (num.group(1).count(".") + 2) + " " + num.group(2)
    for raw in lines:
        line = raw.rstrip()
        if raw_table is None and re.match(r"\s*<table\b", line, re.I):
            if para:
                yield "para", " ".join(para)
                para = []
            raw_table = []
        if raw_table is not None:
            raw_table.append(line)
            if re.search(r"</table\s*>", line, re.I):
                yield "table", "\n".join(raw_table)
                raw_table = None
            continue
        if _REF_DEF.match(line):
            continue
        kind = None
        if not line.strip():
            kind = "blank"
        elif re.match(r"#{1,6}\s", line):
            kind = "heading"
        elif line.lstrip().startswith("|"):
            kind = "row"
        elif _BULLET.match(line):
            kind = "item"
        if kind is None:
            para.append(line.strip())
            continue
        if para:
            yield "para", " ".join(para)
            para = []
        if kind in ("heading", "row"):
            indents = []
        if kind == "heading":
            hashes = len(line) - len(line.lstrip("#"))
            yield "heading", (hashes, line.lstrip("#").strip())
        elif kind == "row":
            if not _SEP.match(line):
                yield "row", [c.strip() for c in line.strip().strip("|").split("|")]
        elif kind == "item":
            indent = len(_BULLET.match(line).group(1).expandtabs(4))
            while indents and indents[-1] >= indent:
                indents.pop()
            yield "item", (len(indents), line[_BULLET.match(line).end():].strip())  # (how deep it is nested, text)
            indents.append(indent)
        else:
            yield "blank", None
    if raw_table is not None:
        yield "table", "\n".join(raw_table)
    if para:
        yield "para", " ".join(para)


def to_html(md: str) -> str:
    out = ["<!DOCTYPE html><html><head><title>Notice</title></head><body>"]
    open_list = 0  # lists open (nested ones inside an item)
    open_table = first_row = False
    for kind, payload in _blocks(md):
        if kind != "item" and open_list:
            out.append("</li></ul>" * open_list)
            open_list = 0
        if kind != "row" and open_table:
            out.append("</table>")
            open_table = False
        if kind == "heading":
            level, text = payload
            out.append(f"<h{level}>{_inline_html(text)}</h{level}>")
        elif kind == "item":  # a nested list inside its parent item, as a Markdown renderer writes it
            depth, text = payload
            if depth + 1 > open_list:
                out.append("<ul>" * (depth + 1 - open_list))
            else:
                out.append("</li></ul>" * (open_list - depth - 1) + "</li>")
            open_list = depth + 1
            out.append(f"<li>{_inline_html(text)}")
        elif kind == "row":
            if not open_table:
                out.append("<table>")
                open_table, first_row = True, True
            tag = "th" if first_row else "td"
            out.append("<tr>" + "".join(f"<{tag}>{_inline_html(c)}</{tag}>" for c in payload) + "</tr>")
            first_row = False
        elif kind == "table":
            out.append(payload)
        elif kind == "para":
            out.append(f"<p>{_inline_html(payload)}</p>")
    out.append("</li></ul>" * open_list)
    out.append("</table>" if open_table else "")
    out.append("</body></html>")
    return "\n".join(out)


def to_text(md: str, bullets: bool = True) -> str:
    """Plain text: headings as their own lines, list items with "- " (or none), tables as pipe rows."""
    out: list[str] = []
    for kind, payload in _blocks(md):
        if kind == "heading":
            out += ["", _inline_text(payload[1]), ""]
        elif kind == "item":  # a nested item indented under its parent, as in Markdown
            out.append(("  " * payload[0] + "- " if bullets else "") + _inline_text(payload[1]))
        elif kind == "row":
            out.append("| " + " | ".join(_inline_text(c) for c in payload) + " |")
        elif kind == "table":
            out += ["| " + " | ".join(cells) + " |" for cells in _table_rows(payload)] + [""]
        elif kind == "para":
            out += [_inline_text(payload), ""]
        else:
            out.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def to_pdf(md: str) -> bytes:
    """A PDF of the plain text wrapped at 100 characters as a page would (Helvetica, WinAnsi encoding)."""
    lines = []
    for line in to_text(md).split("\n"):
        line = line.encode("cp1252", "replace").decode("cp1252")  # WinAnsiEncoding: “quotes” and € survive
        lines += textwrap.wrap(line, 100, break_long_words=False, break_on_hyphens=False) if line else [""]
    pages, per = [], 50
    for k in range(0, len(lines), per):
        body = " ".join("(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
                        for ln in lines[k:k + per])
        pages.append("BT /F1 9 Tf 40 800 Td 14 TL " + body + " ET")
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for content in pages:
        objs.append(None)
        page_no = len(objs)
        objs.append(f"<< /Length {len(content.encode('cp1252'))} >>\nstream\n{content}\nendstream")
        objs[page_no - 1] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents {page_no + 1} 0 R "
                             f"/Resources << /Font << /F1 FONT 0 R >> >> >>")
        kids.append(page_no)
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    font = len(objs)
    objs = [o.replace("FONT", str(font)) if o else o for o in objs]
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("cp1252")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode() + "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
