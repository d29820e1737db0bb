"""Spreadsheet-safe tables: CSV and XLSX writers shared by every export."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from .formats.text import FORMULA_PREFIXES, neutralise

_RISKY_START = {p[0] for p in FORMULA_PREFIXES} | {"'"}  # first characters neutralise may act on


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell is neutralised and lists are joined."""
    def cell(v):
        if isinstance(v, (list, tuple)):
            v = " → ".join(str(x) for x in v)
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()[:10]
        return neutralise(v)
    return df.apply(lambda col: col.map(cell)) if len(df) else df.copy()


def write_csv(df: pd.DataFrame, fp) -> None:
    """CSV with a BOM so that Excel reads UTF-8; formulas neutralised."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    fp.write(("\ufeff" + text).encode("utf-8"))


def _csv_cell(v) -> object:
    """A value as :func:`write_csv` writes it (the same as :func:`safe_frame` makes of it)."""
    if type(v) is str:
        return neutralise(v) if v[:1] in _RISKY_START else v
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (list, tuple)):
        v = " → ".join(str(x) for x in v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return neutralise(v)


def write_csv_rows(header: list[str], rows, fp) -> None:
    """Like :func:`write_csv`, from a header and plain rows (no DataFrame: for long tables)."""
    import csv
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow([_csv_cell(h) for h in header])
    w.writerows([_csv_cell(v) for v in row] for row in rows)
    fp.write(("\ufeff" + text.getvalue()).encode("utf-8"))


def write_xlsx(sheets: dict[str, pd.DataFrame], fp) -> None:
    """One sheet per frame through :mod:`ropa.xlsx`: header bold, frozen, with a filter; widths set;
    every text cell neutralised (once) and stored as text, never a formula; dates as dates; lists
    joined with " → "; a frame longer than a sheet holds goes on as "Title (2)", ...

    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> write_xlsx({"Findings": pd.DataFrame({"a": ["=1+1", None]})}, buf)
    >>> "'=1+1" in zipfile.ZipFile(buf).read("xl/sharedStrings.xml").decode()
    True
    """
    from .xlsx import write_workbook

    tables = []
    for title, df in sheets.items():
        # Python values (not numpy scalars), and None for every missing value (NaN, NaT, pd.NA).
        plain = df.astype(object).where(df.notna(), None)
        tables.append((title, [str(c) for c in df.columns], list(plain.itertuples(index=False, name=None))))
    write_workbook(fp, tables)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """:func:`write_csv` into bytes: a download's content."""
    import io
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """:func:`write_xlsx` into bytes: a download's content."""
    import io
    buf = io.BytesIO()
    write_xlsx(sheets, buf)
    return buf.getvalue()
