"""Parity: the rule fixtures of test_rules.py (every PAIRS fixture, the worked example,
the seed dataset) give the same findings, row for row, on the embedded store and on
Neo4j; and Neo4j imports are idempotent, atomic and round-trip.

The Neo4j leg runs against the test session's own Neo4j 5 server (conftest.neo4j_server:
tools/neo4j, started in a temporary folder), on a graph cleared for this module.
"""
from __future__ import annotations

import datetime as dt
import io

import pytest

from conftest import TODAY, register_bytes
from test_rules import EXTRA, PAIRS

from ropa.rules import load_rules, run_rule

def _register(rows):
    from ropa.formats.register import read_register
    return read_register(io.BytesIO(register_bytes(*rows, extra_columns=EXTRA)), "fixture.csv")


def _cases():
    from ropa.samples import example_graph, sample_graph
    out = []
    for rule, (fires, quiet) in sorted(PAIRS.items()):
        out.append(pytest.param(lambda rows=fires: _register(rows), TODAY, id=f"{rule}-fires"))
        out.append(pytest.param(lambda rows=quiet: _register(rows), TODAY, id=f"{rule}-quiet"))
    out.append(pytest.param(example_graph, TODAY, id="worked-example"))
    out.append(pytest.param(example_graph, dt.date(2020, 7, 1), id="worked-example-2020-07-01"))
    out.append(pytest.param(sample_graph, TODAY, id="seed-dataset"))
    out.append(pytest.param(sample_graph, dt.date(2015, 10, 6), id="seed-dataset-2015-10-06"))
    return out


def rows_by_rule(store, graph, as_of) -> dict[str, list[dict]]:
    """Load ``graph`` and run every rule: each rule's findings as sorted plain dicts (row for row)."""
    store.replace(graph)
    out = {}
    for rule in load_rules():
        rows = [f.to_dict() for f in run_rule(store, rule, as_of)]
        out[rule.id] = sorted(rows, key=lambda r: repr(sorted(r.items())))
    return out


def differences(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> list[str]:
    """Human-readable differences between two results of :func:`rows_by_rule`."""
    out = []
    for rule in sorted(set(a) | set(b)):
        left, right = a.get(rule, []), b.get(rule, [])
        if left != right:
            only_l = [r for r in left if r not in right]
            only_r = [r for r in right if r not in left]
            out.append(f"{rule}: {len(left)} vs {len(right)} rows; only first: {only_l[:2]}; only second: {only_r[:2]}")
    return out


def test_the_comparison_sees_a_difference():
    """The harness can fail: a firing fixture and its quiet twin differ, and a graph equals itself."""
    from ropa.backends.embedded import EmbeddedBackend
    fires, quiet = PAIRS["privacy_shield_reliance"]
    with EmbeddedBackend(None) as a, EmbeddedBackend(None) as b:
        diff = differences(rows_by_rule(a, _register(fires), TODAY), rows_by_rule(b, _register(quiet), TODAY))
        assert any(d.startswith("privacy_shield_reliance: 1 vs 0 rows") for d in diff), diff
        assert differences(rows_by_rule(a, _register(fires), TODAY), rows_by_rule(b, _register(fires), TODAY)) == []


# -- the Neo4j leg ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def embedded_store():
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(None) as s:
        yield s


@pytest.mark.parametrize("make_graph,as_of", _cases())
def test_same_findings_row_for_row(neo4j_store, embedded_store, make_graph, as_of):
    graph = make_graph()
    expected = rows_by_rule(embedded_store, graph, as_of)
    got = rows_by_rule(neo4j_store, graph, as_of)
    assert differences(expected, got) == []


def test_import_round_trips_and_twice_changes_nothing(neo4j_store, embedded_store):
    from ropa.samples import sample_graph
    g = sample_graph()
    embedded_store.replace(g)
    neo4j_store.replace(g)
    assert neo4j_store.export().fingerprint() == embedded_store.export().fingerprint()
    before = neo4j_store.export().fingerprint()
    neo4j_store.load(g)
    neo4j_store.replace(g)
    assert neo4j_store.export().fingerprint() == before


def test_a_failing_import_leaves_the_database_as_it_was(neo4j_store):
    from ropa.backends.neo4j_cypher import rel_merge_statement
    from ropa.errors import BackendError
    from ropa.samples import example_graph
    neo4j_store.replace(example_graph())
    before = neo4j_store.export().fingerprint()
    plan = neo4j_store._import_plan(example_graph().merge(_register(PAIRS["outdated_scc"][0])), replace=True)
    plan.append((rel_merge_statement("ENGAGES", "Organisation", "Organisation"),
                 {"rows": [{"src": "nobody", "dst": "nowhere", "activity": "x", "props": {"activity": "x"}}]},
                 1, "ENGAGES"))
    with pytest.raises(BackendError, match="import refused"):
        neo4j_store._write_plan(plan)
    assert neo4j_store.export().fingerprint() == before


def test_the_cypher_shell_script_recreates_the_graph(neo4j_store):
    """The statements of `ropa export --format cypher`, run in an emptied database, give the same RoPA."""
    from ropa.backends.neo4j_export import generate_cypher, script_statements
    from ropa.model import RopaGraph
    from ropa.samples import example_graph
    g = example_graph()
    neo4j_store.replace(RopaGraph.empty())
    statements = script_statements("\n".join(generate_cypher(g)))
    schema = [s for s in statements if s.startswith("CREATE ")]
    data = [s for s in statements if not s.startswith("CREATE ")]
    for s in schema:
        neo4j_store._write_plan([(s, {}, None, "schema")])
    neo4j_store._write_plan([(s, {}, None, "script") for s in data])
    with_script = neo4j_store.export().fingerprint()
    neo4j_store.replace(g)
    assert with_script == neo4j_store.export().fingerprint()


def test_the_register_of_transfers_is_the_same_on_both_stores(neo4j_store, embedded_store):
    """The transfer read model (ropa/transfers.py) gives the same transfers, verdicts, data categories,
    data subjects and evidence provenance on both backends."""
    from ropa.samples import sample_graph
    from ropa.transfers import build_register

    def rows(store):
        store.replace(sample_graph())
        return [(t.controller, t.activity, t.exporter, t.importer, t.destination, t.verdict, t.data_categories,
                 t.data_subjects, t.evidence, t.source, t.row, t.evidence_at, t.source_name)
                for t in build_register(store, TODAY)]
    embedded, neo4j = rows(embedded_store), rows(neo4j_store)
    assert embedded == neo4j
    assert any(r[6] for r in embedded) and any(r[7] for r in embedded)
    # a notice import's provenance (document title, file, the quote's place) on both
    from test_evidence import notice_graph

    def cited(store):
        store.replace(notice_graph("en_clinic.txt", "clinic.html"))
        return [(t.importer, t.source_name, t.evidence_at, t.source_ref) for t in build_register(store, TODAY)]
    assert cited(neo4j_store) == cited(embedded_store) == [
        ("Xero Limited", "“Privacy notice” (clinic.html)", cited(embedded_store)[0][2],
         "“Privacy notice” (clinic.html), " + cited(embedded_store)[0][2])]
    assert cited(embedded_store)[0][2].startswith("section “Who receives your data”, line 12")
