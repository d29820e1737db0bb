"""In a real browser (Debian's chromium via Playwright, against `streamlit run`): a DPO changes a processor's
mechanism from none to the 2021 SCCs with a TIA on the Transfers page, sees the verdict change, and finds the
revision with their name and reason and the finding it resolved on the History page."""
from __future__ import annotations

import io
import re

import pytest
from test_browser import ARGS, CHROMIUM, OUT, _open, _settle, _shot, streamlit_server

from ropa import revisions
from ropa.backends.embedded import EmbeddedBackend
from ropa.formats.register import read_register
from ropa.transfers import VERDICTS

sync_api = pytest.importorskip("playwright.sync_api")


def _seed(path):
    from conftest import register_bytes, row
    g = read_register(io.BytesIO(register_bytes(
        row(recipient="Cloudy Inc", recipient_role="processor", recipient_country="US"))), "r.csv")
    with EmbeddedBackend(path) as s:
        revisions.commit(s, g, author="ann", reason="first import", kind="import")


def _pick(page, label: str, option: str):
    """Choose ``option`` in the selectbox labelled ``label`` (Streamlit's own combobox)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()


def _cell(page, text: str):
    """Wait for a table cell (the grid draws on a canvas; its cells are in the DOM for accessibility)."""
    page.locator("td[role=gridcell]", has_text=text).first.wait_for(state="attached")


def test_a_dpo_changes_a_mechanism_in_the_browser(tmp_path):
    store = tmp_path / "store.lbdb"
    _seed(store)
    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server(store, tmp_path) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 2200}).new_page()
        page.set_default_timeout(90_000)
        try:
            _open(page, base, "transfers", "Transfers & findings")
            page.get_by_role("tab", name=re.compile("Restricted transfers")).click()
            _cell(page, VERDICTS["no_valid_basis"])
            name = page.get_by_role("textbox", name="Your name (author of changes)")
            name.fill("Dana DPO")
            name.press("Enter")
            _settle(page)
            page.get_by_text("Change a recipient's transfer mechanism").last.click()  # the switch
            page.get_by_role("button", name="Save change").wait_for()
            _pick(page, "Mechanism", "scc_2021")
            page.get_by_role("textbox", name="Mechanism date (YYYY-MM-DD)").fill("2023-01-10")
            page.locator('[data-testid="stRadio"]').filter(has_text="TIA done").get_by_text("yes").click()
            page.get_by_role("textbox", name="Reason (required)").fill("SCCs 2021 signed, TIA done")
            page.get_by_role("button", name="Save change").click()
            page.get_by_text(re.compile(r"Saved as revision 2 by Dana DPO")).wait_for()
            _settle(page)
            page.get_by_role("tab", name=re.compile("Restricted transfers")).click()
            _cell(page, VERDICTS["basis_recorded"])
            assert not page.locator("td[role=gridcell]", has_text=VERDICTS["no_valid_basis"]).count()
            _shot(page, "edit-1-transfers-after")

            _open(page, base, "history", "History")
            grid = page.locator('[data-testid="stDataFrame"]').first
            grid.wait_for()
            b = grid.bounding_box()
            page.mouse.click(b["x"] + 16, b["y"] + 35 + 17)  # the newest revision's selection checkbox
            page.get_by_role("heading", name=re.compile("Revision 2: SCCs 2021 signed, TIA done")).wait_for()
            page.get_by_text(re.compile(r"0 new, 1 resolved")).wait_for()
            assert page.get_by_text(re.compile("by Dana DPO")).count()
            _shot(page, "edit-2-history")
        finally:
            browser.close()
    with EmbeddedBackend(store, read_only=True) as s:
        assert [(r.number, r.author) for r in revisions.history(s)] == [(1, "ann"), (2, "Dana DPO")]
