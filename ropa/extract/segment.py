"""Blocks, sections, lists, table rows and sentences of a notice, with offsets.

A notice is cut into *blocks* (a heading, a list item, a table row or a
paragraph), blocks into *sentences*. Every sentence knows its character span in
the document text, the section (heading) it sits under and, for list items and
table rows, the list it belongs to and that list's introduction ("We share
data with:"), so a claim made once for a list can be applied to its items.
Nothing here knows about recipients or the GDPR; it is layout only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Block", "Sentence", "Section", "ListGroup", "Layout", "segment", "split_sentences"]

_BULLET = r"[-*+•·–—▪●◦‣►✓]"
_MARKER = re.compile(
    r"^(?P<marker>" + _BULLET + r"|\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,5})[.)]|\((?:\d{1,2}|[a-zA-Z]|[ivx]{1,5})\))\s+")
_NUMBERED_HEADING = re.compile(
    r"^(?P<num>(?:\d{1,2})(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.|\d{1,2}(?:e|de|ste|th|st|nd|rd)|§\s*\d+)\s+(?P<title>\S.*)$")
# (a title wrapped whole in emphasis, "### __Acme Inc, Verenigde Staten__", is read without it)
_MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?:(?P<em>\*\*|__)(?=\S))?(?P<title>.*?)(?(em)(?P=em))\s*#*\s*$")
_BOLD_LINE = re.compile(r"^(\*\*|__)\s*(?P<title>[^*_\n]{2,70}?)\s*\1$")  # "**Contact Form**" alone on its line
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ROMAN = re.compile(r"^[ivx]{1,5}$", re.I)
_TERMINAL = (".", ";", ",", ":", "!")

# Words after which a full stop does not end a sentence (lower case, without the dot).
def _abbreviations() -> frozenset[str]:
    from . import vocab  # data/extract/abbreviations.csv: a word followed by "." that ends no sentence
    return frozenset(r["word"].casefold() for r in vocab.rows("abbreviations.csv"))


ABBREVIATIONS = _abbreviations()


@dataclass
class Block:
    """A heading, list item, table row or paragraph."""

    idx: int
    start: int           # span of the content (marker excluded) in the document text
    end: int
    kind: str            # heading | item | row | para
    text: str
    level: int = 0       # heading level (1 = top)
    marker: str = ""
    indent: int = 0
    section: int = 0
    list_id: int | None = None
    cells: list[tuple[int, int]] = field(default_factory=list)  # table cells (spans), rows only


@dataclass
class Sentence:
    """One sentence (or a whole heading / list item / table row when it has no full stop)."""

    idx: int
    start: int
    end: int
    text: str
    block: int
    section: int
    kind: str            # the block's kind
    first: bool          # first sentence of its block


@dataclass
class Section:
    """A heading and everything under it until the next heading of the same or a higher level."""

    idx: int
    title: str
    level: int
    parent: int | None
    heading_block: int | None
    start: int
    end: int = 0


@dataclass
class ListGroup:
    """Consecutive list items (or table rows) of one kind, with the text that introduces them."""

    idx: int
    kind: str             # bullet | number | letter | roman | plain | table
    indent: int
    intro: int | None     # block index of the introduction (a paragraph or item ending with ':')
    parent_item: int | None
    items: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)   # table header cells
    last_marker: str = ""


@dataclass
class Layout:
    """The layout of a document: blocks, sentences, sections and lists."""

    text: str
    blocks: list[Block]
    sentences: list[Sentence]
    sections: list[Section]
    lists: list[ListGroup]
    _by_block: dict[int, list[Sentence]] | None = field(default=None, repr=False, compare=False)

    def section_chain(self, section: int) -> list[int]:
        """The section and its ancestors, innermost first."""
        chain = []
        s: int | None = section
        while s is not None:
            chain.append(s)
            s = self.sections[s].parent
        return chain

    def sentences_of_block(self, block: int) -> list[Sentence]:
        """The sentences of one block."""
        if self._by_block is None:
            self._by_block = {}
            for s in self.sentences:
                self._by_block.setdefault(s.block, []).append(s)
        return list(self._by_block.get(block, []))


def split_sentences(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets shifted by ``start``), abbreviation-aware.

    >>> t = "We use Acme Inc. for mail. Data stay in the EU, e.g. in Frankfurt. Done"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['We use Acme Inc. for mail.', 'Data stay in the EU, e.g. in Frankfurt.', 'Done']
    """
    spans = []
    begin = 0
    for m in re.finditer(r"[.!?]+[\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-ZÀ-ÖØ-Þ0-9•])", text):
        cut = m.start(1)
        before = text[begin:m.start() + 1]
        word = re.search(r"([\w.]+)\.$", before)
        if word:
            w = word.group(1).lower()
            if w in ABBREVIATIONS or (len(w) == 1 and w.isalpha()) or re.fullmatch(r"(\w\.)+\w", w) \
                    or w.endswith("str"):  # "Industriestr. 25"
                continue
        if m.group(0)[0] == "." and text[max(0, m.start() - 1):m.start()].isdigit() and re.match(r"\s+\d", text[m.start(1):m.start(1) + 40]):
            continue  # "Art. 6. 1" style numbering
        spans.append((begin, cut))
        begin = m.end()
    if begin < len(text):
        spans.append((begin, len(text)))
    out = []
    for a, b in spans:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            out.append((start + a + lead, start + a + trail))
    return out


