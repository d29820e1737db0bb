"""Injection end to end: a register whose every text cell is an attack flows through import, the store,
findings, the graph view, every export and the report as plain data.

Spreadsheet formulas come out neutralised in CSV/XLSX (and the bundle's CSVs), markup escaped in HTML
and the graph page, and Cypher-looking values are stored and queried as values (parameters). The
browser half (the explorer's pages and the report opened in chromium) is tests/browser/test_injection_browser.py.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from conftest import TODAY, register_bytes
from ropa.backends.embedded import EmbeddedBackend
from ropa.cli import main
from ropa.errors import BackendError, ReadOnlyError
from ropa.formats import read_file
from ropa.formats.text import FORMULA_PREFIXES

PAYLOADS = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
            "' OR 1=1 //", "}) DETACH DELETE n //", "+1+cmd|' /C calc'!A0", "-2+3"]
TEXT_COLUMNS = ["controller", "activity", "purpose", "legal_basis", "special_condition", "data_subjects",
                "data_categories", "retention", "security_measures", "recipient", "processing_countries",
                "evidence", "source"]


def payload_rows() -> list[dict]:
    """One row per payload: every free-text cell carries it (names made unique by a suffix)."""
    rows = []
    for i, p in enumerate(PAYLOADS):
        rows.append({"controller": p, "controller_country": "NL", "activity": p, "purpose": p, "legal_basis": p,
                     "special_condition": p, "data_subjects": p, "data_categories": p, "retention": p,
                     "security_measures": p, "recipient": f"{p} Inc", "recipient_role": "processor",
                     "recipient_country": "US", "processing_countries": f"{p} land", "mechanism": "privacy shield",
                     "dpa": "yes", "evidence": p, "source": f"{p} src"})
    return rows


def payload_register() -> bytes:
    return register_bytes(*payload_rows())


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An on-disk store that got the payload register through `ropa import`."""
    d = tmp_path_factory.mktemp("injection")
    f = d / "payloads.csv"
    f.write_bytes(payload_register())
    path = d / "store.lbdb"
    assert main(["import", str(f), "--store", str(path)]) == 0
    return path


def _values(store_path, query) -> set:
    with EmbeddedBackend(store_path, read_only=True) as s:
        return {r["v"] for r in s.run(query)}


def test_every_text_cell_is_stored_exactly_as_written(store):
    orgs = _values(store, "MATCH (o:Organisation) RETURN o.name AS v")
    assert orgs == set(PAYLOADS) | {f"{p} Inc" for p in PAYLOADS}  # nothing lost, nothing executed
    for prop in ("name", "purpose", "legal_basis", "special_condition", "retention", "security_measures", "controller"):
        assert _values(store, f"MATCH (a:Activity) RETURN a.{prop} AS v") == set(PAYLOADS), prop
    assert _values(store, "MATCH (c:DataCategory) RETURN c.name AS v") == set(PAYLOADS)
    assert _values(store, "MATCH (s:DataSubject) RETURN s.name AS v") == set(PAYLOADS)
    assert _values(store, "MATCH ()-[h:DISCLOSES_TO]->() RETURN h.evidence AS v") == set(PAYLOADS)
    assert _values(store, "MATCH (d:Document) RETURN d.id AS v") == {f"{p} src" for p in PAYLOADS}
    assert _values(store, "MATCH (k:Country) WHERE k.resolved = false RETURN k.name AS v") == \
        {f"{p} land" for p in PAYLOADS}
    # "}) DETACH DELETE n //" deleted nothing: the legal reference data are all there
    with EmbeddedBackend(store, read_only=True) as s:
        assert s.run("MATCH (m:Mechanism) RETURN count(m) AS n")[0]["n"] > 10
        assert s.run("MATCH (k:Country) WHERE k.resolved RETURN count(k) AS n")[0]["n"] > 200


