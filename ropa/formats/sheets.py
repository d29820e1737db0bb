"""Which sheet of a workbook is the register, and what a spreadsheet program would have shown in it.

A workbook may hide its first sheet (an old version, a list of choices) and keep the
register on another: the register is the first *visible* sheet named like one
(``Register``, ``RoPA``, ``Verwerkingsregister``, ...), else the first visible sheet,
and the reader says which it read when there was a choice. A formula cell stores
the value last computed by a spreadsheet program; a workbook made by a script has
none, and the cell reads as empty: each such cell is reported.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from ..errors import FormatError, Problem
from .text import check_zip, read_zip_member, unescape_xml_text

# Words in a sheet title (normalised: lower case, accents off) that name a register.
REGISTER_WORDS = ("register", "registre", "registro", "ropa", "record_of_processing", "records_of_processing",
                  "processing_activities", "verzeichnis", "verarbeitungstatigkeiten", "art_30", "article_30")
_CELL = re.compile(r"([A-Z]+)([0-9]+)")


@dataclass
class Sheet:
    """The chosen sheet's cells as text (``frame``), its title, and what the reader should say."""

    frame: pd.DataFrame
    title: str
    notes: list[Problem] = field(default_factory=list)           # which sheet was read, when there was a choice
    formulas: list[tuple[int, int, str, str]] = field(default_factory=list)  # (row, column index, ref, formula)
    escaped: dict[str, str] = field(default_factory=dict)  # text as openpyxl gives it -> as the file means it

    def text(self, value: object) -> str:
        """A cell's text as the file means it: SpreadsheetML escapes (``_x001B_``) undone.

        openpyxl drops every ``x005F_`` (the escape of a literal ``_x...``) and keeps the others,
        so its text alone cannot tell ``_x001B_`` written by a user from an escaped ESC; the
        shared strings, read here as written, can.
        """
        v = str(value)
        if self.escaped:  # openpyxl makes "_" of "_x005F_x005F_": no "_x" is left to tell
            meant = self.escaped.get(v)
            if meant is not None:
                return meant
        return unescape_xml_text(v) if "_x" in v else v


def _norm(title: str) -> str:
    import unicodedata
    t = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", t).strip("_")


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_sheet(data: bytes, name: str) -> Sheet:
    """The register sheet of an XLSX workbook, every cell as text (``""`` for empty).

    Raises FormatError when the workbook cannot be read or the sheet is empty.
    """
    check_zip(data, name)
    try:
        from openpyxl import load_workbook
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = [(ws.title, ws.sheet_state, getattr(ws, "_worksheet_path", None)) for ws in wb.worksheets]
        wb.close()
        visible = [s for s in sheets if s[1] == "visible"] or sheets
        named = [s for s in visible if any(w in _norm(s[0]) for w in REGISTER_WORDS)]
        title, _, part = (named or visible)[0]
        xl = pd.read_excel(io.BytesIO(data), sheet_name=title, header=None, dtype=str, engine="openpyxl",
                           keep_default_na=False, na_filter=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise FormatError(Problem(name, None, None, None, f"not a readable XLSX workbook ({exc})")) from exc
    except Exception as exc:  # openpyxl raises a zoo of types on junk
        raise FormatError(Problem(name, None, None, None, f"not a readable XLSX workbook ({type(exc).__name__})")) from exc
    xl = xl.fillna("")
    why = "named like a register" if named else "the workbook's first visible sheet"
    if xl.empty:
        raise FormatError(Problem(name, None, None, None, f"the sheet {title!r} ({why}) is empty"))
    sheet = Sheet(xl, title)
    if len(sheets) > 1:
        others = ", ".join(f"{t!r}" + ("" if state == "visible" else f" ({state})")
                           for t, state, _ in sheets if t != title)
        sheet.notes.append(Problem(name, None, None, title, f"read the sheet {title!r} ({why}); not read: {others}",
                                   "warning"))
    try:
        if part:
            sheet.formulas = _formulas_without_values(data, part, name)
        sheet.escaped = _escaped_strings(data, name)
    except (SyntaxError, ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:  # ET.ParseError is a SyntaxError
        raise FormatError(Problem(name, None, None, None, f"not a readable XLSX workbook ({exc})")) from exc
    return sheet


def _escaped_strings(data: bytes, name: str) -> dict[str, str]:
    """For each shared string with an escape in it: the text openpyxl makes of it -> the text it stands for."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        member = next((n for n in z.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
        if member is None:
            return {}
        xml = read_zip_member(z, member, name)
    if b"_x" not in xml:
        return {}
    import xml.etree.ElementTree as ET
    out, plain = {}, set()
    for _, el in ET.iterparse(io.BytesIO(xml)):
        if el.tag.rsplit("}", 1)[-1] != "si":
            continue
        raw = "".join(t.text or "" for t in el.iter() if t.tag.rsplit("}", 1)[-1] == "t")
        if "_x" in raw:
            out[raw.replace("x005F_", "")] = unescape_xml_text(raw)
        else:
            plain.add(raw)
        el.clear()
    # a text openpyxl gives both for an escaped string and for a plain one cannot be told apart: left as given
    return {k: v for k, v in out.items() if k not in plain}


def _formulas_without_values(data: bytes, part: str, name: str) -> list[tuple[int, int, str, str]]:
    """(row, column index, cell reference, formula) of each formula cell that has no saved value."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        try:
            xml = read_zip_member(z, part.lstrip("/"), name)
        except KeyError:
            return []
    if b"<f" not in xml and b":f" not in xml:  # no formula at all: the usual case, and a quick one
        return []
    import xml.etree.ElementTree as ET
    out = []
    for _, el in ET.iterparse(io.BytesIO(xml)):
        if el.tag.rsplit("}", 1)[-1] != "c":
            continue
        f = v = None
        for child in el:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "f":
                f = child
            elif tag in ("v", "is"):
                v = child
        # an empty <v/> is a value only for a text result (t="str": the formula gave ""); openpyxl writes it bare
        if f is not None and (v is None or (not "".join(v.itertext()) and el.get("t") != "str")):
            m = _CELL.fullmatch(el.get("r", ""))
            if m:
                out.append((int(m.group(2)), _column_index(m.group(1)), m.group(0), "=" + (f.text or "")))
        el.clear()
    return out
