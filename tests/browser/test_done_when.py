"""Issue 16's "Done when", in a real browser: each of ten everyday questions of a DPO answered from the landing
page in at most three interactions, with evidence visible. Each question starts again at the landing page and
counts what a person does (a click on a page link, a tab, a row, a button; choosing one value in a picker; typing
a date and Enter). Screenshots go to tests/output/done-*.png: look at them.

The store holds the sample register plus the clinic example (the sample has no Art. 9 data); a snapshot of the
sample alone was saved before the clinic was added, so "what changed since the last snapshot" has an answer.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from test_browser import (ARGS, CHROMIUM, OUT, _graph_frame, _local, _settle, streamlit_server, sync_api)

MAX_INTERACTIONS = 3


def _steady(page, quiet_ms: int = 1500) -> None:
    """Wait until the page's elements stop changing (Streamlit draws a page progressively, and replaces a
    widget drawn early, e.g. the tabs, when its run ends: a click on the early one is lost)."""
    _settle(page)
    last, since = None, 0
    for _ in range(200):
        now = page.evaluate("() => document.querySelectorAll('[data-testid=\"stElementContainer\"]').length "
                            "+ ':' + document.querySelectorAll('[data-stale=\"true\"]').length")
        if now == last:
            since += 250
            if since >= quiet_ms:
                return
        else:
            last, since = now, 0
        page.wait_for_timeout(250)


class Asker:
    """One question at a time: back to the landing page, then count the interactions."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.counts: dict[str, int] = {}
        self.question = ""

    def start(self, question: str) -> None:
        self.question = question
        self.counts[question] = 0
        self.page.goto(self.base + "/")
        self.page.get_by_role("heading", name="Overview", exact=True).wait_for()
        self.page.wait_for_load_state("networkidle")
        _steady(self.page)

    def _one(self) -> None:
        self.counts[self.question] += 1
        assert self.counts[self.question] <= MAX_INTERACTIONS, f"{self.question}: more than {MAX_INTERACTIONS}"

    def go(self, link: str, heading: str) -> None:
        """Click a page in the sidebar."""
        self._one()
        self.page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=link).first.click()
        self.page.get_by_role("heading", name=heading, exact=True).wait_for()
        self.page.wait_for_load_state("networkidle")
        _settle(self.page)
        _steady(self.page)  # the page has finished its run: a click now is not lost to a late redraw

    def tab(self, name: str) -> None:
        self._one()
        tab = self.page.get_by_role("tab", name=re.compile("^" + re.escape(name)))
        tab.click()
        _steady(self.page)
        assert tab.get_attribute("aria-selected") == "true"

    def choose(self, label: str, value: str, multi: bool = True) -> None:
        """Choose one value in a picker (open it, type to find, pick the option: one choice)."""
        self._one()
        kind = "stMultiSelect" if multi else "stSelectbox"
        box = self.page.locator(f'[data-testid="{kind}"]:visible').filter(
            has=self.page.get_by_text(label, exact=True)).first
        box.click()
        self.page.keyboard.type(value)
        self.page.get_by_role("option", name=re.compile(re.escape(value))).first.click()
        if multi:
            self.page.keyboard.press("Escape")
        _steady(self.page)

    def first_row(self, table: int = 0, row: int = 0) -> None:
        """Select the first row (or the ``row``-th) of a selectable table."""
        self._one()
        panel = self.page.get_by_role("tabpanel")  # the open tab's (hidden tabs are not in the role tree)
        scope = panel.first if panel.count() else self.page
        grid = scope.locator('[data-testid="stDataFrame"]:visible').nth(table)
        grid.wait_for()
        b = grid.bounding_box()
        self.page.mouse.click(b["x"] + 16, b["y"] + 35 + 35 * row + 17)
        _steady(self.page)

    def type_date(self, text: str) -> None:
        self._one()
        field = self.page.get_by_label("Evaluate as of", exact=True)
        field.fill(text)
        field.press("Enter")
        _settle(self.page)

    def download(self, button: str) -> bytes:
        self._one()
        with self.page.expect_download() as dl:
            self.page.get_by_role("button", name=button).click()
        return dl.value.path().read_bytes()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(OUT / f"done-{name}.png"))  # what is on screen (the evidence scrolled to)

    def evidence(self) -> str:
        """The first evidence quote shown (with its source line): must not be empty."""
        quote = self.page.locator("blockquote").first
        quote.wait_for()
        quote.scroll_into_view_if_needed()
        text = quote.inner_text().strip()
        assert text and "Source:" in text, text
        return text


