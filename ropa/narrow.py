"""The part of the network a reader asks for: a filter (:class:`GraphFilter`,
:func:`filter_network`), the neighbourhood of a node (:func:`focus`) or what the data flows through
a node reach, in their direction (:func:`flow_focus`).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from .findings import SEVERITY_RANK
from .network import NameIndex, flow_index, node_key, places
from .schema import HOP_TYPES


@dataclass(frozen=True)
class GraphFilter:
    """What the user asked to see. Empty tuples mean "no restriction".

    ``controllers``, ``activities``, ``categories``, ``subjects`` are node
    keys; ``countries`` are country codes (where data go); ``min_severity``
    keeps only flows with a finding at least that severe.
    """

    controllers: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_severity: str | None = None

    def is_empty(self) -> bool:
        return self == GraphFilter()



def _prune(edges: list[tuple[str, str, int]], goals: set[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The goal edges plus every edge leading towards one of them."""
    if not goals:
        return []
    dg = nx.DiGraph((u, v) for u, v, _ in edges)
    upstream: set[str] = set()
    for u, _, _ in goals:
        upstream |= nx.ancestors(dg, u) | {u}
    return [e for e in edges if e in goals or e[1] in upstream]


def filter_network(g: nx.MultiDiGraph, flt: GraphFilter) -> nx.MultiDiGraph:
    """The part of an annotated network a filter asks for.

    Activities are kept when they match the controller, activity, category
    and subject choices; their data flows are then cut down to the routes that
    reach a chosen country and carry a finding at ``min_severity`` or worse
    (an activity whose own record has such a finding is kept even without a
    flow). Shown with each kept activity: its controller, its categories and
    subjects (only the chosen ones when those are filtered), the organisations
    on the kept routes and their countries.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> from ropa.overlay import annotate
    >>> g = annotate(build_network(example_graph()), [])
    >>> us = filter_network(g, GraphFilter(countries=("US",)))
    >>> sorted(d["name"] for _, d in us.nodes(data=True) if d["label"] == "Activity")
    ['Newsletter', 'Patient appointments']
    """
    if flt.is_empty():
        return g.copy()
    idx = NameIndex(g)
    flows = flow_index(g)
    wanted_countries = {node_key("Country", c) for c in flt.countries}
    min_rank = SEVERITY_RANK.get(flt.min_severity) if flt.min_severity else None
    keep_nodes: set[str] = set()
    keep_edges: set[tuple[str, str, int]] = set()
    for act, d in g.nodes(data=True):
        if d["label"] != "Activity":
            continue
        ctrl = idx.controller_of.get(act)
        if flt.controllers and ctrl not in flt.controllers:
            continue
        if flt.activities and act not in flt.activities:
            continue
        out = {(v, e["type"]) for _, v, e in g.out_edges(act, data=True)}
        cats = {v for v, t in out if t == "PROCESSES"}
        subs = {v for v, t in out if t == "CONCERNS"}
        if flt.categories and not cats & set(flt.categories):
            continue
        if flt.subjects and not subs & set(flt.subjects):
            continue
        edges = flows.get(act, [])
        if wanted_countries:
            goals = {e for e in edges if set(places(g, e[1])) & wanted_countries}
            edges = _prune(edges, goals)
            if not edges:
                continue
        own_severe = min_rank is not None and SEVERITY_RANK.get(d.get("severity"), -1) >= min_rank
        if min_rank is not None:
            goals = {e for e in edges if SEVERITY_RANK.get(g.edges[e].get("severity"), -1) >= min_rank}
            edges = _prune(edges, goals)
            if not edges and not own_severe:
                continue
        keep_nodes |= {act} | ({ctrl} if ctrl else set())
        keep_nodes |= (cats & set(flt.categories)) if flt.categories else cats
        keep_nodes |= (subs & set(flt.subjects)) if flt.subjects else subs
        for u, v, k in edges:
            keep_edges.add((u, v, k))
            keep_nodes |= {u, v}
    for org in [n for n in keep_nodes if g.nodes[n]["label"] == "Organisation"]:
        keep_nodes |= set(places(g, org))
    sub = nx.MultiDiGraph()
    sub.add_nodes_from((n, g.nodes[n]) for n in keep_nodes)
    for u, v, k, d in g.edges(keys=True, data=True):
        if u in keep_nodes and v in keep_nodes and (d["type"] not in HOP_TYPES or (u, v, k) in keep_edges):
            sub.add_edge(u, v, key=k, **d)
    return sub


