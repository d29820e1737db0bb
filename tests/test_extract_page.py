"""The Import page (ropa/ui/extract_page.py), driven by Streamlit's AppTest: paste a notice, see the
draft, reject a row, import; the store then holds the kept rows with their quotes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, explorer_on

PAGE = str(ROOT / "ropa" / "ui" / "extract_page.py")
NOTICE = (ROOT / "tests" / "notices" / "de_verein.txt").read_text(encoding="utf-8")


@pytest.fixture
def store_path(tmp_path):
    yield from explorer_on(tmp_path / "store.lbdb")  # ROPA_STORE, and empty Streamlit caches


@pytest.fixture
def app(store_path):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    return at


def test_page_asks_for_a_notice(app):
    assert not app.exception
    assert "Paste or upload" in app.info[0].value


def test_paste_review_and_import(app, tmp_path):
    app.text_area[0].input(NOTICE).run()
    assert not app.exception
    assert "Musterverein Sport e.V." in app.markdown[0].value
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert "Imported 3 recipient rows" in app.success[0].value
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(Path(tmp_path / "store.lbdb")) as store:
        graph = store.export()
    names = set(graph.nodes["Organisation"]["name"])
    assert {"Mailchimp", "Hetzner", "Musterverein Sport e.V."} <= names
    quotes = graph.rels["EVIDENCED_BY"]
    assert (quotes["dst"] == "notice:pasted-notice.txt").any()
    assert quotes["quote"].fillna("").str.contains("Standardvertragsklauseln").any()


def test_the_import_goes_through_the_explorers_store_and_waits_for_another_writer(app, store_path):
    """The page imports into the store the explorer shows ($ROPA_STORE, through its workspace), and
    like the Import page it waits a moment while another program (``ropa import``) writes that store,
    instead of failing at once with "in use by another program"."""
    app.text_area[0].input(NOTICE).run()
    holder = ("import sys, time\nfrom ropa.backends.embedded import EmbeddedBackend\n"
              f"s = EmbeddedBackend({str(store_path)!r})\nprint('held', flush=True)\ntime.sleep(1.5)\ns.close()\n")
    other = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        app.button[0].click().run()
    finally:
        other.wait(timeout=60)
    assert not app.exception, app.exception
    assert not app.error, app.error[0].value
    assert "Imported 3 recipient rows" in app.success[0].value and str(store_path) in app.success[0].value
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store_path, read_only=True) as store:
        names = set(store.export().nodes["Organisation"]["name"])
    assert {"Mailchimp", "Hetzner", "Musterverein Sport e.V."} <= names


def test_highlight_escapes_the_notice():
    from ropa.ui.extract_page import highlighted
    text = "<script>alert(1)</script> We use Acme."
    out = highlighted(text, [(text.index("We"), len(text), 'Acme "<b>"')])
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<mark title="Acme &quot;&lt;b&gt;&quot;">We use Acme.</mark>' in out


def test_rejected_rows_are_not_imported():
    import pandas as pd
    from ropa.extract import apply_review, extract, register_rows
    from ropa.ui.extract_page import _decisions
    draft = extract(NOTICE, "n.txt")
    names = [r.name for r in draft.recipients]
    table = pd.DataFrame([{"keep": n != "Hetzner", "name": n if n != "Mailchimp" else "Mailchimp (Intuit)",
                           "country": r.country, "mechanism": r.mechanism, "role": r.role}
                          for n, r in zip(names, draft.recipients)])
    rows = apply_review(register_rows(draft), _decisions(table, names))
    kept = {r["recipient"] for r in rows}
    assert "Hetzner" not in kept and "Mailchimp (Intuit)" in kept
    assert any(r["activity"] == "Hosting" and r["recipient"] == "" for r in rows)
