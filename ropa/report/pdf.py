"""The report as PDF, printed from its HTML by headless Chromium (Playwright).

Chromium is a real print engine: tables split across pages repeat their
``<thead>``, and the footer carries "page N of M". It is the system's browser
(Debian package ``chromium``, or ``$ROPA_CHROMIUM``), never one Playwright
downloads. Every request the page would make is refused, so printing cannot
reach the network.
"""
from __future__ import annotations

import os
import shutil
from html import escape
from pathlib import Path

from ..errors import PdfEngineMissing, ReportError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("PDF output needs headless Chromium driven by Playwright: install the browser "
                "(Debian/Ubuntu: apt-get install chromium) and the Python package (pip install playwright), "
                "or set ROPA_CHROMIUM to the browser's path. The html, xlsx, csv and md formats work without it.")


def find_chromium() -> str | None:
    """The browser to print with: ``$ROPA_CHROMIUM``, else the first Chromium on PATH."""
    env = os.environ.get("ROPA_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _footer(label: str) -> str:
    # Chromium fills the spans with the page numbers; the label is ours and escaped.
    return ('<div style="font-size:7pt;font-family:DejaVu Sans,Arial,sans-serif;color:#475467;width:100%;'
            'padding:0 11mm;display:flex;justify-content:space-between">'
            f'<span>{escape(label)}</span>'
            '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


def html_to_pdf(html: bytes, footer: str = "") -> bytes:
    """Print HTML to PDF bytes (A4 landscape, page numbers in the footer).

    Raises :class:`PdfEngineMissing` when Playwright or Chromium is absent.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise PdfEngineMissing(INSTALL_HINT) from exc
    browser_path = find_chromium()
    if not browser_path:
        raise PdfEngineMissing(INSTALL_HINT)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())
                page.set_content(html.decode("utf-8"), wait_until="load")
                page.emulate_media(media="print")
                return page.pdf(
                    format="A4", landscape=True, print_background=True, prefer_css_page_size=True,
                    display_header_footer=True, header_template="<span></span>", footer_template=_footer(footer),
                    margin={"top": "12mm", "bottom": "14mm", "left": "11mm", "right": "11mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ReportError(f"printing the PDF with {browser_path} failed: {str(exc).splitlines()[0]}") from exc
