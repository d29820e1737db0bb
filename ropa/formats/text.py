"""Reading tabular text the way users' files actually arrive.

Decoding (UTF-8 with or without BOM, else cp1252), delimiter detection
(`,` `;` or tab), binary detection, and spreadsheet-safe cell writing.
"""
from __future__ import annotations

import csv
import io
import re

from ..errors import FormatError, Problem

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32767                     # characters: a spreadsheet cell holds no more (Excel's limit)
MAX_MEMBER_BYTES = 1024 ** 3         # one file inside a zip (bundle, XLSX), unpacked
MAX_RATIO = 200                      # unpacked / packed above this (and above 16 MiB) is a zip bomb

# A cell longer than the csv module's default (128 KiB) must reach our own check below,
# which names its row and column, rather than stop the reader with "field larger than field limit".
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")  # a multi-byte UTF-8 character (roughly)


def decode(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8 (BOM allowed) or, failing that, cp1252, line by line.

    >>> decode("café".encode("cp1252"), "x.csv")
    'café'
    >>> decode("é\\n".encode() + "é\\n".encode("cp1252"), "x.csv")  # one file, two encodings
    'é\\né\\n'
    """
    return decode_lines(data, name)[0]


def decode_lines(data: bytes, name: str) -> tuple[str, list[int]]:
    """The text, and the lines (1 = first) read as cp1252 in a file whose other lines are UTF-8.

    A file is UTF-8 or cp1252 as a whole, mostly; but rows pasted in from another file
    can bring the other encoding along, and decoding the whole file as cp1252 would turn
    every UTF-8 ``ü`` into ``Ã¼`` (and one organisation into two). So each line is UTF-8
    when it can be, else cp1252; the lines that needed cp1252 are returned, to be reported,
    when UTF-8 lines with other than ASCII show that the file meant UTF-8. A line in
    neither encoding is refused with its line number.
    """
    if b"\x00" in data[:65536]:
        raise FormatError(Problem(name, None, None, None,
                                  "this is a binary file, not a text file (CSV, text, HTML)"))
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if not _UTF8_SEQUENCE.search(data):  # no UTF-8 letter anywhere: a cp1252 file, decoded at once
        try:
            return data.decode("cp1252"), []
        except UnicodeDecodeError:
            pass  # the line by line reading below names the line
    parts, legacy, utf8 = [], [], False
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8-sig" if i == 1 else "utf-8")
            utf8 = utf8 or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise FormatError(Problem(name, i, None, line[max(0, exc.start - 20):exc.start + 20].decode(
                    "cp1252", "replace"), f"cannot decode line {i} as UTF-8 or cp1252 (byte {exc.start + 1} of "
                    "the line)")) from exc
            legacy.append(i)
        parts.append(text)
    return "\n".join(parts), legacy if utf8 else []


def sniff_delimiter(text: str) -> str:
    """Pick `,` `;` or tab from the header line (the one with most occurrences)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_table(data: bytes, name: str, notes: list[Problem] | None = None
               ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) pairs of a delimited text file; row 1 is the header.

    ``notes`` gets a warning for each row decoded as cp1252 in a file otherwise UTF-8.
    """
    text, legacy = decode_lines(data, name)
    if not text.strip():
        raise FormatError(Problem(name, None, None, None, "the file is empty"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    legacy_rows: dict[int, int] = {}  # row -> first cp1252 line in it
    pending = iter(legacy)
    next_legacy = next(pending, None)
    try:
        for i, r in enumerate(reader):  # blank rows are dropped as they come (a file of blank lines stays small)
            while next_legacy is not None and next_legacy <= reader.line_num:  # a row may span lines
                legacy_rows.setdefault(i + 1, next_legacy)
                next_legacy = next(pending, None)
            if header is None:
                header = r
            elif any(c.strip() for c in r):
                body.append((i + 1, r))
    except csv.Error as exc:
        raise FormatError(Problem(name, reader.line_num, None, None, f"malformed CSV: {exc}")) from exc
    if header is None:
        raise FormatError(Problem(name, None, None, None, "the file is empty"))
    check_cells(header, body, name)
    if notes is not None:
        for row, line in legacy_rows.items():
            notes.append(Problem(name, row, None, None, f"this row is not UTF-8 like the rest of the file; read "
                                 f"as cp1252 (Windows Western), from line {line}: check its accented letters",
                                 "warning"))
    return header, body


def check_cells(header: list[str], body: list[tuple[int, list[str]]], name: str) -> None:
    """Refuse cells longer than a spreadsheet cell can hold, naming row and column.

    >>> check_cells(["a"], [(2, ["x" * 40000])], "r.csv")
    Traceback (most recent call last):
    ...
    ropa.errors.ValidationError: r.csv, row 2, column 'a', value 'xxx...': the cell has 40000 characters; ...
    """
    problems = []
    for i, h in enumerate(header):
        if len(h) > MAX_CELL:
            problems.append(Problem(name, 1, None, h, f"the heading has {len(h)} characters; at most "
                                    f"{MAX_CELL} fit in a spreadsheet cell"))
    for rownum, cells in body:
        for i, c in enumerate(cells):
            if len(c) > MAX_CELL:
                col = header[i] if i < len(header) else f"#{i + 1}"
                problems.append(Problem(name, rownum, col, c[:40] + "...", f"the cell has {len(c)} characters; "
                                        f"at most {MAX_CELL} fit in a spreadsheet cell (is a column misplaced?)"))
    if problems:
        from ..errors import ValidationError
        raise ValidationError(problems)


def read_zip_member(z, member: str, name: str) -> bytes:
    """The bytes of one file in a zip, refusing a zip bomb (huge, or packed far too tightly)."""
    info = z.getinfo(member)
    if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size)):
        raise FormatError(Problem(name, None, None, member,
                                  f"{member} unpacks to {info.file_size} bytes from {info.compress_size}: "
                                  "refused as a zip bomb"))
    with z.open(info) as f:
        data = f.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise FormatError(Problem(name, None, None, member, f"{member} unpacks to more than "
                                  f"{MAX_MEMBER_BYTES} bytes: refused as a zip bomb"))
    return data


def check_zip(data: bytes, name: str) -> None:
    """Refuse a zip (an XLSX is one) whose members would unpack to a zip bomb, before anyone unpacks it."""
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):  # e.g. "zip file version 23.5"
        return  # not a zip: the reader says so in its own words
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > MAX_MEMBER_BYTES or (total > 16 * 1024 * 1024 and total > MAX_RATIO * max(1, packed)):
        raise FormatError(Problem(name, None, None, None, f"the archive unpacks to {total} bytes from {packed}: "
                                  "refused as a zip bomb"))


# Characters XML 1.0 cannot carry (C0 controls other than tab, newline, carriage return; lone surrogates;
# FFFE/FFFF), and the escape SpreadsheetML gives them (ECMA-376 ST_Xstring: ``_x001B_`` for ESC; an
# underscore that would start such a sequence is itself written ``_x005F_``). Excel reads and writes it.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")


def escape_xml_text(value: str) -> str:
    """Text XML can hold, reversibly: :func:`unescape_xml_text` gives ``value`` back.

    >>> escape_xml_text("Acme\x1b[31m _x0041_")
    'Acme_x001B_[31m _x005F_x0041_'
    >>> unescape_xml_text(escape_xml_text("a\x01_x0041_x0042_")) == "a\x01_x0041_x0042_"
    True
    """
    if "_x" in value:
        value = _ESCAPE_LIKE.sub("_x005F_", value)
    if XML_ILLEGAL.search(value):
        value = XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def unescape_xml_text(value: str) -> str:
    """Undo :func:`escape_xml_text` (and Excel's own escapes in a workbook it wrote)."""
    if "_x" not in value:
        return value
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)


def _quoted_formula(value: str) -> bool:
    """``'=x``, ``''=x``, ...: quotes in front of a formula starter."""
    rest = value.lstrip("'")
    return rest != value and rest.startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """Make a cell inert in spreadsheets: prefix formula starters with a quote.

    A value that already starts with quotes before a formula starter gets one more,
    so that :func:`unneutralise` gives it back as it was.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("plain"), neutralise("'=x"), unneutralise(neutralise("'=x"))
    ('plain', "''=x", "'=x")
    """
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or _quoted_formula(value)):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise` when reading back a file we wrote."""
    if _quoted_formula(value):
        return value[1:]
    return value
