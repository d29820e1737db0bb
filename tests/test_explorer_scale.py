"""The explorer on a store larger than a page and than the graph's node cap (AppTest).

The store holds the seed register eleven times over (each copy under its own controller names,
recipients shared), about 5,500 relationships and 550 activities: more activities than the
graph draws at once, more findings and transfers than one page of a table. Every number the
pages show is checked against a direct query of the store or a direct run of the rule pack.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from conftest import explorer_on

st = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ropa.browse import PAGE_SIZE  # noqa: E402
from ropa.samples import SEED_REGISTER  # noqa: E402

AS_OF = dt.date(2026, 11, 22)
COPIES = 11


def big_register(copies: int = COPIES) -> bytes:
    rows = list(csv.DictReader(io.StringIO(SEED_REGISTER.read_text(encoding="utf-8"))))
    controllers = {r["controller"] for r in rows}
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    for i in range(copies):
        for r in rows:
            r = dict(r, controller=f"{r['controller']} {i:02d}")
            if r["engaged_by"] in controllers:
                r["engaged_by"] = f"{r['engaged_by']} {i:02d}"
            w.writerow(r)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module", autouse=True)
def store(tmp_path_factory):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats import read_file
    path = tmp_path_factory.mktemp("scale") / "store.lbdb"
    with EmbeddedBackend(path) as s:
        s.replace(read_file(io.BytesIO(big_register()), "big.csv"))
    yield from explorer_on(path)


def count(store, query: str, **params) -> int:
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store, read_only=True) as s:
        return s.run(query, params)[0]["n"]


@pytest.fixture(scope="module")
def findings(store):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    with EmbeddedBackend(store, read_only=True) as s:
        return [f.to_dict() for f in evaluate(s, AS_OF)]


def app(page: str, **state) -> AppTest:
    at = AppTest.from_string(f"from ropa.ui.pages import run\nrun(default={page!r})", default_timeout=300)
    at.session_state["as_of"] = AS_OF
    for k, v in state.items():
        at.session_state[k] = v
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def unmark(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_store_is_bigger_than_a_page_and_the_cap(store, findings):
    assert count(store, "MATCH ()-[r]->() RETURN count(r) AS n") > 5000
    assert count(store, "MATCH (a:Activity) RETURN count(a) AS n") == 50 * COPIES > 400
    assert len(findings) > 3 * PAGE_SIZE


def test_overview_counts_are_the_stores(store):
    at = app("overview")
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["Processing activities"] == count(store, "MATCH (a:Activity) RETURN count(a) AS n")
    assert metrics["Controllers"] == count(store, "MATCH (c:Organisation)-[:CONTROLS]->(:Activity) "
                                                  "RETURN count(DISTINCT c) AS n") == 5 * COPIES
    assert metrics["Restricted transfers"] == count(
        store, "MATCH ()-[h:DISCLOSES_TO|ENGAGES]->(o:Organisation) "
               "WHERE EXISTS { MATCH (o)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false } RETURN count(h) AS n")


def test_findings_table_shows_one_page_at_a_time(findings):
    at = app("transfers")
    assert any(t.label == f"Findings ({len(findings)})" for t in at.tabs)
    first = at.dataframe[0].value
    assert len(first) == PAGE_SIZE

    def keys(df):
        return [(r.title, r.controller, r.importer or "", r.reason) for r in df.itertuples()]

    def expected(part):
        return [(f["title"], f["controller"], f["importer"] or "", f["reason"]) for f in part]  # rules by title
    assert keys(first) == expected(findings[:PAGE_SIZE])
    at.number_input(key="ff_page").set_value(2).run()
    ok(at)
    second = at.dataframe[0].value
    assert len(second) == PAGE_SIZE and keys(second) == expected(findings[PAGE_SIZE:2 * PAGE_SIZE])
    assert any(f"Findings {PAGE_SIZE + 1}–{2 * PAGE_SIZE} of {len(findings)}" in c.value for c in at.caption)
    # a row of page 2 is the finding it shows
    at.session_state["findings_table"] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    ok(at)
    f = findings[PAGE_SIZE + 3]
    assert any(s.value.startswith(f"{f['severity'].upper()} · {f['title']}") for s in at.subheader)


def test_filter_then_page(findings):
    at = app("transfers")
    at.multiselect(key="ff_severity").select("high").run()
    ok(at)
    high = [f for f in findings if f["severity"] == "high"]
    assert len(high) > PAGE_SIZE
    pages = -(-len(high) // PAGE_SIZE)
    at.number_input(key="ff_page").set_value(pages).run()
    last = ok(at).dataframe[0].value
    assert len(last) == len(high) - (pages - 1) * PAGE_SIZE and set(last["severity"]) == {"high"}
    assert any(f"of {len(high)} (filtered from {len(findings)})" in c.value for c in at.caption)


def test_transfers_table_pages_and_counts(store):
    at = app("transfers")
    total = count(store, "MATCH ()-[h:DISCLOSES_TO|ENGAGES]->(o:Organisation) "
                         "WHERE EXISTS { MATCH (o)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false } "
                         "RETURN count(h) AS n")
    assert any(t.label == f"Restricted transfers ({total})" for t in at.tabs)
    assert total > 2 * PAGE_SIZE
    at.number_input(key="tf_page").set_value(3).run()
    ok(at)
    (table,) = [d.value for d in at.dataframe if "verdict" in d.value.columns]
    assert len(table) == min(PAGE_SIZE, total - 2 * PAGE_SIZE)
    assert any(f"Restricted transfers {2 * PAGE_SIZE + 1}–" in c.value and f"of {total}" in c.value
               for c in at.caption)


def test_graph_draws_nothing_over_the_cap_and_a_filtered_part_under_it(store):
    at = app("graph")
    activities = count(store, "MATCH (a:Activity) RETURN count(a) AS n")
    assert not [e for e in at.get("iframe")]
    assert any(f"{activities} processing activities match" in unmark(w.value) for w in at.warning)
    controllers = at.multiselect(key="f_controllers")
    raid = next(o for o in controllers.options if o.startswith("RAIDBOXES GmbH 03"))
    controllers.select(raid).run()
    ok(at)
    (frame,) = [e.proto.srcdoc for e in at.get("iframe")]
    nodes = json.loads(frame.split("new vis.DataSet(", 1)[1].split(");\n", 1)[0])
    labels = {n["label"] for n in nodes}
    assert "RAIDBOXES GmbH 03" in labels and "RAIDBOXES GmbH 04" not in labels
    assert 0 < len(nodes) <= 400


def test_graph_focus_searches_the_store(store):
    at = app("graph")
    at.text_input(key="g_focus_q").set_value("ActiveCampaign").run()
    ok(at)
    focus = at.selectbox(key="g_focus")
    assert focus.options and all("activecampaign" in o.casefold() for o in focus.options)
    org = next(o for o in focus.options if o.endswith("(Organisation)"))
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store, read_only=True) as s:
        (key,) = [r["id"] for r in s.run("MATCH (o:Organisation) WHERE o.name = $n RETURN o.id AS id",
                                          {"n": org.rsplit(" (", 1)[0]})]
    at.session_state["g_focus"] = f"Organisation:{key}"  # AppTest cannot pick a formatted option by label
    at.run()
    ok(at)
    assert at.selectbox(key="g_focus").value == f"Organisation:{key}"
    frames = [e.proto.srcdoc for e in at.get("iframe")]
    users = count(store, "MATCH (a:Activity)-[:DISCLOSES_TO]->(o:Organisation) WHERE o.name = $n "
                         "RETURN count(DISTINCT a) AS n", n=org.rsplit(" (", 1)[0])
    if users <= 400:
        nodes = json.loads(frames[0].split("new vis.DataSet(", 1)[1].split(");\n", 1)[0])
        assert org.rsplit(" (", 1)[0] in {n["label"] for n in nodes} and len(nodes) <= 400
    else:  # too many activities around it: its neighbourhood from the store
        nodes = json.loads(frames[0].split("new vis.DataSet(", 1)[1].split(");\n", 1)[0])
        assert org.rsplit(" (", 1)[0] in {n["label"] for n in nodes} and len(nodes) <= 400


def test_graph_draws_the_neighbourhood_of_a_node_too_connected_to_draw_whole(store, monkeypatch):
    # The recipient most activities' data reach: more activities than the graph draws with their
    # flows (the cap lowered to below that, as a million-relationship RoPA would have it).
    from ropa import browse, views
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store, read_only=True) as s:
        cat = browse.read_catalogue(s)
    orgs = cat.organisations
    top, n = max(((i, len(browse.touching(cat, f"Organisation:{i}"))) for i in orgs["id"]), key=lambda t: (t[1], t[0]))
    name = orgs["name"][orgs["id"] == top].iloc[0]
    assert n > 10
    monkeypatch.setattr(views, "NODE_CAP", n - 1)
    at = app("graph")
    at.text_input(key="g_focus_q").set_value(name).run()
    at.session_state["g_focus"] = f"Organisation:{top}"
    at.run()
    ok(at)
    assert any("processing activities touch this node" in unmark(i.value) for i in at.info)
    (frame,) = [e.proto.srcdoc for e in at.get("iframe")]
    nodes = json.loads(frame.split("new vis.DataSet(", 1)[1].split(");\n", 1)[0])
    edges = json.loads(frame.split("new vis.DataSet(", 2)[2].split(");\n", 1)[0])
    assert name[:29] in {n["label"][:29] for n in nodes} and len(nodes) <= 400
    # one edge per (source, target, type): parallel hops are counted, not drawn one by one
    assert len(edges) == len({(e["from"], e["to"], e["title"].split(":")[0]) for e in edges})
    # the caption counts the relationships the edges stand for, more than the edges drawn
    (caption,) = [c.value for c in at.caption if "edges standing for" in c.value]
    drawn, standing = re.search(r"(\d+) edges standing for ([\d,]+) relationships", caption).groups()
    assert int(drawn) == len(edges) and int(standing.replace(",", "")) >= int(drawn)


def test_the_rule_pack_runs_once_for_every_page(monkeypatch):
    import ropa.rules
    calls = []
    real = ropa.rules.evaluate

    def counting(*a, **k):
        calls.append(a[1] if len(a) > 1 else k.get("as_of"))
        return real(*a, **k)
    monkeypatch.setattr(ropa.rules, "evaluate", counting)
    st.cache_resource.clear()
    for page in ("overview", "transfers", "graph", "overview"):
        app(page)
    assert calls == [AS_OF]
    app("overview", as_of=dt.date(2020, 7, 1))
    assert calls == [AS_OF, dt.date(2020, 7, 1)]


def test_query_results_page_by_page(store):
    text = "MATCH (a:Activity) RETURN a.id AS id ORDER BY id"
    at = app("query", q_text=text)
    at.button(key="q_run").click().run()
    ok(at)
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store, read_only=True) as s:
        ids = [r["id"] for r in s.run(text)]
    assert at.dataframe[0].value["id"].tolist() == ids[:PAGE_SIZE]
    at.number_input(key="q_page").set_value(2).run()
    ok(at)
    assert at.dataframe[0].value["id"].tolist() == ids[PAGE_SIZE:2 * PAGE_SIZE]
    assert any(f"Rows {PAGE_SIZE + 1}–{2 * PAGE_SIZE} of {len(ids)}" in c.value for c in at.caption)


def test_record_of_one_controller_is_read_on_its_own(store):
    at = app("record")
    at.selectbox(key="rec_controller").select("ccombox 05").run()
    ok(at)
    part = at.dataframe[0].value
    assert len(part) == count(store, "MATCH (c:Organisation)-[:CONTROLS]->(a:Activity) WHERE c.id = $c "
                                     "RETURN count(a) AS n", c="ccombox 05") > 0
    assert any("of CCombox 05" in c.value for c in at.caption)