def _lines(text: str) -> list[tuple[int, int, int]]:
    """(content start, content end, indent) of every non-blank line."""
    out = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            indent = len(body[:lead].expandtabs(4))
            out.append((pos + lead, pos + lead + len(stripped), indent))
        else:
            out.append((pos, pos, -1))  # blank line
        pos += len(raw)
    return out


def _marker_kind(marker: str, open_list: ListGroup | None) -> str:
    core = marker.strip("().")
    if re.fullmatch(_BULLET, marker):
        return "bullet"
    if core.isdigit():
        return "number"
    if _ROMAN.match(core):
        if len(core) == 1 and open_list is not None and open_list.kind == "letter":
            prev = open_list.last_marker.strip("().").lower()
            if prev and ord(core.lower()) == ord(prev) + 1:
                return "letter"  # "h." then "i.": a letter, not roman one
        if len(core) > 1 or core.lower() in "ivx":
            return "roman"
    return "letter"


def _in_line_run(raw: list[tuple[int, int, int]], n: int) -> bool:
    """Whether line ``n`` has a non-blank line right before or after it: a list written without bullets
    ("We share data with:" then one line per recipient) rather than a paragraph."""
    return (n + 1 < len(raw) and raw[n + 1][2] >= 0) or (n > 0 and raw[n - 1][2] >= 0)


