"""The explorer's library side: network, findings on it, filters, routes, tables, Art. 30, drawing."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import networkx as nx
import pytest

from ropa.palette import VERDICT_COLOURS
from ropa.transfers import VERDICTS
from ropa import art30, browse, narrow, network, overlay, routes, views
from ropa.browse.neighbourhood import neighbourhood
from oracles.network_views import filter_options, overview_counts, transfers_frame
from ropa.backends.embedded import EmbeddedBackend
from ropa.findings import SEVERITY_RANK
from ropa.formats.register import read_register
from ropa.generate import generate
from ropa.model import RopaGraph
from ropa.render import network_html, node_tooltip
from ropa.rules import evaluate
from ropa.samples import example_graph, sample_graph
from ropa.schema import HOP_TYPES

TODAY = dt.date(2026, 11, 22)
BEFORE_SCHREMS_II = dt.date(2020, 7, 1)


def _evaluated(graph, as_of):
    with EmbeddedBackend(None) as store:
        store.replace(graph)
        return store.export(), [f.to_dict() for f in evaluate(store, as_of)]


@pytest.fixture(scope="module")
def sample():
    rg, findings = _evaluated(sample_graph(), TODAY)
    g = network.build_network(rg)
    return g, overlay.annotate(g, findings), findings


@pytest.fixture(scope="module")
def example():
    rg, findings = _evaluated(example_graph(), TODAY)
    g = network.build_network(rg)
    return g, overlay.annotate(g, findings), findings


def _names(g, label):
    return sorted(d["name"] for _, d in g.nodes(data=True) if d["label"] == label)


def test_every_finding_lands_on_the_graph(sample):
    _, a, findings = sample
    placed = {overlay.finding_identity(f) for _, d in a.nodes(data=True) for f in d["findings"]}
    assert {overlay.finding_identity(f) for f in findings} <= placed


def test_hop_findings_land_on_their_own_hop(sample):
    """A Privacy Shield finding marks the hop of its activity, not the importer's other hops."""
    _, a, findings = sample
    f = next(f for f in findings if f["rule"] == "privacy_shield_reliance" and f["importer"] == "ActiveCampaign")
    marked = [(u, v, d) for u, v, d in a.edges(data=True) if any(x["rule"] == f["rule"] and x["activity"] == f["activity"]
                                                                 for x in d.get("findings", []))]
    assert len(marked) == 1
    u, v, d = marked[0]
    assert a.nodes[v]["name"] == "ActiveCampaign" and d["verdict"] == "no_valid_basis"
    assert a.nodes[d["activity"]]["name"] == f["activity"]


@pytest.mark.parametrize("as_of, us_colour", [(TODAY, "#c62828"), (BEFORE_SCHREMS_II, None)])
def test_map_colours_the_us_by_privacy_shield_only_after_schrems_ii(as_of, us_colour):
    rg, findings = _evaluated(sample_graph(), as_of)
    layers = overlay.map_layers(overlay.annotate(network.build_network(rg), findings))
    assert "US" in layers["fill"]
    ps = "Transfer relies on the invalidated Privacy Shield" in layers["labels"]["US"]
    assert ps == (as_of == TODAY)
    if us_colour:
        assert layers["fill"]["US"] == us_colour
    assert layers["fill"]["DE"] == "#9cc3e6"  # recipients inside the EEA: light blue


def test_transfers_are_the_hops_abroad_worst_first(sample):
    _, a, _ = sample
    tf = transfers_frame(a)
    assert len(tf) == overview_counts(a)["restricted_transfers"] > 0
    order = {label: i for i, label in enumerate(VERDICTS.values())}
    ranks = [order[v] for v in tf["verdict"]]
    assert ranks == sorted(ranks)
    assert set(tf["destination"]) == {"US"}
    ps = tf[tf["rules"].str.contains("privacy_shield_reliance")]
    assert len(ps) == 15 and set(ps["verdict"]) == {"No valid basis"} and set(ps["controller"]) == {"RAIDBOXES GmbH"}
    assert (ps["evidence"].str.len() > 0).all() and ps["evidence"].str.contains("Privacy Shield").any()


