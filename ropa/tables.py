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
    """One sheet per frame, header frozen, filter on, widths set, formulas inert."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        ws = wb.create_sheet(title[:31])
        df = safe_frame(df)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F3A5F")
        # Strings are stored as strings (data_type 's'), never as formulas.
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        if len(df.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"
        for i, col in enumerate(df.columns, start=1):
            longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(500) if v is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest + 2))
    buf = io.BytesIO()
    wb.save(buf)
    fp.write(buf.getvalue())
