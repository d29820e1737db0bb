"""The report as XLSX (one sheet per section) and as CSV (the transfer register).

Both carry every transfer and every finding, whatever the size of the RoPA (the HTML,
PDF and Markdown reports list the worst of them and point here for the rest). Both
neutralise every cell a spreadsheet would run as a formula (:func:`ropa.formats.text.neutralise`).
The XLSX is written by :mod:`ropa.xlsx` (streamed: a 1M-relationship RoPA's report has
some 20 million cells) readable and printable as it stands: bold frozen headers with
filters, long text wrapped in tall-enough rows, dates as dates, each sheet printing
landscape, one page wide, with its header row repeated. A table longer than a sheet
holds continues on "Findings (2)", ..., and the Summary sheet says so.
"""
from __future__ import annotations

import io

from ..tables import write_csv_rows
from .. import xlsx
from .frames import TRANSFER_HEADERS, tables, transfer_rows
from .content import Report


def render_xlsx(report: Report) -> bytes:
    """The workbook as bytes: Summary, Transfers, Findings, ..., Not checked."""
    counts = {"Transfers": len(report.transfers), "Findings": len(report.findings)}
    notes = []
    for name, n in counts.items():
        parts = xlsx.part_titles(name, n)
        if len(parts) > 1:
            notes.append(("Note", f"The {name.lower()} ({n:,}) fill {len(parts)} sheets ({', '.join(parts)}): "
                                  f"a sheet holds at most {xlsx.MAX_ROWS - 1:,} rows below its header."))
    out = io.BytesIO()
    xlsx.write_workbook(out, tables(report, notes), title=f"{report.title}, as of {report.as_of}",
                        creator=f"RoPA Graph Explorer {report.tool_version}", created=report.generated)
    return out.getvalue()


def render_csv(report: Report) -> bytes:
    """The restricted-transfer register as CSV (UTF-8 with BOM, for Excel)."""
    buf = io.BytesIO()
    write_csv_rows(TRANSFER_HEADERS, transfer_rows(report), buf)
    return buf.getvalue()
