"""The DPO report: golden checks on the seed dataset, and every format read back the way
a reader (pdftotext, pdftoppm, openpyxl, csv, an HTML parser) would read it."""
import csv
import datetime as dt
import io
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import TODAY
from ropa.backends.dialect import portability_problems
from ropa.errors import InputError, PdfEngineMissing
from ropa.reference import is_eea
from ropa.report import FORMATS, build_report, format_for_path, render
from ropa.report.frames import TRANSFER_HEADERS
from ropa.report.content import VERDICTS, load_query

PS_RECIPIENTS = ["DigitalOcean", "Amazon Web Services", "Google", "Microsoft", "Facebook", "Twitter",
                 "Intercom", "HubSpot", "Rollbar", "ActiveCampaign"]
INTRA_EEA = {"Hetzner", "Interxion", "Equinix", "dogado", "envia TEL", "mailbox.org", "Twikey", "Isabel NV/SA",
             "YouTube", "Google Analytics", "Amazon Web Services", "Microsoft", "SurveyAnyplace"}


def _report(graph, as_of=TODAY, **kw):
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(None) as store:
        store.replace(graph)
        return build_report(store, as_of, source="test data", **kw)


@pytest.fixture(scope="module")
def seed():
    from ropa.samples import sample_graph
    return _report(sample_graph())


@pytest.fixture(scope="module")
def example():
    from ropa.samples import example_graph
    return _report(example_graph())


def need_tool(name: str) -> None:
    """Skip without a system tool, except under CI, where .ci/run installs it."""
    if shutil.which(name) is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{name} is missing; .ci/run must install it")
        pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="module")
def seed_pdf(seed, tmp_path_factory):
    need_tool("chromium")
    path = tmp_path_factory.mktemp("pdf") / "seed.pdf"
    path.write_bytes(render(seed, "pdf"))
    return path


def pdf_pages_text(path) -> list[str]:
    need_tool("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")


# -- golden checks on the seed dataset ---------------------------------------------------

def test_raidboxes_privacy_shield_transfers_cite_schrems_ii(seed):
    ps = [t for t in seed.transfers if t.controller.startswith("RAIDBOXES") and t.mechanism == "privacy_shield"]
    for name in PS_RECIPIENTS:
        assert any(name in t.importer for t in ps), f"{name} missing from the Privacy Shield transfers"
    for t in ps:
        assert t.verdict == "no_valid_basis" and t.severity == "high"
        assert "privacy_shield_reliance" in {f.rule for f in t.findings}
        assert "C-311/18" in t.legal_source and "2020-07-16" in t.legal_source
        assert t.remediation and (t.evidence or t.source)


def test_codabox_scc_transfers_are_scc_transfers_with_the_tia_remark(seed):
    coda = [t for t in seed.transfers if t.controller.startswith("CodaBox")]
    assert {t.importer for t in coda} == {"MailChimp", "Mailgun", "Freshdesk"}
    for t in coda:
        assert t.mechanism == "scc" and t.mechanism_text.startswith("Standard contractual clauses")
        assert t.mechanism_text.endswith("no TIA recorded")
        assert t.verdict == "action_needed"
        assert [f.rule for f in t.findings] == ["scc_without_tia"]
        assert any("no transfer impact assessment" in reason for reason in t.reasons)
        assert "Art. 46(2)(c)" in t.basis_legal_source


def test_nothing_from_intra_eea_recipients(seed):
    # Exact names: "Amazon Web Services" (CodaBox's, in the EEA) is not "Amazon Web Services, Inc." (US).
    for t in seed.transfers:
        assert t.resolved and not is_eea(t.destination), t
        assert t.importer not in INTRA_EEA, t


def test_every_transfer_carries_verdict_legal_source_and_evidence(seed):
    assert seed.transfers
    for t in seed.transfers:
        assert t.verdict in VERDICTS and t.legal_source, t
        assert t.evidence or t.source_ref, t
        assert (t.verdict == "basis_recorded") == (not t.findings)