def test_payloads_reach_queries_only_as_parameters(store):
    with EmbeddedBackend(store, read_only=True) as s:
        for p in PAYLOADS:
            rows = s.run_read_only("MATCH (o:Organisation) WHERE o.name = $name RETURN o.name AS v", {"name": p})
            assert rows == [{"v": p}]


def _cells_csv(data: bytes) -> list[str]:
    return [c for line in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in line]


def _no_formula(cells, where):
    bad = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_PREFIXES)]
    assert not bad, (where, bad[:3])


@pytest.mark.parametrize("fmt,ext", [("csv", "csv"), ("xlsx", "xlsx"), ("bundle", "zip"), ("json", "json"),
                                     ("graphml", "graphml")])
def test_every_export_round_trips_the_payloads_and_neutralises_formulas(store, tmp_path, fmt, ext):
    out = tmp_path / f"export.{ext}"
    assert main(["export", "--format", fmt, "--out", str(out), "--store", str(store)]) == 0
    data = out.read_bytes()
    if fmt == "csv":
        cells = _cells_csv(data)
        _no_formula(cells, "csv")
        assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells and "<script>alert(1)</script>" in cells
    elif fmt == "xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(io.BytesIO(data))
        cells = []
        for ws in wb.worksheets:
            for r in ws.iter_rows():
                for c in r:
                    assert c.data_type != "f", (c.coordinate, c.value)
                    cells.append(c.value)
        _no_formula(cells, "xlsx")
        assert "'=cmd|' /C calc'!A0" in cells
    elif fmt == "bundle":  # two CSVs a user may well open in a spreadsheet
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                _no_formula(_cells_csv(z.read(member)), member)
    back = read_file(io.BytesIO(data), out.name)
    with EmbeddedBackend(store, read_only=True) as s:
        stored = s.export()
    names = set(back.nodes["Organisation"]["name"])
    assert names == set(stored.nodes["Organisation"]["name"])
    assert set(back.nodes["Activity"]["purpose"]) == set(PAYLOADS)
    assert set(back.rels["DISCLOSES_TO"]["evidence"]) == set(PAYLOADS)
    if fmt in ("bundle", "json", "graphml"):  # graph formats keep everything, row numbers included
        assert back.fingerprint() == stored.fingerprint()


def test_findings_carry_the_payloads_as_text_and_their_csv_is_inert(store, capsys):
    from ropa.rules import evaluate
    with EmbeddedBackend(store, read_only=True) as s:
        findings = evaluate(s, TODAY)
    ps = [f for f in findings if f.rule == "privacy_shield_reliance"]
    assert {f.controller for f in ps} == set(PAYLOADS)
    assert {f.evidence for f in ps} == set(PAYLOADS)
    unknown = {f.subject for f in findings if f.rule == "unknown_country"}
    assert all(any(p in u for u in unknown) for p in PAYLOADS), unknown
    f = store.parent / "payloads.csv"
    assert main(["check", str(f), "--format", "csv", "--as-of", TODAY.isoformat()]) == 0
    cells = _cells_csv(capsys.readouterr().out.encode("utf-8"))
    _no_formula(cells, "ropa check --format csv")
    assert "'=cmd|' /C calc'!A0" in cells


def test_html_report_shows_the_payloads_as_text(store, tmp_path):
    from test_report import parse_html
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out), "--store", str(store), "--as-of", TODAY.isoformat()]) == 0
    html = out.read_bytes()
    p = parse_html(html)
    assert "script" not in p.tags and "img" not in p.tags
    assert not [k for k, _ in p.attrs if k.startswith("on")]
    text = "".join(p.text)
    for payload in PAYLOADS:
        assert payload in text, payload


