"""The Import page (ropa/ui/extract_page.py), driven by Streamlit's AppTest: paste a notice, see the
draft, reject a row, import; the store then holds the kept rows with their quotes."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT

PAGE = str(ROOT / "ropa" / "ui" / "extract_page.py")
NOTICE = (ROOT / "tests" / "notices" / "de_verein.txt").read_text(encoding="utf-8")


@pytest.fixture
def app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("ROPA_STORE", str(tmp_path / "store.lbdb"))
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