def test_the_annex_holds_every_activity_and_the_method_its_versions(seed):
    from ropa.rules import rule_pack_version
    from ropa.samples import sample_graph
    assert len(seed.records) == len(sample_graph().nodes["Activity"])
    assert seed.rule_pack_version == rule_pack_version()
    assert {f.name for f in seed.reference} >= {"adequacy.csv", "mechanisms.csv", "countries.csv"}
    assert all(f.reviewed for f in seed.reference)


def test_onward_transfers_show_the_whole_path(example):
    onward = [t for t in example.transfers if t.onward]
    assert [(t.path, t.destination, t.verdict) for t in onward] == [
        (["Voorbeeld Zorg BV", "Agenda Cloud GmbH", "SMS Relay Inc"], "US", "action_needed")]
    assert {f.rule for f in onward[0].findings} == {"onward_transfer_chain", "scc_without_tia"}


def test_verdicts_follow_the_evaluation_date():
    from ropa.samples import example_graph
    before = _report(example_graph(), dt.date(2020, 7, 1))
    mail = next(t for t in before.transfers if t.importer == "Mail Blast LLC")
    assert mail.verdict == "basis_recorded" and "2016/1250" in mail.legal_source
    after = _report(example_graph())
    assert next(t for t in after.transfers if t.importer == "Mail Blast LLC").verdict == "no_valid_basis"


def test_controller_scope_narrows_everything():
    from ropa.samples import sample_graph
    r = _report(sample_graph(), controllers=["codabox nv/sa"])
    assert r.controllers == ["CodaBox NV/SA"] and r.scoped
    assert {t.controller for t in r.transfers} == {"CodaBox NV/SA"}
    assert {a.controller for a in r.records} == {"CodaBox NV/SA"}
    coda_recipients = {u.importer for u in r.unlocated} | {t.importer for t in r.transfers}
    assert all(f.controller == "CodaBox NV/SA" or f.subject in coda_recipients for f in r.findings)
    with pytest.raises(InputError, match="no such controller"):
        _report(sample_graph(), controllers=["Nobody Ltd"])


@pytest.mark.parametrize("name", ["transfers", "transfer_lookups", "transfer_data", "unlocated"])
def test_report_queries_stay_in_the_shared_cypher_subset(name):
    q = load_query(name)
    assert portability_problems(q) == [] and not q.rstrip().endswith(";")


# -- formats ----------------------------------------------------------------------------

@pytest.mark.parametrize("path,fmt,expected", [
    ("r.pdf", None, "pdf"), ("R.XLSX", None, "xlsx"), ("r.htm", None, "html"), ("r.md", None, "md"),
    ("r.csv", None, "csv"), ("r.txt", "md", "md"), ("-", "csv", "csv")])
def test_format_comes_from_the_extension_or_the_flag(path, fmt, expected):
    assert format_for_path(path, fmt) == expected


def test_unknown_extension_is_a_clear_error():
    with pytest.raises(InputError, match=r"\.html, \.pdf, \.xlsx, \.csv or \.md"):
        format_for_path("report.docx")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def parse_html(data: bytes) -> _Tags:
    p = _Tags()
    p.feed(data.decode("utf-8"))
    return p


def test_html_is_self_contained_and_holds_every_section(seed):
    html = render(seed, "html")
    p = parse_html(html)
    assert "script" not in p.tags and "link" not in p.tags and "img" not in p.tags
    assert p.tags.count("svg") >= 3  # two charts and the world map, inline
    refs = [v for k, v in p.attrs if k in ("src", "href")]
    assert all(v.startswith("#") for v in refs), refs
    text = " ".join(p.text)
    for needle in ["Restricted-transfer register", "Findings by rule and controller", "Methodology and limits",
                   "Annex: Art. 30 records", seed.rule_pack_version, "C-311/18", "What this report does not check"]:
        assert needle in text, needle
    for rule, _ in seed.findings_by_rule():
        assert rule.title in text and rule.remediation in text