def test_graph_page_carries_the_payloads_only_as_escaped_json(store):
    from ropa import network, overlay
    from ropa.render import network_html
    from ropa.rules import evaluate
    with EmbeddedBackend(store, read_only=True) as s:
        g = overlay.annotate(network.build_network(s.export()), evaluate(s, TODAY))
    page = network_html(g)
    for raw in ("<script>alert(1)", "<img src=x", "onerror=alert(1)>"):
        assert raw not in page, raw
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # there, as JSON text
    import networkx as nx
    benign = nx.MultiDiGraph()
    benign.add_node("a", label="Organisation", name="Acme", props={})
    tags = re.compile(r"<(script|img|iframe|object|link)\b", re.I)
    assert len(tags.findall(page)) == len(tags.findall(network_html(benign)))  # nothing the data brought
    titles = [d for _, d in g.nodes(data=True) if d["label"] == "Organisation"]
    assert {d["name"] for d in titles} == set(PAYLOADS) | {f"{p} Inc" for p in PAYLOADS}


# -- the Query page's read-only mode, on both backends ---------------------------------------------

WRITES = ["MATCH (n) DETACH DELETE n", "CREATE (:Organisation {id: 'intruder'})",
          "MATCH (o:Organisation) SET o.name = 'x'", "MERGE (o:Organisation {id: 'intruder'})"]
NEO4J_WRITES = WRITES + ["INSERT (:Organisation {id: 'intruder'})"]  # GQL (Neo4j 5.18+)


def test_embedded_console_refuses_writes_and_the_read_only_store_is_a_second_wall(store):
    with EmbeddedBackend(store, read_only=True) as s:
        before = s.export().fingerprint()
        for q in WRITES:
            with pytest.raises(ReadOnlyError):
                s.run_read_only(q)
            with pytest.raises(BackendError):  # past the keyword check, the store itself refuses
                s.run(q)
        assert s.export().fingerprint() == before


def test_neo4j_console_refuses_writes_and_the_read_transaction_is_a_second_wall(neo4j_store, monkeypatch):
    from ropa.samples import example_graph
    store = neo4j_store
    store.replace(example_graph())
    before = store.export().fingerprint()
    for q in NEO4J_WRITES:
        with pytest.raises(ReadOnlyError, match="console is read-only"):
            store.run_read_only(q)
        with pytest.raises(ReadOnlyError, match="read-only transaction"):  # rules and console run in READ
            store.run(q)                                                  # transactions: the server refuses
    # the console's own path has the second wall too: with the keyword check out of the way, a GQL INSERT
    # (Neo4j 5.18+) that reaches the server through run_read_only is refused by the read transaction
    import ropa.backends.base as base
    monkeypatch.setattr(base, "assert_read_only", lambda query: None)
    with pytest.raises(ReadOnlyError, match="read-only transaction"):
        store.run_read_only("INSERT (:Organisation {id: 'intruder'})")
    assert store.export().fingerprint() == before


# Writes of Neo4j 5 / GQL beyond openCypher's CREATE/MERGE/SET/DELETE (Cypher manual, "Clauses": INSERT,
# NODETACH DELETE; administration: GRANT/DENY/REVOKE, RENAME, TERMINATE TRANSACTIONS, server management)
GQL_AND_ADMIN_WRITES = [
    "INSERT (:Organisation {id: 'intruder'})",
    "insert (a:Organisation {id: 'a'})-[:ENGAGES]->(b:Organisation {id: 'b'})",
    "MATCH (n:Organisation) NODETACH DELETE n",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "GRANT ROLE admin TO neo4j",
    "DENY READ {*} ON GRAPH * TO reader",
    "REVOKE ROLE admin FROM neo4j",
    "RENAME USER neo4j TO intruder",
    "ENABLE SERVER 'x'",
    "DEALLOCATE DATABASES FROM SERVER 'x'",
    "REALLOCATE DATABASES",
]


@pytest.mark.parametrize("query", GQL_AND_ADMIN_WRITES)
def test_the_console_keyword_check_knows_gql_and_administration_writes(query):
    from ropa.backends.base import assert_read_only
    with pytest.raises(ReadOnlyError, match="read-only"):
        assert_read_only(query)