def segment(text: str) -> Layout:
    """Cut ``text`` into blocks, sections, lists and sentences.

    >>> lay = segment("1. Sharing\\nWe share data with:\\n- Acme GmbH, our host.\\n- Beta Inc.\\n")
    >>> [(b.kind, b.text) for b in lay.blocks]
    [('heading', 'Sharing'), ('para', 'We share data with:'), ('item', 'Acme GmbH, our host.'), ('item', 'Beta Inc.')]
    >>> lay.lists[0].intro, lay.lists[0].items
    (1, [2, 3])
    """
    lines = _lines(text)
    # Join wrapped lines: a long line without final punctuation continued by a line starting in lower case.
    raw: list[tuple[int, int, int]] = []
    for a, b, indent in lines:
        if indent < 0:
            raw.append((a, a, -1))
            continue
        line = text[a:b]
        if raw and raw[-1][2] >= 0:
            pa, pb, pind = raw[-1]
            prev = text[pa:pb]
            # a wrapped line: lower case next, or (hard-wrapped Markdown) a long line ending mid-phrase, i.e. on a
            # word or a comma, followed at the same indentation by a line that is no marker, heading or table row
            wrapped = line[:1].islower() or (len(prev) > 60 and re.search(r"[\w,]$", prev) is not None
                                             and indent == pind and not line.startswith(("#", "|")))
            # a comma inside an open bracket ends no block: "(such as Asana, Dropbox," wrapped before "Jira, etc)"
            open_bracket = prev.endswith(",") and prev.count("(") > prev.count(")")
            if (len(prev) > 60 and (not prev.endswith(_TERMINAL + ("?",)) or open_bracket) and wrapped
                    and not _MARKER.match(line) and not prev.startswith(("|", "#"))):
                raw[-1] = (pa, b, pind)
                continue
        raw.append((a, b, indent))

    blocks: list[Block] = []
    sections = [Section(0, "", 0, None, None, 0)]
    section_stack = [0]
    lists: list[ListGroup] = []
    list_stack: list[ListGroup] = []
    numbered_level = 0
    bold_sections: set[int] = set()
    prev_blank = True
    table: ListGroup | None = None

    def open_section(title: str, level: int, block_idx: int, at: int) -> int:
        while len(section_stack) > 1 and sections[section_stack[-1]].level >= level:
            sections[section_stack.pop()].end = at
        sec = Section(len(sections), title, level, section_stack[-1], block_idx, at)
        sections.append(sec)
        section_stack.append(sec.idx)
        return sec.idx

    following: list[tuple[int, int, int] | None] = [None] * len(raw)  # the next non-blank line after each
    upcoming = None
    for n in range(len(raw) - 1, -1, -1):
        following[n] = upcoming
        if raw[n][2] >= 0:
            upcoming = raw[n]

    for n, (a, b, indent) in enumerate(raw):
        if indent < 0:
            prev_blank = True
            continue
        line = text[a:b]
        nxt = following[n]
        idx = len(blocks)
        prev_block = blocks[-1] if blocks else None
        intro_open = prev_block is not None and prev_block.text.rstrip().endswith(":")
        in_list = bool(list_stack) and prev_block is not None and prev_block.kind == "item"

        # -- table rows
        if line.startswith("|") or (line.count(" | ") >= 2):
            if _TABLE_SEP.match(line):
                prev_blank = False
                continue
            cells = []
            pos = a
            for part in re.split(r"(\|)", line):
                if part == "|":
                    pos += 1
                    continue
                if part.strip():
                    lead = len(part) - len(part.lstrip())
                    cells.append((pos + lead, pos + lead + len(part.strip())))
                pos += len(part)
            if table is None or prev_block is None or prev_block.kind != "row":
                intro = prev_block.idx if prev_block is not None and prev_block.kind in ("para", "item") else None
                table = ListGroup(len(lists), "table", indent, intro, None)
                table.header = [text[x:y] for x, y in cells]
                lists.append(table)
                blocks.append(Block(idx, a, b, "row", line, section=section_stack[-1], list_id=table.idx,
                                    cells=cells, indent=indent))
                prev_blank = False
                continue  # the header row is a block but not an item
            table.items.append(idx)
            blocks.append(Block(idx, a, b, "row", line, section=section_stack[-1], list_id=table.idx,
                                cells=cells, indent=indent))
            prev_blank = False
            continue
        table = None

        # -- headings
        md = _MD_HEADING.match(line)
        num = _NUMBERED_HEADING.match(line)
        bold = _BOLD_LINE.match(line)
        short = len(line) <= 100 and not line.endswith(_TERMINAL)
        heading_level = None
        title = line
        if md:
            heading_level = len(md.group("hashes"))
            title = md.group("title")
        elif bold and prev_blank and nxt is not None and not bold.group("title").endswith(_TERMINAL) \
                and bold.group("title")[:1].isupper():
            # a bold line on its own ("**Contact Form**") heads the paragraphs and lists after it: a sibling of
            # the bold heading before it, else a sub-heading of the section it is in
            cur = sections[section_stack[-1]]
            heading_level = cur.level if cur.idx in bold_sections else cur.level + 1
            title = bold.group("title")
        elif num and short and (not intro_open or "." in num.group("num").rstrip(".")) and len(num.group("title")) >= 2 \
                and not (in_list and list_stack[-1].kind == "number" and not num.group("num")[0] in "IVX§"
                         and "." not in num.group("num").rstrip(".")):
            token = num.group("num").rstrip(".")
            if re.fullmatch(r"[IVX]+", token):
                depth = 0
            elif token.startswith("§"):
                depth = 1
            else:
                depth = token.count(".") + 1
            heading_level = depth + 1
            numbered_level = heading_level
            title = num.group("title")
        elif (short and len(line) <= 70 and len(line.split()) <= 10 and (line[0].isupper() or line[0].isdigit())
              and not _MARKER.match(line) and not (intro_open or in_list) and nxt is not None
              and (prev_blank or (prev_block is not None and prev_block.kind in ("heading", "para")))):
            heading_level = numbered_level + 1
        if heading_level is not None:
            list_stack.clear()
            sec = open_section(title.strip(), heading_level, idx, a)
            if bold and not md:
                bold_sections.add(sec)
            off = line.find(title) if title else 0
            end = a + max(off, 0) + len(title.rstrip()) if md and md.group("em") and off >= 0 else b
            blocks.append(Block(idx, a + max(off, 0), end, "heading", title.strip(), level=heading_level, section=sec))
            prev_blank = False
            continue

        # -- list items
        mk = _MARKER.match(line)
        kind = None
        marker = ""
        if mk and len(line) > mk.end():
            marker = mk.group("marker")
            kind = _marker_kind(marker, list_stack[-1] if list_stack else None)
        elif (intro_open or in_list) and (line.endswith((";", ",")) or (len(line) <= 80 and not line.endswith("."))
                                          or (len(line) <= 200 and _in_line_run(raw, n)))\
                and not (list_stack and list_stack[-1].kind != "plain" and not intro_open):
            kind = "plain"
        if kind is not None:
            group = None
            if list_stack and prev_block is not None and prev_block.kind == "item" \
                    and prev_block.text.rstrip().endswith(":") and (list_stack[-1].kind != kind
                                                                     or indent > list_stack[-1].indent):
                group = ListGroup(len(lists), kind, indent, prev_block.idx, prev_block.idx)
                lists.append(group)
                list_stack.append(group)
            elif list_stack and prev_block is not None and prev_block.kind == "item" and kind != "plain" \
                    and prev_block.list_id == list_stack[-1].idx and indent >= list_stack[-1].indent + 2 \
                    and list_stack[-1].kind == kind:
                # "- Weitergabe der Daten: … bei den folgenden Unternehmen." then "  * Acme GmbH, …": a nested list
                # under an item that does not end with ':' (its parent item, no introduction)
                group = ListGroup(len(lists), kind, indent, None, prev_block.idx)
                lists.append(group)
                list_stack.append(group)
            else:
                while list_stack and not (list_stack[-1].kind == kind and list_stack[-1].indent <= indent + 1):
                    if list_stack[-1].indent < indent and list_stack[-1].kind != kind:
                        break
                    list_stack.pop()
                if list_stack and list_stack[-1].kind == kind:
                    group = list_stack[-1]
                else:
                    intro = prev_block.idx if prev_block is not None and prev_block.kind in ("para", "item") \
                        and prev_block.text.rstrip().endswith(":") else None
                    parent = list_stack[-1].items[-1] if list_stack and list_stack[-1].items else None
                    group = ListGroup(len(lists), kind, indent, intro, parent if intro == parent else None)
                    lists.append(group)
                    list_stack.append(group)
            group.items.append(idx)
            group.last_marker = marker
            start = a + (mk.end() if mk and kind != "plain" else 0)
            blocks.append(Block(idx, start, b, "item", text[start:b], marker=marker, indent=indent,
                                section=section_stack[-1], list_id=group.idx))
            prev_blank = False
            continue

        if list_stack and indent <= list_stack[0].indent:
            list_stack.clear()  # a paragraph at the list's own indentation ends the list
        if prev_block is not None and prev_block.kind == "para" and not prev_blank and prev_block.indent == indent \
                and re.search(r"[^\W_][.)]?,$", prev_block.text.rstrip()):  # not code's '"x",' or '},'
            # a line wrapped after a comma ("… PayPal (Europe) S.à.r.l. et Cie," then "S.C.A., 22-24 Boulevard Royal,
            # Luxemburg."; a PDF's text wraps every paragraph): the sentence goes on, one paragraph
            prev_block.end, prev_block.text = b, text[prev_block.start:b]
            prev_blank = False
            continue
        blocks.append(Block(idx, a, b, "para", line, indent=indent, section=section_stack[-1]))
        prev_blank = False

    for s in section_stack:
        sections[s].end = len(text)
    for sec in sections:
        if not sec.end:
            sec.end = len(text)

    sentences: list[Sentence] = []
    for blk in blocks:
        spans = [(blk.start, blk.end)] if blk.kind in ("heading", "row") else split_sentences(
            text[blk.start:blk.end], blk.start)
        for k, (x, y) in enumerate(spans):
            sentences.append(Sentence(len(sentences), x, y, text[x:y], blk.idx, blk.section, blk.kind, k == 0))
    return Layout(text, blocks, sentences, sections, lists)