def test_csv_is_the_transfer_register(seed):
    rows = list(csv.reader(io.StringIO(render(seed, "csv").decode("utf-8-sig"))))
    assert rows[0] == TRANSFER_HEADERS
    assert len(rows) - 1 == len(seed.transfers)
    importers = {r[TRANSFER_HEADERS.index("Importer")] for r in rows[1:]}
    assert not importers & {"Hetzner", "Interxion", "Equinix", "dogado"}
    assert any("C-311/18" in r[TRANSFER_HEADERS.index("Legal source")] for r in rows[1:])


def test_xlsx_reopens_with_its_sheets_headers_filters_and_widths(seed):
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(render(seed, "xlsx")))
    assert wb.sheetnames == ["Summary", "Transfers", "Unlocated recipients", "Findings", "By controller",
                             "Art 30 records", "Rules", "Reference data", "Not checked"]
    ws = wb["Transfers"]
    assert [c.value for c in ws[1]] == TRANSFER_HEADERS
    assert ws.max_row - 1 == len(seed.transfers)
    assert [c.value for c in wb["Findings"][1]][:3] == ["Rule", "Title", "Severity"]
    for sheet in wb.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, sheet.title
        assert sheet.column_dimensions["A"].width, sheet.title
        assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    legal = [c.value for c in ws[1]].index("Legal source")
    assert any("C-311/18" in (row[legal] or "") for row in ws.iter_rows(min_row=2, values_only=True))


