"""Reading tabular text the way users' files actually arrive.

Decoding (UTF-8 with or without BOM, else cp1252), delimiter detection
(`,` `;` or tab), binary detection, and spreadsheet-safe cell writing.
"""
from __future__ import annotations

import csv
import io

from ..errors import FormatError, Problem

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def decode(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8 (BOM allowed) or, failing that, cp1252.

    >>> decode("café".encode("cp1252"), "x.csv")
    'café'
    """
    if b"\x00" in data[:65536]:
        raise FormatError(Problem(name, None, None, None,
                                  "this is a binary file, not a text (CSV) file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FormatError(Problem(name, None, None, None,
                                  f"cannot decode the file as UTF-8 or cp1252 (byte {exc.start})")) from exc


def sniff_delimiter(text: str) -> str:
    """Pick `,` `;` or tab from the header line (the one with most occurrences)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_table(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) pairs of a delimited text file; row 1 is the header."""
    text = decode(data, name)
    if not text.strip():
        raise FormatError(Problem(name, None, None, None, "the file is empty"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise FormatError(Problem(name, reader.line_num, None, None, f"malformed CSV: {exc}")) from exc
    header = rows[0]
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(c.strip() for c in r)]
    return header, body


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
