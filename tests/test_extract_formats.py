"""The same notice as Markdown, HTML, plain text with and without list bullets, and PDF gives the same
recipients, each with the same country and mechanism (issue 18, pattern 10)."""
from __future__ import annotations

import csv

import pytest

from conftest import ROOT
from notice_formats import to_html, to_pdf, to_text
from ropa.extract import extract
from ropa.extract.sourcecode import object_arrays

HELDOUT = ROOT / "tests" / "heldout"
_DEV_SHIPPED = [r["id"] for r in csv.DictReader(open(HELDOUT / "sources.csv", encoding="utf-8"))
                if r["split"] == "dev" and r["shipped"] == "yes"]
SOURCES = [p for p in sorted((ROOT / "tests" / "notices").glob("*.txt"))
           if not p.read_text(encoding="utf-8").lstrip().startswith("<")]


def _markdown_or_text(path) -> bool:
    """A notice these conversions apply to: not an HTML page, and not a page's JavaScript/TypeScript source whose
    recipients are an array of objects (en_probo's): its brackets are code, which the Markdown-to-text conversion
    strips as link marks, so the "plain text" would be another document. Such arrays are read by
    ropa/extract/sourcecode.py, tested in tests/test_extract_round6_patterns.py. A module whose recipients are in
    its JSX prose (en_roocode's) converts like Markdown and stays here."""
    text = path.read_text(encoding="utf-8")
    head = text.lstrip()
    return not head.startswith("<") and not (head.startswith(("import ", "export ")) and object_arrays(text))


SOURCES += [HELDOUT / "texts" / f"{i}.txt" for i in _DEV_SHIPPED if _markdown_or_text(HELDOUT / "texts" / f"{i}.txt")]
# A Markdown notice holding a raw HTML <table> (sub-processor rows with multi-line addresses); named here as well
# because the split in sources.csv may still mark its round as test on this branch
_EMBEDDED_HTML = HELDOUT / "texts" / "en_controlshift_subprocessors.txt"
if _EMBEDDED_HTML not in SOURCES:
    SOURCES.append(_EMBEDDED_HTML)
# Notices compared in every format but PDF (none now: a table row longer than the page wraps over several lines
# of the PDF's text and is read back as one row, en_range_privacy's California table and en_controlshift's
# sub-processor rows included)
NO_PDF: set[str] = set()


def _recipients(data, name):
    return sorted((r.name, r.country, r.mechanism) for r in extract(data, name).recipients)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_format_gives_the_same_recipients(path):
    md = path.read_text(encoding="utf-8")
    want = _recipients(md, "notice.md")
    assert want, "a notice with recipients, or the comparison proves nothing"
    assert _recipients(to_html(md), "notice.html") == want
    assert _recipients(to_text(md), "notice.txt") == want
    assert _recipients(to_text(md, bullets=False), "notice.txt") == want
    if path.stem not in NO_PDF:
        assert _recipients(to_pdf(md), "notice.pdf") == want


def test_the_renderings_really_differ():
    md = "# Privacy\n\n## Recipients\n\nWe share data with:\n\n- [Mailgun](https://mailgun.com), our mailer.\n"
    assert "<li><a href=" in to_html(md)
    assert to_text(md, bullets=False).splitlines()[-1] == "Mailgun, our mailer."
    embedded = ("# Subprocessors\n\n<table>\n  <tr><th><b>Entity</b></th><th>Location</th></tr>\n"
                "  <tr><td><a href=\"https://x.example\"><b>Acme, Inc.</b></a></td>\n"
                "      <td>1 Main St<br>\n      Denver, CO<br>United States</td></tr>\n</table>\n")
    assert "<td><a href=" in to_html(embedded)  # raw HTML passes into the page, as Markdown renderers do
    text = to_text(embedded)  # and a copy of that page has the table's cells, not its tags
    assert "<" not in text and "| Acme, Inc. | 1 Main St Denver, CO United States |" in text.splitlines()
    pdf = to_pdf(md)
    assert pdf.startswith(b"%PDF") and extract(pdf, "n.pdf").document.kind == "pdf"


def test_a_title_naming_the_owner_is_read_without_its_heading_marks():
    """A copy of the page as plain text keeps "Acme Subprocessors" as a line of its own, without "##": the owner
    is the same as in the Markdown, so Acme's own row is not a recipient in one format and dropped in another."""
    md = ("# Acme Subprocessor List\n\n## Acme Subprocessors\n\n| Supplier | Function | Location |\n| -- | -- | -- |\n"
          "| Acme AB | Acme Processor | Sweden |\n| Hetzner Online GmbH | Hosting | Germany |\n")
    assert extract(md, "notice.md").controller["name"] == "Acme"
    assert extract(to_text(md), "notice.txt").controller["name"] == "Acme"
    assert _recipients(to_text(md), "notice.txt") == _recipients(md, "notice.md")
