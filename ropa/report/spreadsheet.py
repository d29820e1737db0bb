"""The report as XLSX (one sheet per section) and as CSV (the transfer register).

Both go through :mod:`ropa.tables`, which neutralises every cell a spreadsheet
would run as a formula. The XLSX is then made readable and printable as it
stands: long text wraps, rows align at the top, and each sheet prints landscape,
one page wide, with its header row repeated.
"""
from __future__ import annotations

import io
import math

from ..tables import write_csv, write_xlsx
from .frames import sheets, transfers_frame, with_headers
from .model import Report

WRAP_AT = 40     # columns at least this wide (in characters) wrap their text
WRAP_WIDTH = 48  # and are this wide
PAGE_WIDTH = 240  # characters of column width one landscape A4 page holds at a readable scale


def render_xlsx(report: Report) -> bytes:
    """The workbook as bytes: Summary, Transfers, Findings, ..., Not checked."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties

    raw = io.BytesIO()
    write_xlsx(sheets(report), raw)
    wb = load_workbook(io.BytesIO(raw.getvalue()))
    for ws in wb.worksheets:
        wrap = {cell.column_letter for cell in ws[1]
                if (ws.column_dimensions[cell.column_letter].width or 0) >= WRAP_AT}
        for letter in wrap:
            ws.column_dimensions[letter].width = WRAP_WIDTH
        total = sum(ws.column_dimensions[c.column_letter].width or 10 for c in ws[1])
        for cell in ws[1]:
            cell.font = Font(name="Calibri", bold=True, color=cell.font.color)
        for row in ws.iter_rows(min_row=2):
            lines = 1
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=cell.column_letter in wrap)
                if cell.column_letter in wrap and isinstance(cell.value, str):
                    lines = max(lines, _lines(cell.value, WRAP_WIDTH))
            # Spreadsheet programs do not grow rows for wrapped text on opening a file: set the height.
            ws.row_dimensions[row[0].row].height = min(409, 15 * lines)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = max(1, math.ceil(total / PAGE_WIDTH)), 0
        ws.print_title_rows = "1:1"
        ws.oddFooter.center.text = "&A, page &P of &N"
    wb.properties.title = f"{report.title}, as of {report.as_of}"
    wb.properties.creator = f"RoPA Graph Explorer {report.tool_version}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _lines(text: str, width: int) -> int:
    """How many lines a text wraps to in a column ``width`` characters wide (a generous guess).

    >>> _lines("x" * 100, 48), _lines("a\\nb", 48)
    (3, 2)
    """
    usable = max(1, int(width * 0.95))
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def render_csv(report: Report) -> bytes:
    """The restricted-transfer register as CSV (UTF-8 with BOM, for Excel)."""
    buf = io.BytesIO()
    write_csv(with_headers(transfers_frame(report)), buf)
    return buf.getvalue()
