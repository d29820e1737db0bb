"""The report as XLSX (one sheet per section) and as CSV (the transfer register).

Both go through :mod:`ropa.tables`, which neutralises every cell a spreadsheet
would run as a formula. The XLSX is then made readable and printable as it
stands: long text wraps, rows align at the top, and each sheet prints landscape,
one page wide, with its header row repeated.
"""
from __future__ import annotations

import io

from ..tables import write_csv, write_xlsx
from .frames import sheets, transfers_frame, with_headers
from .model import Report

WRAP_AT = 40  # columns wider than this many characters wrap instead of growing


def render_xlsx(report: Report) -> bytes:
    """The workbook as bytes: Summary, Transfers, Findings, ..., Not checked."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.properties import PageSetupProperties

    raw = io.BytesIO()
    write_xlsx(sheets(report), raw)
    wb = load_workbook(io.BytesIO(raw.getvalue()))
    for ws in wb.worksheets:
        wrap = {cell.column_letter for cell in ws[1]
                if (ws.column_dimensions[cell.column_letter].width or 0) >= WRAP_AT}
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=cell.column_letter in wrap)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = "1:1"
        ws.oddFooter.center.text = "&A, page &P of &N"
    wb.properties.title = f"{report.title}, as of {report.as_of}"
    wb.properties.creator = f"RoPA Graph Explorer {report.tool_version}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_csv(report: Report) -> bytes:
    """The restricted-transfer register as CSV (UTF-8 with BOM, for Excel)."""
    buf = io.BytesIO()
    write_csv(with_headers(transfers_frame(report)), buf)
    return buf.getvalue()