def test_transfer_without_finding_is_ok(example):
    _, a, _ = example
    tf = transfers_frame(a).set_index("importer")
    assert tf.loc["Mail Blast LLC", "verdict"] == "No valid basis"
    assert tf.loc["SMS Relay Inc", "verdict"] == "Action needed"  # the chain finding is medium


def test_onward_chain_route_runs_through_the_subprocessor(example):
    _, a, findings = example
    chain = next(f for f in findings if f["rule"] == "onward_transfer_chain")
    route = routes.finding_route(a, chain)
    assert [a.nodes[n]["name"] for n in route] == [
        "Voorbeeld Zorg BV", "Patient appointments", "Agenda Cloud GmbH", "SMS Relay Inc", "United States"]
    sub = routes.route_subgraph(a, route)
    bold = [(a.nodes[u]["name"], a.nodes[v]["name"]) for u, v, d in sub.edges(data=True) if d["highlight"]]
    assert ("Agenda Cloud GmbH", "SMS Relay Inc") in bold and len(bold) == 4
    assert "Germany" in _names(sub, "Country")  # context: where the route's organisations sit


def test_route_of_an_activity_finding_is_controller_and_activity(sample):
    _, a, findings = sample
    f = next(f for f in findings if f["rule"] == "incomplete_record")
    assert [a.nodes[n]["label"] for n in routes.finding_route(a, f)] == ["Organisation", "Activity"]


@pytest.mark.parametrize("flt, expect_activities, absent", [
    (narrow.GraphFilter(countries=("US",)), {"Newsletter", "Patient appointments"}, "Arbo Dienst BV"),
    (narrow.GraphFilter(min_severity="high"), {"Newsletter"}, "Agenda Cloud GmbH"),
    (narrow.GraphFilter(min_severity="medium"), {"Newsletter", "Patient appointments", "Occupational health checks"},
     None),
])
def test_filters_keep_matching_flows(example, flt, expect_activities, absent):
    _, a, _ = example
    shown = narrow.filter_network(a, flt)
    assert set(_names(shown, "Activity")) == expect_activities
    if absent:
        assert absent not in _names(shown, "Organisation")


def test_country_filter_prunes_branches_that_stay_home(sample):
    _, a, _ = sample
    raid = next(k for k, n in filter_options(a)["controllers"] if n == "RAIDBOXES GmbH")
    everything = narrow.filter_network(a, narrow.GraphFilter(controllers=(raid,)))
    to_us = narrow.filter_network(a, narrow.GraphFilter(controllers=(raid,), countries=("US",)))
    assert 0 < to_us.number_of_nodes() < everything.number_of_nodes()
    for u, v, d in to_us.edges(data=True):
        if d["type"] in ("DISCLOSES_TO", "ENGAGES"):  # every kept hop leads to the US
            reach = {v} | nx.descendants(to_us, v)
            assert "Country:US" in reach


@pytest.mark.parametrize("name", ["categories", "subjects"])
def test_category_and_subject_filters_show_only_the_chosen(sample, name):
    _, a, _ = sample
    key, _ = filter_options(a)[name][0]
    shown = narrow.filter_network(a, narrow.GraphFilter(**{name: (key,)}))
    label = "DataCategory" if name == "categories" else "DataSubject"
    assert [n for n, d in shown.nodes(data=True) if d["label"] == label] == [key]
    acts = [n for n, d in shown.nodes(data=True) if d["label"] == "Activity"]
    assert acts and all(shown.has_edge(n, key) for n in acts)


def test_focus_depth_grows(sample):
    _, a, _ = sample
    sizes = [narrow.focus(a, "Country:US", d).number_of_nodes() for d in (1, 2, 3)]
    assert sizes[0] < sizes[1] < sizes[2] <= a.number_of_nodes()


