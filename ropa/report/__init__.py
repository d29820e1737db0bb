"""DPO transfer-risk reports: one content, five formats.

::

    report = build_report(backend, as_of, controllers=None, source="...", since=snapshot)
    data = render(report, "pdf")          # html | pdf | xlsx | csv | md -> bytes

The content (:mod:`ropa.report.content`) is built from the backend: the rule pack's
findings, the report queries in ``ropa/report/queries/`` (every restricted
transfer, fine ones too) and the graph export (the Art. 30 records).
Renderers return bytes and never touch the store.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from .content import Report, build_report

FORMATS = ("html", "pdf", "xlsx", "csv", "md")
EXTENSIONS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv", ".md": "md",
              ".markdown": "md"}
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "csv": "text/csv", "md": "text/markdown",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def format_for_path(path: str | Path, fmt: str | None = None) -> str:
    """The format asked for, else the one the file extension names.

    >>> format_for_path("out/report.PDF")
    'pdf'
    >>> format_for_path("report.txt", "md")
    'md'
    """
    if fmt:
        if fmt not in FORMATS:
            raise InputError(Problem(None, None, "--format", fmt, f"use one of {', '.join(FORMATS)}"))
        return fmt
    ext = Path(str(path)).suffix.lower()
    if ext not in EXTENSIONS:
        raise InputError(Problem(None, None, "--out", str(path),
                                 "cannot tell the format from the extension; use .html, .pdf, .xlsx, .csv or .md, "
                                 "or give --format"))
    return EXTENSIONS[ext]


def render(report: Report, fmt: str) -> bytes:
    """The report in one of :data:`FORMATS`, as bytes."""
    from .content import paused_gc
    with paused_gc():
        return _render(report, fmt)


def _render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        from .html import render_html
        return render_html(report)
    if fmt == "pdf":
        from .html import render_html
        from .pdf import html_to_pdf
        scope = ", ".join(report.controllers) if report.scoped else "all controllers"
        return html_to_pdf(render_html(report), f"{report.title} · as of {report.as_of} · {scope}")
    if fmt == "xlsx":
        from .spreadsheet import render_xlsx
        return render_xlsx(report)
    if fmt == "csv":
        from .spreadsheet import render_csv
        return render_csv(report)
    if fmt == "md":
        from .markdown import render_markdown
        return render_markdown(report)
    raise InputError(Problem(None, None, "format", fmt, f"use one of {', '.join(FORMATS)}"))


def filename(report: Report, fmt: str) -> str:
    """A download name: ``transfer-risk-report-2026-11-22.pdf``."""
    return f"transfer-risk-report-{report.as_of.isoformat()}.{fmt}"


__all__ = ["FORMATS", "MEDIA_TYPES", "Report", "build_report", "filename", "format_for_path", "render"]