def focus(g: nx.MultiDiGraph, node: str, depth: int = 1) -> nx.MultiDiGraph:
    """The nodes within ``depth`` hops of ``node`` (either direction) and the edges between them.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> sorted(focus(g, "Country:US", 1).nodes)
    ['Country:US', 'Organisation:mail blast llc', 'Organisation:sms relay inc']
    """
    if node not in g:
        return nx.MultiDiGraph()
    near = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), node, cutoff=depth)
    return g.subgraph(near).copy()


DOWNSTREAM = ("CONTROLS", "DISCLOSES_TO", "ENGAGES", "PROCESSES_IN", "ESTABLISHED_IN", "PROCESSES", "CONCERNS")
UPSTREAM = ("CONTROLS", "DISCLOSES_TO", "ENGAGES", "PROCESSES_IN", "PROCESSES", "CONCERNS")


def _follow(g: nx.MultiDiGraph, start: str, types: tuple[str, ...], forward: bool) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        n = todo.pop()
        edges = g.out_edges(n, data=True) if forward else g.in_edges(n, data=True)
        for u, v, d in edges:
            nxt = v if forward else u
            if d["type"] in types and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def flow_focus(g: nx.MultiDiGraph, node: str) -> nx.MultiDiGraph:
    """What lies on the data flows through ``node``, in their direction: downstream of a controller or an
    activity (its recipients, their sub-processor chains, the countries they process data in; an
    activity's controller too, but not the controller's other activities), upstream of a recipient, a
    country or a data category (who sends the data there, and through whom), plus a recipient's own
    sub-processors and countries.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> act = next(n for n, d in g.nodes(data=True) if d["label"] == "Activity" and d["name"] == "Newsletter")
    >>> sorted(d["name"] for _, d in flow_focus(g, act).nodes(data=True))
    ['Mail Blast LLC', 'Netherlands', 'Newsletter', 'United States', 'Voorbeeld Zorg BV', 'email address', 'name', 'subscribers']
    """
    if node not in g:
        return nx.MultiDiGraph()
    d = g.nodes[node]
    if d["label"] == "Activity":
        keep = _follow(g, node, DOWNSTREAM, True)
        keep |= {u for u, _, e in g.in_edges(node, data=True) if e["type"] == "CONTROLS"}
        keep |= {v for c in list(keep) if g.nodes[c].get("controller")
                 for _, v, e in g.out_edges(c, data=True) if e["type"] == "ESTABLISHED_IN"}
    elif d["label"] == "Organisation" and d.get("controller") and not any(
            e["type"] in HOP_TYPES for *_, e in g.in_edges(node, data=True)):
        keep = _follow(g, node, DOWNSTREAM, True)
    else:
        keep = _follow(g, node, UPSTREAM, False)
        if d["label"] == "Organisation":
            keep |= _follow(g, node, ("ENGAGES", "PROCESSES_IN", "ESTABLISHED_IN"), True)
        keep |= {v for c in list(keep) if g.nodes[c].get("controller")
                 for _, v, e in g.out_edges(c, data=True) if e["type"] == "ESTABLISHED_IN"}
    # an activity upstream of a recipient brings its data categories and subjects, not its other recipients
    keep |= {v for a in list(keep) if g.nodes[a]["label"] == "Activity"
             for _, v, e in g.out_edges(a, data=True) if e["type"] in ("PROCESSES", "CONCERNS")}
    return g.subgraph(keep).copy()