def test_limit_drops_details_then_refuses(sample):
    _, a, _ = sample
    n = a.number_of_nodes()
    lean = views.without_details(a).number_of_nodes()
    assert views.limit(a, n) == (a, None)
    g, note = views.limit(a, lean)
    assert g.number_of_nodes() == lean and "left out" in note
    g, note = views.limit(a, lean - 1)
    assert g is None and "Narrow the filter" in note


def test_overview_counts_of_the_sample(sample):
    _, a, _ = sample
    c = overview_counts(a)
    assert c["controllers"] == 5 and c["activities"] == 50 and c["restricted_transfers"] == 26


def test_art30_records(sample):
    g, _, _ = sample
    ctrl = art30.controller_record(g)
    assert list(ctrl.columns) == art30.CONTROLLER_COLUMNS and len(ctrl) == 50
    raid = ctrl[ctrl["(a) controller"] == "RAIDBOXES GmbH"]
    assert raid["(e) transfers to third countries (country: safeguard)"].str.contains("Privacy Shield").any()
    proc = art30.processor_record(g)
    assert list(proc.columns) == art30.PROCESSOR_COLUMNS and len(proc)
    assert set(proc["role"]) <= {"processor", "subprocessor", "processor, subprocessor"}


# ----------------------------------------------------------------------------- drawing

HOSTILE = ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', '![x](https://evil.example/x.png)']


@pytest.mark.parametrize("name", HOSTILE)
def test_drawing_never_turns_data_into_markup(name):
    g = nx.MultiDiGraph()
    g.add_node("Organisation:x", label="Organisation", id="x", name=name, props={"id": "x", "name": name,
                                                                                 "country": name})
    g.add_node("Country:US", label="Country", id="US", name="United States", eea=False, props={})
    g.add_edge("Organisation:x", "Country:US", type="PROCESSES_IN", props={})
    page = network_html(g)
    assert "<img" not in page and "<script>alert" not in page
    assert name in node_tooltip(g.nodes["Organisation:x"])  # shown as text by vis-network


def test_drawing_loads_nothing_from_outside(example):
    _, a, _ = example
    page = network_html(a)
    assert re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)\s*=", page) is None
    assert "cdn" not in page.split("<body>")[1].lower()
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page


def test_drawing_carries_every_node_and_the_legend(example):
    _, a, findings = example
    route = routes.finding_route(a, next(f for f in findings if f["rule"] == "onward_transfer_chain"))
    page = network_html(routes.with_route(a, a, route))
    data = page.split("new vis.DataSet(", 1)[1]
    assert data.count('"id":') >= a.number_of_nodes()
    for text in ("Controller", "Processing activity", "No valid basis", "the selected finding"):
        assert text in page


def test_the_legend_draws_each_node_in_the_shape_the_canvas_uses(example):
    _, a, findings = example
    route = routes.finding_route(a, next(f for f in findings if f["rule"] == "onward_transfer_chain"))
    page = network_html(routes.with_route(a, a, route))
    drawn = json.loads(page.split("new vis.DataSet(", 1)[1].split(");\n", 1)[0])
    legend = page.split('<div id="legend">', 1)[1]
    nodes_part = legend.split("<b>Data flows:</b>")[0]
    assert set(re.findall(r'data-shape="(\w+)"', nodes_part)) == {n["shape"] for n in drawn}
    (route_entry,) = re.findall(r'<div data-legend="route">.*?</div>', legend)
    routed = [e for e in json.loads(page.split("new vis.DataSet(", 2)[2].split(");\n", 1)[0]) if e.get("shadow")]
    assert routed and any(e["color"]["color"] in route_entry for e in routed)
    assert "ringed in black" in route_entry


# -- the neighbourhood read from the store (the Graph page's focus on a big RoPA) ----------------

def _shape(g):
    nodes = {k: (d["label"], d["name"], d.get("controller"), tuple(d.get("categories") or ()),
                 tuple(d.get("subjects") or ()), d.get("severity"), len(d.get("findings") or ()))
             for k, d in g.nodes(data=True)}
    edges = sorted((u, v, d["type"], d["count"], str(sorted(d["props"].items())), d.get("transfer"), d.get("verdict"),
                    d.get("severity"), sorted(overlay.finding_identity(f) for f in d["findings"]),
                    [(h["activity"], h["mechanism"], h["row"], h["severity"]) for h in d.get("hops", [])])
                   for u, v, d in g.edges(data=True))
    return nodes, edges


