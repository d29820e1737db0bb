"""A streaming XLSX writer for large tables, in the house style of :mod:`ropa.tables`.

Why not openpyxl or XlsxWriter: both build every cell as a Python object with its
own checks, about 10-14 µs a cell on this machine (openpyxl's write-only mode
included); the report of a 1M-relationship RoPA has some 20 million cells, which
took them 4-5 minutes. This module writes the sheet XML rows directly (shared
strings, one style per column), about 1 µs a cell, and streams each sheet into the
zip, so memory holds the rows being written and the shared-string table only.

It writes what our exports need and nothing else, every part as SpreadsheetML
(ECMA-376) describes it:

* every text cell passes :func:`ropa.formats.text.neutralise` and is stored as a
  shared string (type ``s``): a spreadsheet never runs it as a formula; characters
  XML cannot hold are escaped as SpreadsheetML says (``_x001B_`` for ESC, see
  :func:`ropa.formats.text.escape_xml_text`), so Excel and our reader give them back;
  text longer than Excel's cell limit is cut with a note;
* dates are dates (serial numbers formatted ``yyyy-mm-dd``), numbers are numbers;
* the header row is bold on a dark fill, frozen, with a filter; column widths
  follow the header and the first rows; long-text columns wrap and their rows are
  made tall enough (spreadsheet programs do not grow rows on opening a file);
* each sheet prints landscape on A4, one page wide, header row repeated, with
  "sheet, page N of M" in the footer;
* a table longer than a sheet can hold (1,048,576 rows with the header) goes on
  as "Title (2)", "Title (3)", ...: see :func:`part_titles`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from typing import Iterable, Sequence
from xml.sax.saxutils import escape as _escape

from .formats.text import MAX_CELL, escape_xml_text, neutralise

MAX_ROWS = 1_048_576          # rows in one sheet, header included (Excel's limit)
CUT_NOTE = " … [cut: longer than a spreadsheet cell holds]"
WRAP_AT = 40      # columns at least this wide (in characters) wrap their text
WRAP_WIDTH = 48   # and are this wide
MIN_WIDTH, MAX_WIDTH = 10, 60
PAGE_WIDTH = 240  # characters of column width one landscape A4 page holds at a readable scale
WIDTH_SAMPLE = 500  # rows looked at for a column's width
ROW_HEIGHT = 15   # points per line of text
MAX_ROW_HEIGHT = 409
CHUNK_ROWS = 2000  # rows written to the zip at a time

# Characters XML 1.0 cannot carry (C0 controls other than tab, newline, carriage return; lone surrogates; FFFE/FFFF).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serials from 61 on, i.e. every date we write)

# Style ids (cellXfs, in styles.xml below).
S_DEFAULT, S_HEADER, S_TOP, S_WRAP, S_DATE, S_DATETIME = range(6)


def part_titles(title: str, rows: int) -> list[str]:
    """The sheet names a table of ``rows`` data rows is written to.

    >>> part_titles("Findings", 10)
    ['Findings']
    >>> part_titles("Findings", 2 * (MAX_ROWS - 1) + 1)
    ['Findings', 'Findings (2)', 'Findings (3)']
    """
    per = MAX_ROWS - 1
    n = max(1, math.ceil(rows / per))
    return [_sheet_name(title)] + [_sheet_name(title, f" ({i})") for i in range(2, n + 1)]


def _sheet_name(title: str, suffix: str = "") -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", title).strip("'") or "Sheet"
    return clean[:31 - len(suffix)] + suffix


def column_letter(i: int) -> str:
    """``0 -> 'A'``, ``25 -> 'Z'``, ``26 -> 'AA'``.

    >>> [column_letter(i) for i in (0, 25, 26, 701, 702)]
    ['A', 'Z', 'AA', 'ZZ', 'AAA']
    """
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _text(value: str) -> str:
    """A string as a cell holds it: neutralised, XML-legal (escaped), within Excel's length limit."""
    v = escape_xml_text(neutralise(value))
    if len(v) > MAX_CELL:
        v = v[:MAX_CELL - len(CUT_NOTE)] + CUT_NOTE
    return v


def _lines(text: str, width: int) -> int:
    """How many lines a text wraps to in a column ``width`` characters wide (a generous guess).

    >>> _lines("x" * 100, 48), _lines("a\\nb", 48), _lines("short", 48)
    (3, 2, 1)
    """
    usable = max(1, int(width * 0.95))
    if len(text) <= usable and "\n" not in text:
        return 1
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def _width(header: str, rows: Sequence[Sequence], j: int) -> float:
    longest = len(str(header))
    for row in rows[:WIDTH_SAMPLE]:
        v = row[j]
        if v is not None:
            n = 10 if isinstance(v, dt.date) else len(str(v))
            longest = max(longest, n)
    return min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))


