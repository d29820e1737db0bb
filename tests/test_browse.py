"""ropa.browse reads what the explorer shows piece by piece; it must agree with ropa.views on the whole graph."""
from __future__ import annotations

import datetime as dt

import pytest

from ropa import browse, narrow, network, overlay
from oracles.network_views import overview_counts
from ropa.backends.embedded import EmbeddedBackend
from ropa.rules import evaluate
from ropa.samples import sample_graph
from ropa.transfers import VERDICT_ORDER, build_register, register_frame

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def sample():
    with EmbeddedBackend() as store:
        store.replace(sample_graph())
        found = evaluate(store, AS_OF)
        findings = [f.to_dict() for f in found]
        register = build_register(store, AS_OF, found)
        ev = browse.lay_findings(browse.read_catalogue(store), findings, register)
        full = overlay.annotate(network.build_network(store.export()), findings, verdicts=ev.verdicts)
        yield store, findings, full, ev.catalogue, ev


def test_counts_map_and_transfers_match_the_whole_graph(sample):
    store, findings, full, cat, ev = sample
    assert ev.counts == overview_counts(full)
    assert ev.map == overlay.map_layers(full)
    # the transfer table is the register (the report's), worst first
    assert ev.transfers.equals(register_frame(ev.register)) and len(ev.transfers) > 0
    order = [VERDICT_ORDER[t.verdict] for t in ev.register]
    assert order == sorted(order)
    assert ev.counts["restricted_transfers"] == len({t.hop for t in ev.register})
    assert ev.table.equals(overlay.findings_table(findings))


def test_every_drawn_hop_shows_the_worst_verdict_of_its_transfers_in_the_register(sample):
    store, findings, full, cat, ev = sample
    worst = {}
    for t in ev.register:
        k = (network.node_key("Activity", t.activity_id), network.node_key("Organisation", t.importer_id))
        worst.setdefault(k, []).append(t.verdict)
    for u, v, d in full.edges(data=True):
        if d["type"] in ("DISCLOSES_TO", "ENGAGES"):
            expected = min(worst[(d["activity"], v)], key=VERDICT_ORDER.get) if d["transfer"] else "none"
            assert d["verdict"] == expected, (u, v)
    # a graph read without a store judges its hops with the register's own rule: the same verdicts here
    plain = overlay.annotate(network.build_network(store.export()), findings)
    assert {(u, v, k): d["verdict"] for u, v, k, d in plain.edges(keys=True, data=True) if "verdict" in d} == \
        {(u, v, k): d["verdict"] for u, v, k, d in full.edges(keys=True, data=True) if "verdict" in d}


def test_a_subnetwork_of_everything_is_the_whole_network(sample):
    store, findings, full, cat, ev = sample
    acts = list(cat.activities["id"])
    g = browse.network(store, acts, findings=browse.findings_about(cat, ev, acts))
    assert sorted(g.nodes) == sorted(full.nodes)
    assert g.number_of_edges() == full.number_of_edges()
    for n, d in full.nodes(data=True):
        assert g.nodes[n]["severity"] == d["severity"], n
        assert g.nodes[n].get("controller") == d.get("controller"), n


def test_a_subnetwork_holds_one_activity_and_only_its_part(sample):
    store, findings, full, cat, ev = sample
    hops = cat.hops
    act = hops[hops["type"] == "ENGAGES"]["activity_id"].iloc[0]  # an activity with a sub-processor chain
    g = browse.network(store, [act], findings=browse.findings_about(cat, ev, [act]), verdicts=ev.verdicts)
    assert [k for k, d in g.nodes(data=True) if d["label"] == "Activity"] == [network.node_key("Activity", act)]
    expected = {n for n in narrow.focus(full, network.node_key("Activity", act), 1)}
    assert expected <= set(g.nodes)
    # the verdicts on its hops are those of the whole graph
    def verdicts(net):
        return {(u, v, d["type"], d["activity"]): d["verdict"] for u, v, d in net.edges(data=True)
                if d["type"] in ("DISCLOSES_TO", "ENGAGES") and d["activity"] == network.node_key("Activity", act)}
    assert verdicts(g) == verdicts(full) and len(verdicts(g)) >= 2


def test_candidates_cover_what_the_filter_keeps(sample):
    store, findings, full, cat, ev = sample
    flt = narrow.GraphFilter(countries=("US",), min_severity="high")
    kept = {d["id"] for _, d in narrow.filter_network(full, flt).nodes(data=True) if d["label"] == "Activity"}
    cands = browse.candidate_activities(store, cat, ev, flt)
    assert kept and kept <= set(cands) < set(cat.activities["id"])
    sub = browse.network(store, cands, findings=browse.findings_about(cat, ev, cands))
    again = {d["id"] for _, d in narrow.filter_network(sub, flt).nodes(data=True) if d["label"] == "Activity"}
    assert again == kept


def test_search_finds_names_in_any_case_and_reads_the_text_as_text(sample):
    store, *_ = sample
    cat = browse.read_catalogue(store)
    found = dict(browse.search(cat, "RaidBOXES"))
    assert "Organisation:raidboxes gmbh" in found
    assert all("raidboxes" in label.casefold() for label in found.values())
    assert browse.search(cat, "x') RETURN 1 //") == []  # text, not Cypher
    assert browse.search(cat, ".*") == []  # nor a pattern
    assert len(browse.search(cat, "e", limit=2)) <= 4  # at most two of each kind


def test_page_of_clamps():
    import pandas as pd
    df = pd.DataFrame({"n": range(120)})
    assert browse.page_of(df, 2, 50)[0]["n"].tolist() == list(range(50, 100))
    assert browse.page_of(df, 99, 50)[1:] == (3, 3)
    assert browse.page_of(df.iloc[:0], 1, 50)[1:] == (1, 1)