@pytest.fixture(scope="module")
def generated():
    """A generated group RoPA: vendors engaged for many activities, so many parallel hops per pair."""
    buf = io.StringIO()
    generate(buf, relationships=1500, seed=3)
    store = EmbeddedBackend(None)
    store.replace(read_register(io.BytesIO(buf.getvalue().encode("utf-8")), "gen.csv"))
    findings = [f.to_dict() for f in evaluate(store, TODAY)]
    whole = views.without_details(overlay.annotate(network.build_network(store.export()), findings))
    yield store, whole, findings
    store.close()


def test_collapse_draws_parallel_hops_as_one_edge_with_a_count(generated):
    _, annotated, findings = generated
    c = views.collapse(annotated)
    pairs = {}
    for u, v, d in annotated.edges(data=True):
        pairs.setdefault((u, v, d["type"]), []).append(d)
    assert c.number_of_edges() == len(pairs) < annotated.number_of_edges()  # the sample has parallel hops
    for (u, v, t), group in pairs.items():
        d = c.edges[u, v, t]
        assert d["count"] == len(group)
        merged = {id(f) for e in group for f in e["findings"]}
        assert {id(f) for f in d["findings"]} == merged
        assert d["severity"] == network.worst_severity(f["severity"] for e in group for f in e["findings"])
        if t in HOP_TYPES:
            assert d["verdict"] == min((e["verdict"] for e in group), key=list(VERDICT_COLOURS).index)
            assert len(d["hops"]) == min(len(group), views.HOP_SAMPLE)
            ranks = [SEVERITY_RANK.get(h["severity"], -1) for h in d["hops"]]
            assert ranks == sorted(ranks, reverse=True)  # worst first
    assert max(d["count"] for *_, d in c.edges(data=True)) > views.HOP_SAMPLE
    assert views.collapse(c) is c


def _hops_into(g) -> dict[str, int]:
    """How many hops (DISCLOSES_TO / ENGAGES) go into each node."""
    hops_in: dict[str, int] = {}
    for _, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            hops_in[v] = hops_in.get(v, 0) + 1
    return hops_in


def test_neighbourhood_counts_parallel_hops_in_the_store_as_collapse_does(generated):
    store, whole, findings = generated
    hops_in = _hops_into(whole)
    busiest = sorted(hops_in, key=hops_in.get)[-3:]
    controller = next(n for n, d in whole.nodes(data=True) if d.get("controller"))
    acts = browse.run(store, "activities")  # as the explorer's catalogue holds them
    index = overlay.FindingIndex(findings, [(a["id"], a["name"], a["controller"]) for a in acts])
    checked = 0
    for node in busiest + [controller, "Country:US"]:
        for depth in (1, 2):
            want = views.collapse(narrow.focus(whole, node, depth))
            if want.number_of_nodes() > views.NODE_CAP:
                continue
            for given in (findings, index):
                got, note = neighbourhood(store, node, depth, given)
                assert note is None
                assert _shape(got) == _shape(want), (node, depth)
            checked += 1
    assert checked >= 6
    # the busiest vendor's edges stand for many hops: one drawn edge each
    got, _ = neighbourhood(store, busiest[-1], 1, index)
    assert max(d["count"] for *_, d in got.edges(data=True)) > views.HOP_SAMPLE


@pytest.mark.parametrize("details", [False, True])
def test_neighbourhood_from_the_store_is_the_focus_of_the_whole_network(details):
    with EmbeddedBackend(None) as store:
        store.replace(sample_graph())
        findings = [f.to_dict() for f in evaluate(store, TODAY)]
        full = overlay.annotate(network.build_network(store.export()), findings)
        whole = full if details else views.without_details(full)
        checked = 0
        for node in sorted(whole.nodes):
            for depth in (1, 2):
                got, note = neighbourhood(store, node, depth, findings, details=details)
                want = views.collapse(narrow.focus(whole, node, depth))
                assert note is None
                assert _shape(got) == _shape(want), (node, depth)
                checked += 1
        assert checked > 100


