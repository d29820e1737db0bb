"""Routes: the nodes a finding or a transfer runs along (controller → activity → recipients →
country), and the drawing of a route on its own or over what is shown.

The organisations between a controller and a hop come from the hop's ``chain``, the property every
store keeps on its hops (see :mod:`ropa.network`): the sub-processors are not walked again here.
"""
from __future__ import annotations

import networkx as nx

from .network import NameIndex, abroad, finding_field, node_key, places
from .schema import HOP_TYPES


def _chain_to(g: nx.MultiDiGraph, idx: NameIndex, act: str, target: str) -> list[str]:
    """The organisations from an activity to ``target`` (included): the stored chain of the shortest of
    the activity's hops into ``target``, just ``target`` when none of them carries a chain."""
    best: list[str] | None = None
    for _, _, d in g.in_edges(target, data=True):
        if d["type"] in HOP_TYPES and d.get("activity") == act and d.get("chain") is not None:
            path = [k for k in (idx.org_key(n) for n in d["chain"]) if k]
            if best is None or len(path) < len(best):
                best = path
    return (best or []) + [target]


def finding_route(g: nx.MultiDiGraph, finding) -> list[str]:
    """The node keys a finding runs along: controller, activity, recipients, destination.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> f = {"rule": "onward_transfer_chain", "controller": "Voorbeeld Zorg BV", "activity": "Patient appointments",
    ...      "path": ["Voorbeeld Zorg BV", "Agenda Cloud GmbH", "SMS Relay Inc"], "destination": "US"}
    >>> finding_route(g, f)  # doctest: +NORMALIZE_WHITESPACE
    ['Organisation:voorbeeld zorg bv', 'Activity:voorbeeld zorg bv::patient appointments',
     'Organisation:agenda cloud gmbh', 'Organisation:sms relay inc', 'Country:US']
    """
    idx = NameIndex(g)
    act = idx.activity_key(finding)
    names = list(finding_field(finding, "path", []) or [])
    if finding_field(finding, "importer") and (not names or names[-1] != finding_field(finding, "importer")):
        names.append(finding_field(finding, "importer"))
    orgs = [k for k in (idx.org_key(n) for n in names) if k]
    if act is None:
        route = orgs or [k for k in [idx.org_key(finding_field(finding, "subject"))] if k]
    else:
        ctrl = idx.controller_of.get(act)
        route = [k for k in (ctrl, act) if k]
        rest = [k for k in orgs if k != ctrl]
        if rest:
            route += _chain_to(g, idx, act, rest[0])
            route += [k for k in rest[1:]]
    dest = node_key("Country", finding_field(finding, "destination")) if finding_field(finding, "destination") else None
    if route and dest in g and g.has_edge(route[-1], dest):
        route.append(dest)
    seen: list[str] = []
    for k in route:
        if k not in seen:
            seen.append(k)
    return seen


def hop_route(g: nx.MultiDiGraph, edge: tuple[str, str, int]) -> list[str]:
    """The route of one hop: controller, activity, the organisations before it (the hop's chain), the
    importer, its countries abroad.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> hop_route(g, ("Organisation:agenda cloud gmbh", "Organisation:sms relay inc", 0))  # doctest: +NORMALIZE_WHITESPACE
    ['Organisation:voorbeeld zorg bv', 'Activity:voorbeeld zorg bv::patient appointments',
     'Organisation:agenda cloud gmbh', 'Organisation:sms relay inc', 'Country:US']
    """
    u, v, k = edge
    act = g.edges[edge].get("activity")
    idx = NameIndex(g)
    ctrl = idx.controller_of.get(act)
    route = [x for x in (ctrl, act) if x]
    if u != act:
        chain = g.edges[edge].get("chain")
        route += [k for k in (idx.org_key(n) for n in chain) if k] if chain is not None else [u]
    route.append(v)
    return route + abroad(g, v)


def route_subgraph(g: nx.MultiDiGraph, route: list[str], context: bool = True) -> nx.MultiDiGraph:
    """The route's nodes (and, with ``context``, the countries of its organisations) with
    ``highlight=True`` on the route's nodes and on the edges joining consecutive ones.

    Hop edges of other activities between the same organisations are left out.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> s = route_subgraph(g, ["Organisation:voorbeeld zorg bv", "Activity:voorbeeld zorg bv::newsletter",
    ...                        "Organisation:mail blast llc"])
    >>> sorted((u, v) for u, v, d in s.edges(data=True) if d["highlight"])  # doctest: +NORMALIZE_WHITESPACE
    [('Activity:voorbeeld zorg bv::newsletter', 'Organisation:mail blast llc'),
     ('Organisation:voorbeeld zorg bv', 'Activity:voorbeeld zorg bv::newsletter')]
    """
    route = [n for n in route if n in g]
    acts = {n for n in route if g.nodes[n]["label"] == "Activity"}
    nodes = set(route)
    if context:
        for n in route:
            if g.nodes[n]["label"] == "Organisation":
                nodes |= set(places(g, n))
    steps = set(zip(route, route[1:]))
    sub = nx.MultiDiGraph()
    for n in nodes:
        sub.add_node(n, **{**g.nodes[n], "highlight": n in route})
    for u, v, k, d in g.edges(keys=True, data=True):
        if u in nodes and v in nodes:
            if d["type"] in HOP_TYPES and acts and d.get("activity") not in acts:
                continue
            on_route = (u, v) in steps and not (  # to a country, the route is where data are processed
                d["type"] == "ESTABLISHED_IN" and any(e["type"] == "PROCESSES_IN" for e in g[u][v].values()))
            sub.add_edge(u, v, key=k, **{**d, "highlight": on_route})
    return sub


def with_route(full: nx.MultiDiGraph, shown: nx.MultiDiGraph, route: list[str]) -> nx.MultiDiGraph:
    """``shown`` plus a route taken from ``full``, the route marked ``highlight`` (drawn bold).

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> route = ["Organisation:voorbeeld zorg bv", "Activity:voorbeeld zorg bv::newsletter"]
    >>> h = with_route(g, nx.MultiDiGraph(), route)
    >>> sorted(h.nodes), all(d["highlight"] for _, d in h.nodes(data=True))
    (['Activity:voorbeeld zorg bv::newsletter', 'Organisation:voorbeeld zorg bv'], True)
    """
    marked = route_subgraph(full, route, context=False)
    out = nx.MultiDiGraph()
    for n, d in shown.nodes(data=True):
        out.add_node(n, **{**d, "highlight": False})
    for u, v, k, d in shown.edges(keys=True, data=True):
        out.add_edge(u, v, key=k, **{**d, "highlight": False})
    for n, d in marked.nodes(data=True):
        out.add_node(n, **d)
    for u, v, k, d in marked.edges(keys=True, data=True):
        out.add_edge(u, v, key=k, **d)
    return out
