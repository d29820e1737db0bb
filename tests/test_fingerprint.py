"""The data fingerprint: one function of the data, however the tables are read.

Reports and snapshots print and compare it, so it must stay the SHA-256 of the canonical JSON form
(:meth:`RopaGraph.canonical`), whether made from a graph in memory or a store's tables read one at a
time (:meth:`Backend.export_tables`, what ``ropa report`` uses instead of exporting the graph).
"""
import datetime as dt
import hashlib
import io
import json

import pytest

from ropa.formats.register import read_register
from ropa.generate import generate
from ropa.model import RopaGraph, fingerprint_of
from ropa.samples import example_graph, sample_graph


def by_definition(g: RopaGraph) -> str:
    return hashlib.sha256(json.dumps(g.canonical(), sort_keys=True, default=str).encode()).hexdigest()


def generated_graph(relationships: int = 1500, seed: int = 3) -> RopaGraph:
    out = io.StringIO()
    generate(out, relationships, seed)
    return read_register(io.BytesIO(out.getvalue().encode()), "register.csv")


def awkward_graph() -> RopaGraph:
    """Nulls in integer columns (pandas widens them to floats), dates, booleans, quotes, non-ASCII,
    a percent sign, two activities with one name, rows in no particular order."""
    acts = [{"id": "a2", "controller": "Zorg \"BV\"", "name": "Payroll", "row": 3, "source": "r.csv"},
            {"id": "a1", "controller": "Ärzte GmbH", "name": "Payroll", "row": None, "purpose": "100% €"},
            {"id": "a3", "controller": "Ärzte GmbH", "name": "payroll", "row": 12}]
    orgs = [{"id": "o1", "name": "Ärzte GmbH"}, {"id": "o2", "name": "Cloud Inc"}]
    cats = [{"id": "health", "name": "Health", "article": 9}, {"id": "contact", "name": "Contact", "article": None}]
    hop = {"src": "a1", "dst": "o2", "src_label": "Activity", "dst_label": "Organisation", "activity": "a1",
           "exporter": "o1", "mechanism": "scc_2021", "mechanism_date": dt.date(2022, 3, 1), "tia": False}
    return RopaGraph.from_records(
        {"Activity": acts, "Organisation": orgs, "DataCategory": cats},
        {"DISCLOSES_TO": [hop, {**hop, "src": "a3", "activity": "a3", "mechanism_date": None, "tia": None}],
         "PROCESSES": [{"src": "a1", "dst": "health", "src_label": "Activity", "dst_label": "DataCategory"},
                       {"src": "a2", "dst": "contact", "src_label": "Activity", "dst_label": "DataCategory"}],
         "PROCESSES_IN": [{"src": "o2", "dst": "US", "src_label": "Organisation", "dst_label": "Country",
                           "inferred": True}]})


GRAPHS = {"empty": RopaGraph.empty, "example": example_graph, "sample": sample_graph,
          "generated": generated_graph, "awkward": awkward_graph}


@pytest.mark.parametrize("name", GRAPHS)
def test_fingerprint_is_the_hash_of_the_canonical_form(name):
    g = GRAPHS[name]()
    assert g.fingerprint() == by_definition(g)


def test_fingerprint_tells_graphs_apart():
    g = awkward_graph()
    h = awkward_graph()
    h.rels["DISCLOSES_TO"].loc[1, "tia"] = False  # null -> false
    k = awkward_graph()
    k.nodes["Activity"].loc[1, "row"] = 0  # null -> 0
    assert len({g.fingerprint(), h.fingerprint(), k.fingerprint()}) == 3


@pytest.mark.parametrize("name", ["example", "generated", "awkward"])
def test_a_store_read_table_by_table_has_the_fingerprint_of_its_export(store, name):
    store.replace(GRAPHS[name]())
    exported = store.export()
    tables = list(store.export_tables())
    assert [(part, table) for part, table, _ in tables] == [(part, table) for part, table, _ in exported.tables()]
    for part, table, columns in tables:
        frame = (exported.nodes if part == "nodes" else exported.rels)[table]
        assert sorted(columns) == sorted(frame.columns), table
        if part == "nodes":  # same rows, in the same order (the records' order among equal names)
            assert {c: columns[c] for c in columns} == {c: frame[c].tolist() for c in frame.columns}, table
        else:
            def rows(cols):
                return sorted(map(repr, zip(*(cols[c] for c in sorted(frame.columns)))))
            assert rows(columns) == rows({c: frame[c].tolist() for c in frame.columns}), table
    assert sum(len(c["src"]) for p, _, c in tables if p == "rels") == sum(len(df) for df in exported.rels.values())
    assert fingerprint_of(store.export_tables()) == exported.fingerprint() == by_definition(exported)


def test_the_report_prints_the_fingerprint_of_the_stored_data(store):
    from ropa.report.content import build_report
    store.replace(generated_graph(800, seed=5))
    r = build_report(store, dt.date(2026, 11, 22))
    assert r.fingerprint == store.export().fingerprint()[:12]
    assert len(r.records) == len(store.export().nodes["Activity"]) > 0
