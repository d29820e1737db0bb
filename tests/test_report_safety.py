"""A payload corpus in every field a report prints comes out inert in every format:
no formula in CSV/XLSX, no markup in HTML/PDF/Markdown, shown as plain text."""
import csv
import io
import os
import shutil
import subprocess

import pytest

from conftest import TODAY, register_bytes, row
from ropa.formats.text import FORMULA_PREFIXES
from ropa.report import build_report, render

PAYLOADS = ['=HYPERLINK("http://x")', "<script>alert(1)</script>", "@SUM(1+1)",
            '"><img src=x onerror=alert(1)>', "+cmd|' /C calc'!A0", "-2+3", "\tTAB"]


@pytest.fixture(scope="module")
def report():
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats.register import read_register
    rows = []
    for i, p in enumerate(PAYLOADS):
        rows.append(row(controller="Acme BV", activity=f"{p} #{i}", purpose=p, retention=p, security_measures=p,
                        data_subjects=p, data_categories=p, recipient=f"{p} Inc {i}", recipient_role="processor",
                        recipient_country="US", mechanism="privacy shield", evidence=p, source=f"{p} src"))
    graph = read_register(io.BytesIO(register_bytes(*rows)), "payloads.csv")
    with EmbeddedBackend(None) as store:
        store.replace(graph)
        r = build_report(store, TODAY, source=PAYLOADS[1])
    assert len(r.transfers) == len(PAYLOADS)  # every payload reached the register
    return r


def _cells_csv(data: bytes):
    for line in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        yield from line


def test_csv_cells_never_start_a_formula(report):
    cells = list(_cells_csv(render(report, "csv")))
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'@SUM(1+1)" in cells


def test_xlsx_cells_are_text_and_never_start_a_formula(report):
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(render(report, "xlsx")))
    seen = set()
    for ws in wb.worksheets:
        for r in ws.iter_rows():
            for c in r:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_PREFIXES), (ws.title, c.coordinate, c.value)
                    seen.add(c.value)
    assert "'=HYPERLINK(\"http://x\")" in seen


def test_html_shows_payloads_as_text_and_runs_nothing(report):
    from test_report import parse_html
    html = render(report, "html")
    p = parse_html(html)
    assert "script" not in p.tags and "img" not in p.tags
    assert not [k for k, _ in p.attrs if k.startswith("on")]
    text = "".join(p.text)
    assert "<script>alert(1)</script>" in text and '"><img src=x onerror=alert(1)>' in text
    assert b"Content-Security-Policy" in html and b"default-src 'none'" in html


def test_markdown_escapes_markup(report):
    md = render(report, "md").decode("utf-8")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md


def test_pdf_prints_payloads_as_text(report, tmp_path):
    if shutil.which("chromium") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("chromium and pdftotext must be installed under CI")
        pytest.skip("chromium or pdftotext missing")
    pdf = render(report, "pdf")
    assert b"/JavaScript" not in pdf and b"/URI" not in pdf  # no script, no outside link
    path = tmp_path / "payloads.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    assert "<script>alert(1)</script>" in text and "@SUM(1+1)" in text


def test_pdf_footer_label_is_escaped():
    from ropa.report.pdf import _footer
    footer = _footer('<script>alert(1)</script> "><img src=x onerror=alert(1)>')
    assert "<script" not in footer and "<img" not in footer and "&lt;script&gt;" in footer
