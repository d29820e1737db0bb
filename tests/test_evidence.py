"""Evidence you can trace (issue 16): a notice import keeps the document's title, its file name and the quote's
place in it; the store keeps them (both backends, every format: tests/test_formats.py, tests/test_parity.py);
the register of transfers, the explorer and the report cite them; an older store without them is read as before
(the document id and the row)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from conftest import TODAY

from ropa.backends.embedded import EmbeddedBackend
from ropa.extract import extract, register_rows
from ropa.formats.register import rows_to_graph
from ropa.transfers import build_register

NOTICES = Path(__file__).resolve().parent / "notices"


def notice_graph(name: str, as_name: str):
    d = extract((NOTICES / name).read_bytes(), as_name)
    return rows_to_graph([(i + 2, r) for i, r in enumerate(register_rows(d))], as_name)


def test_a_notice_import_keeps_the_documents_title_file_and_the_quotes_place():
    g = notice_graph("en_clinic.txt", "clinic.html")
    doc = g.nodes["Document"].set_index("id").loc["notice:clinic.html"]
    assert (doc["title"], doc["location"]) == ("Privacy notice", "clinic.html")
    with EmbeddedBackend(None) as s:
        s.replace(g)
        (t,) = build_register(s, TODAY)
    assert t.importer == "Xero Limited"
    assert t.source_name == "“Privacy notice” (clinic.html)"
    # line 12 of the text as read: the table's header row, then Xero's row (a closing </tr> used to leave a
    # stray "|" line after each row, which made it 13)
    assert t.evidence_at.startswith("section “Who receives your data”, line 12, characters ")
    text = (NOTICES / "en_clinic.txt").read_text(encoding="utf-8")
    a, b = (int(x) for x in t.evidence_at.rsplit("characters ", 1)[1].split("–"))
    assert "Xero" in text[a - 1:b]  # the characters named are the quote's, in the file as given
    assert t.source_ref == f"“Privacy notice” (clinic.html), {t.evidence_at}"


def test_the_cli_draft_carries_the_provenance_into_ropa_import(tmp_path, capsys):
    from ropa.cli import main
    notice = tmp_path / "verein.txt"
    notice.write_bytes((NOTICES / "de_verein.txt").read_bytes())
    assert main(["extract", str(notice), "--format", "register"]) == 0
    register = tmp_path / "draft.csv"
    register.write_text(capsys.readouterr().out, encoding="utf-8")
    store = tmp_path / "s.lbdb"
    assert main(["import", str(register), "--store", str(store)]) == 0
    with EmbeddedBackend(store, read_only=True) as s:
        (t,) = build_register(s, TODAY)
    assert t.source_name == "“Datenschutzerklärung” (verein.txt)" and t.evidence_at.startswith("line ")
    assert "Mailchimp" in t.evidence


def test_an_older_store_without_provenance_is_read_and_cites_the_id_and_row(tmp_path, monkeypatch):
    """A store written before documents had a title and hops a quote place (store schema 2): refused by an
    open, unchanged; once upgraded it reads as before, evidence cited by document id and row."""
    import ladybug as lb
    from conftest import single_file_store
    from ropa import schema
    from ropa.samples import sample_graph
    g = sample_graph()
    old_doc = dataclasses.replace(schema.NODE_TYPES["Document"], properties=schema.NODE_TYPES["Document"].properties[:3])
    monkeypatch.setitem(schema.NODE_TYPES, "Document", old_doc)
    for rt in schema.HOP_TYPES:
        t = schema.REL_TYPES[rt]
        monkeypatch.setitem(schema.REL_TYPES, rt, dataclasses.replace(
            t, properties=tuple(p for p in t.properties if p[0] != "evidence_at")))
    old = g.copy() if hasattr(g, "copy") else g
    path = single_file_store(tmp_path, old)
    monkeypatch.undo()
    db = lb.Database(str(path), read_only=True)
    conn = lb.Connection(db)
    assert "title" not in {r[0] for r in conn.execute("CALL table_info('Document') RETURN name").get_all()}
    conn.close()
    db.close()
    from ropa.errors import StoreOutdatedError
    original = path.read_bytes()  # an old single-file store
    for read_only in (True, False):  # an open never upgrades: refused, with the way out
        with pytest.raises(StoreOutdatedError, match=r"store schema 2;.*provenance of evidence.*ropa store upgrade"):
            EmbeddedBackend(path, read_only=read_only)
        if read_only:
            assert path.read_bytes() == original  # not a byte changed
    with EmbeddedBackend(path, upgrade=True) as s:  # what `ropa store upgrade` does
        assert s.schema_version() == 2
        assert s.upgrade() == 2 and s.schema_version() == schema.SCHEMA_VERSION
    with EmbeddedBackend(path, read_only=True) as s:
        register = build_register(s, TODAY)
        assert s.export().fingerprint() == g.fingerprint()
    assert register and register[0].source_ref == f"{register[0].source}, row {register[0].row}"


@pytest.fixture
def clinic_explorer(tmp_path):
    """The explorer on a store holding the clinic notice's draft and a Dutch notice's (as the Import a notice
    page imports them)."""
    pytest.importorskip("streamlit")
    from conftest import explorer_on
    path = tmp_path / "clinic.lbdb"
    with EmbeddedBackend(path) as s:
        s.replace(notice_graph("en_clinic.txt", "clinic.html").merge(notice_graph("nl_dentist.txt", "tandarts.html")))
    yield from explorer_on(path)


def _page(name: str):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string(f"from ropa.ui.pages import run\nrun(default={name!r})", default_timeout=180)
    at.session_state["as_of"] = TODAY
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_transfers_page_cites_the_document_title_file_and_place(clinic_explorer):
    at = _page("transfers")
    findings = at.dataframe[0].value
    assert "“Privacy notice” (clinic.html)" in set(findings["source"])
    assert any(str(p).startswith("section “Who receives your data”, line 12") for p in findings["evidence_at"])
    at.session_state["transfers_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    first = table.iloc[0]
    quotes = [h.proto.body for h in at.html if "<blockquote" in h.proto.body]
    assert quotes
    import html as htmllib
    text = htmllib.unescape(quotes[0])
    assert f"Source: {first['source']}, {first['evidence_at']}" in text
    assert "tandarts.html" in " ".join(table["source"]) and "clinic.html" in " ".join(table["source"])


def test_a_dutch_quote_keeps_its_language_marked_with_its_place(clinic_explorer):
    at = _page("transfers")
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    dutch = [i for i, s in enumerate(table["source"]) if "tandarts.html" in s]
    at.session_state["transfers_table"] = {"selection": {"rows": [dutch[0]], "columns": [], "cells": []}}
    at.run()
    import html as htmllib
    (quote,) = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
    assert 'lang="nl"' in quote and "Quoted in Dutch (nl)" in quote
    assert "tandarts.html, line " in quote


def test_the_report_cites_the_document_title_file_and_place(clinic_explorer):
    from ropa.report import build_report, render
    with EmbeddedBackend(clinic_explorer, read_only=True) as s:
        html = render(build_report(s, TODAY), "html").decode("utf-8")
    assert "Source: “Privacy notice” (clinic.html), section “Who receives your data”, line 12, characters " in html


def test_the_graph_pages_highlighted_finding_cites_the_document_title_file_and_place(clinic_explorer):
    at = _page("graph")
    pick = at.selectbox(key="g_highlight")
    choice = next(o for o in pick.options if "Cliniko" in o)
    pick.select(choice).run()
    assert not at.exception, [e.value for e in at.exception]
    import html as htmllib
    (quote,) = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
    assert "Source: “Privacy notice” (clinic.html), section " in quote  # not the bare document id
    assert "notice:" not in quote


def test_the_graph_focus_lists_the_activitys_flows_with_cited_evidence_and_its_language(clinic_explorer):
    at = _page("graph")
    focus = at.selectbox(key="g_focus")
    from ropa import browse, network
    with EmbeddedBackend(clinic_explorer, read_only=True) as s:
        acts = browse.read_catalogue(s).activities
    (dutch,) = acts["id"][acts["controller"].str.contains("Tandartspraktijk")]
    focus.set_value(network.node_key("Activity", dutch)).run()
    assert not at.exception, [e.value for e in at.exception]
    flows = at.table[0].value
    assert len(flows) and all("tandarts.html" in s for s in flows["source"])
    assert set(flows["language"]) == {"Dutch (nl)"} and all(flows["evidence"])
    assert any(s.value == "Where this activity's data flow" for s in at.subheader)


def test_the_special_categories_page_shows_each_flows_evidence_cited_with_its_language(tmp_path):
    pytest.importorskip("streamlit")
    from conftest import explorer_on, register_bytes, row
    from ropa.cli import main
    register = tmp_path / "zorg.csv"
    register.write_bytes(register_bytes(
        row(controller="Zorg BV", activity="Fysiotherapie", special_condition="9(2)(h)",
            data_categories="name;health data", recipient="Arbo Dienst BV", recipient_role="processor",
            recipient_country="NL", source="notice:zorg", source_title="Privacyverklaring",
            source_location="zorg.html", evidence_at="section “Ontvangers”, line 7",
            evidence="Uw gezondheidsgegevens worden verwerkt door Arbo Dienst BV in Nederland."),
        extra_columns=("source_title", "source_location", "evidence_at")))
    store = tmp_path / "zorg.lbdb"
    assert main(["import", str(register), "--store", str(store)]) == 0
    gen = explorer_on(store)
    next(gen)
    try:
        at = _page("special")
        at.session_state["special_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        import html as htmllib
        (quote,) = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
        assert "Uw gezondheidsgegevens worden verwerkt" in quote
        assert 'lang="nl"' in quote and "Quoted in Dutch (nl)" in quote
        assert "Source: “Privacyverklaring” (zorg.html), section “Ontvangers”, line 7" in quote
    finally:
        next(gen, None)