@pytest.mark.parametrize("details", [False, True])
def test_a_flow_focus_read_from_the_store_is_the_flow_focus_of_the_whole_network(details):
    """On a store too large to draw around a node, a focus still follows the data flow: downstream of an
    activity (its recipients, their chains and countries, not its sibling activities), upstream of a
    recipient; the same nodes and edges as flow_focus on the whole network."""
    with EmbeddedBackend(None) as store:
        store.replace(sample_graph())
        findings = [f.to_dict() for f in evaluate(store, TODAY)]
        full = overlay.annotate(network.build_network(store.export()), findings)
        whole = full if details else views.without_details(full)
        kinds = set()
        for node in sorted(whole.nodes):
            got, note = neighbourhood(store, node, findings=findings, details=details, flow=True)
            want = narrow.flow_focus(whole, node)
            if not details:
                want = views.without_details(want)
            assert note is None
            assert _shape(got) == _shape(views.collapse(want)), node
            kinds.add(whole.nodes[node]["label"])
        assert {"Activity", "Organisation", "Country"} <= kinds
        act = next(n for n, d in whole.nodes(data=True) if d["label"] == "Activity" and d["name"] == "Newsletter"
                   and "raidboxes" in n)
        got, _ = neighbourhood(store, act, findings=findings, flow=True)
        assert [n for n, d in got.nodes(data=True) if d["label"] == "Activity"] == [act]  # no sibling activity
        assert {d["name"] for _, d in got.nodes(data=True)} >= {"RAIDBOXES GmbH", "ActiveCampaign", "United States"}


def test_neighbourhood_keeps_the_nearest_nodes_under_the_cap(sample):
    g, annotated, findings = sample
    hub = max((n for n, d in g.nodes(data=True) if d["label"] == "Country"), key=g.degree)
    with EmbeddedBackend(None) as store:
        store.replace(sample_graph())
        whole, note = neighbourhood(store, hub, 2, findings)
        near = set(neighbourhood(store, hub, 1, findings)[0].nodes)
        cap = len(near) + 2
        assert note is None and len(whole) > cap
        capped, note = neighbourhood(store, hub, 2, findings, cap=cap)
    assert len(capped) == cap and near <= set(capped.nodes) and "nearest" in note
    assert neighbourhood(EmbeddedBackend(None), "Organisation:nobody", 2)[0].number_of_nodes() == 0