def _cell_value(v):
    """A cell value as one of ``str``, ``int``, ``float``, ``date``, ``datetime`` or ``None`` (an empty cell).

    >>> _cell_value(True), _cell_value(float("nan")), _cell_value(["a", "b"]), _cell_value(3)
    ('yes', None, 'a → b', 3)
    """
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return v if not isinstance(v, float) or math.isfinite(v) else None
    if isinstance(v, (str, dt.date)):  # dt.datetime is a dt.date
        return v
    if isinstance(v, (list, tuple)):
        return " → ".join(map(str, v))
    if hasattr(v, "item"):  # a numpy scalar
        return _cell_value(v.item())
    try:
        if v != v:  # NaN-like (pandas NA, NaT)
            return None
    except TypeError:  # pandas NA refuses a truth value
        return None
    return str(v)


class _Strings:
    """The shared-string table: each distinct text once, cells refer to it by number."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.lines: dict[str, int] = {}  # lines each text wraps to in a wrapped column (texts repeat: count once)

    def wrapped_lines(self, value: str) -> int:
        n = self.lines.get(value)
        if n is None:
            n = self.lines[value] = _lines(value, WRAP_WIDTH)
        return n

    def id(self, value: str) -> int:
        i = self.index.get(value)
        if i is None:
            i = self.index[value] = len(self.index)
        return i

    def xml(self, fp) -> None:
        fp.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" '
                 b'uniqueCount="%d">' % (len(self.index), len(self.index)))
        buf = []
        for s in self.index:
            t = _escape(_text(s))
            space = ' xml:space="preserve"' if t[:1].isspace() or t[-1:].isspace() else ""
            buf.append(f"<si><t{space}>{t}</t></si>")
            if len(buf) >= 10_000:
                fp.write("".join(buf).encode("utf-8"))
                buf = []
        fp.write("".join(buf).encode("utf-8"))
        fp.write(b"</sst>")


def _sheet_xml(fp, header: Sequence[str], rows: Sequence[Sequence], widths: list[float], strings: _Strings) -> str:
    """One worksheet, streamed to ``fp`` in chunks; returns the range of its table (``A1:Y35339``)."""
    ncol = len(header)
    letters = [column_letter(j) for j in range(max(1, ncol))]
    wrap = [w >= WRAP_AT for w in widths]
    widths = [WRAP_WIDTH if wr else w for w, wr in zip(widths, wrap)]
    last = f"{letters[ncol - 1]}{len(rows) + 1}" if ncol else "A1"
    pages_wide = max(1, math.ceil(sum(widths) / PAGE_WIDTH))
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w:g}" customWidth="1"/>' for j, w in enumerate(widths))
    fp.write(
        ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
         '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
         f'<dimension ref="A1:{last}"/>'
         '<sheetViews><sheetView workbookViewId="0">'
         '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
         '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
         '<sheetFormatPr defaultRowHeight="15"/>'
         + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>").encode("utf-8"))
    head = "".join(f'<c r="{letters[j]}1" t="s" s="{S_HEADER}"><v>{strings.id(str(h))}</v></c>'
                   for j, h in enumerate(header))
    buf = [f'<row r="1">{head}</row>']
    string_style = [S_WRAP if wr else S_TOP for wr in wrap]
    sid, wrapped = strings.id, strings.wrapped_lines
    # Per column, each distinct text's cell once (the end of its <c> element after the row number, and
    # the lines it wraps to): a column repeats its texts (controllers, countries, verdicts, reasons), and
    # a cell is then a lookup and a join. The shared strings get their numbers in the same order as
    # cell by cell (a text's number is given where it first occurs), so the file is the same.
    starts = [f'<c r="{letters[j]}' for j in range(ncol)]
    known: list[dict[str, tuple[str, int]]] = [{} for _ in range(ncol)]
    for n, row in enumerate(rows, start=2):
        cells = []
        lines = 1
        num = str(n)
        for j, v in enumerate(row):
            if type(v) is str:
                hit = known[j].get(v)
                if hit is None:
                    hit = known[j][v] = (f'" t="s" s="{string_style[j]}"><v>{sid(v)}</v></c>',
                                         wrapped(v) if wrap[j] else 1)
                cells.append(starts[j] + num + hit[0])
                if hit[1] > lines:
                    lines = hit[1]
                continue
            if v is None:
                continue
            v = _cell_value(v)
            if v is None:
                continue
            if isinstance(v, str):
                if wrap[j]:
                    n_lines = wrapped(v)
                    if n_lines > lines:
                        lines = n_lines
                cells.append(f'<c r="{letters[j]}{n}" t="s" s="{string_style[j]}"><v>{sid(v)}</v></c>')
            elif isinstance(v, dt.datetime):
                serial = (v.replace(tzinfo=None) - dt.datetime(1899, 12, 30)).total_seconds() / 86400
                cells.append(f'<c r="{letters[j]}{n}" s="{S_DATETIME}"><v>{serial!r}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{letters[j]}{n}" s="{S_DATE}"><v>{(v - _EPOCH).days}</v></c>')
            else:
                cells.append(f'<c r="{letters[j]}{n}" s="{S_TOP}"><v>{v!r}</v></c>')
        height = f' ht="{min(MAX_ROW_HEIGHT, ROW_HEIGHT * lines)}" customHeight="1"' if lines > 1 else ""
        buf.append(f'<row r="{n}"{height}>{"".join(cells)}</row>')
        if len(buf) >= CHUNK_ROWS:
            fp.write("".join(buf).encode("utf-8"))
            buf = []
    fp.write("".join(buf).encode("utf-8"))
    fp.write(
        ("</sheetData>"
         + (f'<autoFilter ref="A1:{last}"/>' if ncol else "")
         + '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
         f'<pageSetup paperSize="9" orientation="landscape" fitToWidth="{pages_wide}" fitToHeight="0"/>'
         "<headerFooter><oddFooter>&amp;C&amp;A, page &amp;P of &amp;N</oddFooter>"
         "</headerFooter></worksheet>").encode("utf-8"))
    return last if ncol else ""


def write_workbook(fp, tables: Iterable[tuple[str, Sequence[str], Sequence[Sequence]]], title: str = "",
                   creator: str = "", compresslevel: int = 1, created: dt.datetime | None = None) -> list[str]:
    """Write ``(title, header, rows)`` tables as one workbook to the binary file ``fp``.

    ``created``: when the content was made (a report's generation time; naive means local time), stated
    as the workbook's created and modified properties; the time of writing when not given.

    Rows are sequences of ``str``, ``int``, ``float``, ``date``, ``datetime`` or ``None``.
    Returns the sheet names written (a long table gives several, see :func:`part_titles`).
    """
    strings = _Strings()
    names: list[str] = []
    ranges: list[str] = []
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as z:
        for table_title, header, rows in tables:
            header = [str(h) for h in header]
            widths = [_width(h, rows, j) for j, h in enumerate(header)]
            per = MAX_ROWS - 1
            for k, name in enumerate(part_titles(table_title, len(rows))):
                name = _unique(name, names)
                names.append(name)
                with z.open(f"xl/worksheets/sheet{len(names)}.xml", "w", force_zip64=True) as out:
                    ranges.append(_sheet_xml(out, header, rows[k * per:(k + 1) * per], widths, strings))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            strings.xml(out)
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/workbook.xml", _workbook_xml(names, ranges))
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(names))
        z.writestr("[Content_Types].xml", _content_types(names))
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("docProps/core.xml", _core(title, creator, created))
        z.writestr("docProps/app.xml", APP)
    return names


def _unique(name: str, taken: list[str]) -> str:
    low = {t.casefold() for t in taken}
    out, i = name, 2
    while out.casefold() in low:
        out = _sheet_name(name, f" ({i})")
        i += 1
    return out


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """``A1:Y9`` -> ``$A$1:$Y$9``."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _workbook_xml(names: list[str], ranges: list[str]) -> str:
    sheets = "".join(f'<sheet name="{_escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, start=1))
    defined = ""
    for i, (n, ref) in enumerate(zip(names, ranges)):
        sheet = _escape(_quote_sheet(n))
        if ref:
            defined += (f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                        f"{sheet}!{_absolute(ref)}</definedName>")
        defined += f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{sheet}!$1:$1</definedName>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets><definedNames>{defined}</definedNames></workbook>")


def _workbook_rels(names: list[str]) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
    n = len(names)
    rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/sharedStrings" Target="sharedStrings.xml"/>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>")


def _content_types(names: list[str]) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                     for i in range(1, len(names) + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>")


def _core(title: str, creator: str, created: dt.datetime | None = None) -> str:
    now = (created or dt.datetime.now()).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_escape(_ILLEGAL.sub('', title))}</dc:title>"
            f"<dc:creator>{_escape(_ILLEGAL.sub('', creator))}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>")


ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="xl/workbook.xml"/>'
             '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
             'core-properties" Target="docProps/core.xml"/>'
             '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'extended-properties" Target="docProps/app.xml"/>'
             "</Relationships>")

APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
       "<Application>RoPA Graph Explorer</Application></Properties>")

# cellXfs: 0 default, 1 header (bold white on dark blue), 2 top-aligned, 3 top-aligned and wrapped,
# 4 a date (yyyy-mm-dd), 5 a date and time.
STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
          '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
          '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
          '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/></font></fonts>'
          '<fills count="3"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill>'
          '<fill><patternFill patternType="solid"><fgColor rgb="FF1F3A5F"/><bgColor indexed="64"/></patternFill>'
          "</fill></fills>"
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="6">'
          '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
          '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
          '<alignment vertical="top"/></xf>'
          '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
          '<alignment vertical="top" wrapText="1"/></xf>'
          '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
          'applyAlignment="1"><alignment vertical="top"/></xf>'
          '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
          'applyAlignment="1"><alignment vertical="top"/></xf>'
          "</cellXfs>"
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          "</styleSheet>")