def test_xlsx_holds_every_finding_and_splits_a_table_longer_than_a_sheet(seed, monkeypatch):
    from openpyxl import load_workbook

    from ropa import xlsx
    per = max(1, len(seed.findings) // 3)  # a sheet "holds" a third of the findings
    monkeypatch.setattr(xlsx, "MAX_ROWS", per + 1)
    wb = load_workbook(io.BytesIO(render(seed, "xlsx")))
    parts = [n for n in wb.sheetnames if n == "Findings" or n.startswith("Findings (")]
    assert len(parts) == -(-len(seed.findings) // per) >= 3
    rows = [r for n in parts for r in wb[n].iter_rows(min_row=2, values_only=True)]
    assert len(rows) == len(seed.findings)
    assert [(r[0], r[5]) for r in rows] == [(f.rule, f.subject) for f in seed.findings]
    notes = [v for k, v in wb["Summary"].iter_rows(min_row=2, values_only=True) if k == "Note"]
    assert any(f"fill {len(parts)} sheets" in v and "Findings (2)" in v for v in notes), notes


def test_xlsx_properties_state_when_the_report_was_made_not_when_it_was_rendered(seed):
    """A workbook saved again later (a download from the explorer, an export an hour on) says when its report was
    generated, as the Summary sheet does: the same report renders to the same created date."""
    from openpyxl import load_workbook
    import dataclasses
    old = dataclasses.replace(seed, generated=dt.datetime(2026, 3, 1, 9, 30, 0))
    props = load_workbook(io.BytesIO(render(old, "xlsx"))).properties
    want = old.generated.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert props.created == want and props.modified == want


def test_xlsx_dates_are_dates(seed):
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(render(seed, "xlsx")))["Transfers"]
    col = TRANSFER_HEADERS.index("Mechanism date")
    dated = [(row[col], t.mechanism_date) for row, t in zip(ws.iter_rows(min_row=2), seed.transfers)
             if t.mechanism_date]
    assert dated and all(c.is_date and c.value.date() == d for c, d in dated)


def test_a_large_register_lists_the_worst_in_html_and_markdown_and_everything_in_xlsx(seed, monkeypatch):
    """At scale the readable formats list up to N rows of each long table (the worst first, spread over
    the controllers, numbered as in the XLSX/CSV) and say how many more there are and where."""
    import re

    from openpyxl import load_workbook

    from ropa.report import content as model
    for name in ("REGISTER_LIMIT", "RULE_LIMIT", "UNLOCATED_LIMIT", "ANNEX_LIMIT"):
        monkeypatch.setattr(model, name, 4)
    register = seed.register_excerpt()
    assert register.shown == 4 and register.total == len(seed.transfers) > 4
    # the worst verdicts first, and every controller with such transfers gets its share
    order = list(VERDICTS)
    worst = sorted(seed.transfers, key=lambda t: order.index(t.verdict))[3].verdict
    assert all(order.index(t.verdict) <= order.index(worst) for _, t in register.rows)
    bad = {t.controller for t in seed.transfers if t.verdict == "no_valid_basis"}
    assert {t.controller for _, t in register.rows} >= set(sorted(bad)[:4])
    assert all(seed.transfers[n - 1] is t for n, t in register.rows)

    html = render(seed, "html").decode("utf-8")
    text = " ".join(parse_html(html.encode("utf-8")).text)
    reg = html.split('<section id="register">')[1].split("</table>")[0]
    numbers = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', reg)]
    assert numbers == [n for n, _ in register.rows]
    assert f"This register lists 4 of the {len(seed.transfers)} restricted transfers" in text
    for rule, groups, total in seed.findings_by_rule_excerpt():
        shown = sum(len(items) for _, items, _ in groups)
        assert shown == min(4, total)
        if total > 4:
            assert f"4 of the {total} findings of this rule are listed here" in text
    assert f"The annex shows 4 of the {len(seed.records)} records" in text

    md = render(seed, "md").decode("utf-8")
    body = md.split("## Restricted-transfer register")[1].split("###")[0]
    assert sum(line.startswith("| ") for line in body.splitlines()) == 4 + 1
    assert f"This register lists 4 of the {len(seed.transfers)} restricted transfers" in md

    wb = load_workbook(io.BytesIO(render(seed, "xlsx")))
    assert wb["Transfers"].max_row - 1 == len(seed.transfers) and wb["Findings"].max_row - 1 == len(seed.findings)
    assert wb["Art 30 records"].max_row - 1 == len(seed.records)
    assert len(list(csv.reader(io.StringIO(render(seed, "csv").decode("utf-8-sig"))))) - 1 == len(seed.transfers)


def test_markdown_has_the_register_and_the_findings(seed):
    md = render(seed, "md").decode("utf-8")
    assert "## Restricted-transfer register" in md and "## Findings by rule and controller" in md
    register = md.split("## Restricted-transfer register")[1].split("###")[0]
    assert sum(line.startswith("| ") for line in register.splitlines()) == len(seed.transfers) + 1
    assert "C-311/18" in md


def test_pdf_text_holds_the_findings_with_page_numbers_and_repeated_headers(seed, seed_pdf):
    pages = [p for p in pdf_pages_text(seed_pdf) if p.strip()]
    assert len(pages) > 5
    assert f"Page 1 of {len(pages)}" in pages[0] and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    text = "\n".join(pages)
    for needle in ["Privacy Shield", "C-311/18", "2020-07-16", "no transfer impact assessment", "MailChimp",
                   seed.rule_pack_version]:
        assert needle in text, needle
    # The register spans pages; its table header is printed again on each of them.
    register_pages = [p for p in pages if "Findings, legal source, remediation" in p]
    assert len(register_pages) >= 2


def test_pdf_turns_into_png_pages(seed_pdf, tmp_path):
    need_tool("pdftoppm")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(seed_pdf), str(tmp_path / "p")],
                   check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == 2
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(set(data[100:4000])) > 20  # not a blank page


def test_pdf_without_an_engine_says_how_to_get_one(seed, monkeypatch):
    monkeypatch.setenv("ROPA_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(PdfEngineMissing, match="apt-get install chromium"):
        render(seed, "pdf")


def test_every_format_renders_to_bytes(example):
    for fmt in FORMATS:
        if fmt == "pdf" and shutil.which("chromium") is None and os.environ.get("CI") != "true":
            continue
        assert render(example, fmt)