@pytest.mark.parametrize("query", ["MATCH (o:Organisation) RETURN o.name AS insert, o.id AS grant",
                                   "MATCH (o:Organisation) WHERE o.name = 'INSERT GRANT REVOKE' RETURN o.revoke",
                                   "MATCH (o:Organisation) WHERE o.name STARTS WITH 'A' RETURN count(o) AS n"])
def test_the_new_keywords_do_not_refuse_reads(query):
    from ropa.backends.base import assert_read_only
    assert_read_only(query)


def test_the_explorers_transfer_downloads_carry_the_data_categories_inert(store):
    """The Transfers page's and the country view's CSV/XLSX: the data categories and subjects (payloads
    here) are there, as text, never a formula."""
    from openpyxl import load_workbook

    from ropa import browse
    from ropa.country_view import country_flows
    from ropa.rules import evaluate
    from ropa.tables import csv_bytes, xlsx_bytes
    from ropa.transfers import build_register
    from ropa.ui.transfers import TRANSFER_ORDER, _csv, _xlsx
    with EmbeddedBackend(store, read_only=True) as s:
        found = evaluate(s, TODAY)
        ev = browse.lay_findings(browse.read_catalogue(s), [f.to_dict() for f in found], build_register(s, TODAY, found))
    table = ev.transfers.assign(special="")
    assert set(table["data_categories"]) >= set(PAYLOADS) and set(table["data_subjects"]) >= set(PAYLOADS)
    cmd = ev.transfers[ev.transfers["data_categories"] == PAYLOADS[0]]
    country = country_flows(None, ev.transfers, str(cmd["destination"].iloc[0]))
    for name, data in (("transfers.csv", _csv(table, TRANSFER_ORDER)), ("country.csv", csv_bytes(country))):
        cells = _cells_csv(data)
        _no_formula(cells, name)
        assert "'=cmd|' /C calc'!A0" in cells
    for name, data in (("transfers.xlsx", _xlsx(table, TRANSFER_ORDER)),
                       ("country.xlsx", xlsx_bytes({"Transfers": country}))):
        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [c.value for r in ws.iter_rows() for c in r]
        assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r), name
        _no_formula(cells, name)
        assert "'=cmd|' /C calc'!A0" in cells


def test_the_explorers_changes_download_carries_the_evidence_inert(store, tmp_path):
    """The Changes page's CSV/XLSX against an empty snapshot: every payload recipient is added and every
    finding new, each with its evidence (a payload here) and cited source, as text, never a formula."""
    from openpyxl import load_workbook

    from ropa.model import RopaGraph
    from ropa.report.diff import diff_against
    from ropa.rules import evaluate
    from ropa.snapshots import save_snapshot
    from ropa.tables import csv_bytes
    from ropa.ui.changes_page import _xlsx, changes_table
    snap = save_snapshot(RopaGraph.empty(), [], "empty", TODAY, directory=tmp_path)
    with EmbeddedBackend(store, read_only=True) as s:
        graph, found = s.export(), evaluate(s, TODAY)
    diff = diff_against(snap, graph, found, sorted(set(graph.nodes["Activity"]["controller"])))
    table = changes_table(diff)
    added = table[table["change"] == "recipient added"]
    assert set(added["evidence"]) == set(PAYLOADS) and set(added["source"]) >= {f"{PAYLOADS[0]} src, row 2"}
    cells = _cells_csv(csv_bytes(table))
    _no_formula(cells, "changes.csv")
    assert "'=cmd|' /C calc'!A0" in cells
    ws = load_workbook(io.BytesIO(_xlsx(table))).worksheets[0]
    assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)
    values = [c.value for r in ws.iter_rows() for c in r]
    _no_formula(values, "changes.xlsx")
    assert "'=cmd|' /C calc'!A0" in values and "'=cmd|' /C calc'!A0 src, row 2" in values