@pytest.fixture(scope="module")
def store_and_snapshot(tmp_path_factory):
    """The sample register, a snapshot of it, then the clinic example added (a merge, as `ropa import` does)."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats import read_path
    from ropa.rules import evaluate
    from ropa.samples import SAMPLES_DIR, sample_graph
    from ropa.snapshots import save_snapshot
    d = tmp_path_factory.mktemp("done")
    store = d / "store.lbdb"
    today = dt.date.today()
    with EmbeddedBackend(store) as s:
        s.replace(sample_graph())
        save_snapshot(s.export(), evaluate(s, today), "before-the-clinic", today, directory=d / "snapshots")
        s.replace(sample_graph().merge(read_path(SAMPLES_DIR / "clinic-example.csv")))
    return store, d


def test_ten_questions_from_the_landing_page(store_and_snapshot):
    store, logs = store_and_snapshot
    OUT.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with streamlit_server(store, logs) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.set_default_timeout(90_000)
        ask = Asker(page, base)
        try:
            _ask_all(ask, page)
        except BaseException:
            ask.shot("failed-" + re.sub(r"\W+", "-", ask.question))
            raise
        finally:
            context.close()
            browser.close()
    assert len(ask.counts) == 10 and all(n <= MAX_INTERACTIONS for n in ask.counts.values()), ask.counts
    assert sorted({u for u in requests if not _local(u, base)}) == []


def _ask_all(ask: Asker, page) -> None:
    # 1. Which transfers leave the EEA: the restricted transfers, a row's evidence and route.
    ask.start("transfers leaving the EEA")
    ask.go("Transfers & findings", "Transfers & findings")
    ask.tab("Restricted transfers")
    ask.first_row(0)
    page.get_by_role("heading", name=re.compile(r" → .*\(")).wait_for()
    ask.evidence()
    ask.shot("01-transfers-leaving-the-eea")

    # 2. Which rely on Privacy Shield: the rule filter, then a row's evidence.
    ask.start("relying on Privacy Shield")
    ask.go("Transfers & findings", "Transfers & findings")
    ask.choose("Rule", "Transfer relies on the invalidated Privacy Shield")
    ask.first_row(0)
    page.get_by_role("heading", name=re.compile(r"Privacy Shield")).wait_for()
    assert "Privacy Shield" in ask.evidence()
    ask.shot("02-privacy-shield")

    # 3. Which sub-processor chain ends outside the EEA, as a path.
    ask.start("chain ending outside the EEA")
    ask.go("Transfers & findings", "Transfers & findings")
    ask.choose("Rule", "Sub-processor chain leaves the EEA")
    ask.first_row(0)
    page.get_by_role("heading", name=re.compile(r"Sub-processor chain")).wait_for()
    route = _graph_frame(page, lambda d: 3 <= d["nodes"] < 20)
    assert route["ink"] > 300
    assert page.get_by_text(re.compile(r"→.*→")).count()  # the path, hop by hop
    ask.evidence()
    ask.shot("03-chain-outside-the-eea")

    # 4. Which data categories go to the US: the map's country view.
    ask.start("data categories to the US")
    ask.choose("What goes to a country", "United States", multi=False)
    line = page.get_by_text("Data categories going to United States")
    line.scroll_into_view_if_needed()
    summary = line.inner_text()
    assert "e-mail address" in summary and "IP address" in summary
    country = page.locator('[data-testid="stDataFrame"]').last
    assert country.bounding_box()["height"] > 200
    ask.shot("04-data-categories-to-the-us")

    # 5. Which activities process Art. 9 data.
    ask.start("Art. 9 activities")
    ask.go("Special categories", "Special categories (Art. 9/10)")
    page.get_by_text("Activities with Art. 9/10 data").wait_for()
    ask.first_row(0)
    page.get_by_text(re.compile(r"Condition:.*Art\. 9\(2\)\(h\)")).wait_for()
    said = ask.evidence()  # the activity's flow, quoted with its cited source
    assert "Health checks are carried out by Arbo Dienst BV." in said and "Source: example, row 5" in said
    ask.shot("05-art9-activities")

    # 6. What changed since the last snapshot.
    ask.start("changed since the snapshot")
    ask.go("Changes since a snapshot", "Changes since a snapshot")
    page.get_by_text("recipients added", exact=True).wait_for()
    assert page.get_by_text(re.compile(r"^Nothing changed")).count() == 0  # the clinic's additions are listed
    changes = page.locator('[data-testid="stDataFrame"]').first
    changes.wait_for()
    assert changes.bounding_box()["height"] > 100
    ask.first_row(0, row=1)  # a new finding of the clinic (the first, an incomplete record, quotes nothing)
    said = ask.evidence()
    assert "SMS Relay Inc" in said and "Source: example, row 3" in said
    ask.shot("06-changes-since-the-snapshot")
    # Beyond the question: a recipient added carries its evidence too (the kind filter, then its first row).
    box = page.locator('[data-testid="stMultiSelect"]:visible').filter(has=page.get_by_text("Kind of change", exact=True)).first
    box.click()
    page.get_by_role("option", name="recipient added", exact=True).click()
    page.keyboard.press("Escape")
    _steady(page)
    grid = page.locator('[data-testid="stDataFrame"]:visible').first
    b = grid.bounding_box()
    page.mouse.click(b["x"] + 16, b["y"] + 35 + 17)
    _steady(page)
    quote = page.locator("blockquote").first
    quote.wait_for()
    added = quote.inner_text()
    assert "Source: example, row" in added and len(added.split("Source:")[0].strip()) > 10, added
    ask.shot("06b-changes-recipient-added")

    # 7. Which processors lack a DPA.
    ask.start("processors without a DPA")
    ask.go("Transfers & findings", "Transfers & findings")
    ask.choose("Rule", "Processor without an Art. 28 contract")
    ask.first_row(0)
    page.get_by_role("heading", name=re.compile(r"Art\. 28")).wait_for()
    ask.evidence()
    ask.shot("07-processors-without-a-dpa")

    # 8. Controller X's Art. 30 record as XLSX, opened.
    ask.start("Art. 30 record of RAIDBOXES as XLSX")
    ask.go("Record (Art. 30)", "Record of processing activities (Art. 30)")
    ask.choose("Controller", "RAIDBOXES GmbH", multi=False)
    data = ask.download("Download RAIDBOXES GmbH's record (XLSX)")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    header, *body = list(ws.iter_rows(values_only=True))
    assert header[0] == "(a) controller" and body and {r[0] for r in body} == {"RAIDBOXES GmbH"}
    assert "(a) processor" not in header
    ask.shot("08-art30-record")

    # 9. The exposure as of 2020-07-01 (before Schrems II): type the date; the worst findings show their evidence.
    ask.start("exposure as of 2020-07-01")
    ask.type_date("2020-07-01")
    page.get_by_text("Evaluated as of 2020-07-01").wait_for()
    assert page.locator('[data-testid="worst-evidence"]').first.inner_text().strip()
    ask.shot("09-exposure-2020-07-01")
    ask.page.get_by_label("Evaluate as of", exact=True).fill(dt.date.today().isoformat())
    ask.page.get_by_label("Evaluate as of", exact=True).press("Enter")
    _settle(page)

    # 10. Where customer data flow for an activity: the Graph, focused on it (left to right).
    ask.start("where an activity's data flow")
    ask.go("Graph", "Graph")
    ask.choose("Focus on", "Newsletter (activity of RAIDBOXES", multi=False)
    focused = _graph_frame(page, lambda d: 0 < d["nodes"] < 12)
    x = focused["x"]
    assert x["RAIDBOXES GmbH"] < x["Newsletter"] < x["ActiveCampaign"] < x["United States"]
    flows = page.locator('[data-testid="stTable"]').first  # under the drawing: the hops with their evidence
    flows.scroll_into_view_if_needed()
    text = flows.inner_text()
    assert "ActiveCampaign is gecertificeerd" in text and "Dutch (nl)" in text and "United States" in text
    ask.shot("10-activity-data-flow")