def test_a_capped_neighbourhood_keeps_the_most_joined_nodes_of_each_ring_on_every_run(generated):
    store, whole, _ = generated
    hops_in = _hops_into(whole)
    hub = max(hops_in, key=lambda n: (hops_in[n], n))
    und = whole.to_undirected(as_view=True)
    ring1 = set(und.neighbors(hub)) - {hub}
    ring2 = {v for u in ring1 for v in und.neighbors(u)} - ring1 - {hub}

    def joined(node, ring):  # edges (parallel ones each, either way) between node and a ring
        return sum(whole.number_of_edges(node, r) + whole.number_of_edges(r, node) for r in ring)

    def busiest(ring, of, n):
        return set(sorted(ring, key=lambda v: (-joined(v, of), v))[:n])

    # the cap cuts the first ring: its most joined nodes are kept (not the first the store happens to give)
    cap = 5
    want1 = {hub} | busiest(ring1, {hub}, cap - 1)
    assert len({joined(v, {hub}) for v in ring1}) > 2  # the edge counts differ: the order matters
    got, note = neighbourhood(store, hub, 1, cap=cap)
    assert set(got.nodes) == want1 and "nearest" in note
    # the cap cuts the second ring: the whole first ring, then the second's most joined to it
    cap = len(ring1) + 1 + len(ring2) // 2
    want2 = {hub} | ring1 | busiest(ring2, ring1, len(ring2) // 2)
    got2 = set(neighbourhood(store, hub, 2, cap=cap)[0].nodes)
    assert got2 == want2
    # the same nodes from a store that holds the same RoPA written in the opposite order
    graph = store.export()
    flipped = RopaGraph({k: df.iloc[::-1].reset_index(drop=True) for k, df in graph.nodes.items()},
                        {k: df.iloc[::-1].reset_index(drop=True) for k, df in graph.rels.items()})
    with EmbeddedBackend(None) as other:
        other.replace(flipped)
        assert set(neighbourhood(other, hub, 1, cap=5)[0].nodes) == want1
        assert set(neighbourhood(other, hub, 2, cap=cap)[0].nodes) == want2


def test_the_art30_record_cites_special_data_and_the_art9_condition_as_the_gdpr_does():
    from ropa.samples import EXAMPLE_REGISTER
    g = read_register(io.BytesIO(EXAMPLE_REGISTER.read_bytes()), "clinic.csv")
    record = art30.controller_record(network.build_network(g))
    row = record[record["activity"] == "Occupational health checks"].iloc[0]
    assert row["legal basis"] == "legal obligation; condition Art. 9(2)(h)"
    assert row["(c) special categories (Art. 9, 10)"] == "health data (Art. 9)"
    assert "9.0" not in " ".join(map(str, record.to_numpy().ravel()))


def test_neighbourhoods_and_stored_chains_read_the_same_from_neo4j(neo4j_store):
    """The neighbourhood queries (ropa/browse/queries/neighbourhood/) and the stored hop chains the
    routes read give the same drawing on Neo4j as on the embedded store."""
    graph = sample_graph()
    neo4j_store.replace(graph)
    with EmbeddedBackend(None) as embedded:
        embedded.replace(graph)
        findings = [f.to_dict() for f in evaluate(embedded, TODAY)]
        whole = network.build_network(embedded.export())
        act = next(n for n, d in whole.nodes(data=True) if d["label"] == "Activity" and "raidboxes" in n)
        vendor = max((n for n, d in whole.nodes(data=True) if d["label"] == "Organisation"), key=whole.in_degree)
        for node in (act, vendor, "Country:US"):
            for depth, flow in ((1, False), (2, False), (1, True)):
                want, _ = neighbourhood(embedded, node, depth, findings, flow=flow)
                got, _ = neighbourhood(neo4j_store, node, depth, findings, flow=flow)
                assert _shape(got) == _shape(want), (node, depth, flow)
        acts = sorted(d["id"] for _, d in whole.nodes(data=True) if d["label"] == "Activity")
        want = browse.network(embedded, acts)
    got = browse.network(neo4j_store, acts)
    chains = lambda g: sorted((u, v, str(d.get("activity")), tuple(d["chain"] or ()))  # noqa: E731
                              for u, v, d in g.edges(data=True) if d["type"] in HOP_TYPES)
    assert chains(got) == chains(want) and any(c for *_, c in chains(want))


DRAW_SAMPLE = """
import hashlib
from ropa import browse, views
from ropa.backends.embedded import EmbeddedBackend
from ropa.render import network_html
from ropa.samples import sample_graph
with EmbeddedBackend(None) as s:
    s.replace(sample_graph())
    net = browse.network(s, list(browse.read_catalogue(s).activities["id"]), [], [], None)
folded, _ = views.fold_activities(views.without_details(net))
print(hashlib.sha256(network_html(folded, layout="flow").encode()).hexdigest())
"""


def test_the_same_ropa_is_drawn_the_same_in_every_server_process():
    """Python orders sets of names differently in each process (hash randomisation); the drawing of a RoPA must
    not follow: the same nodes in the same places, whichever process draws it."""
    import os
    import subprocess
    import sys
    drawn = {subprocess.run([sys.executable, "-c", DRAW_SAMPLE], env={**os.environ, "PYTHONHASHSEED": seed},
                            capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(drawn) == 1
