"""Drawing helpers: what a drawing of the network shows, kept readable.

:func:`flow_levels` gives each node its column in a left-to-right data-flow drawing;
:func:`limit` and :func:`without_details` keep a drawing within :data:`NODE_CAP` nodes;
:func:`collapse` draws the parallel hops between two organisations as one edge; the query page's
results become nodes to draw (:func:`result_nodes`) and a table (:func:`result_frame`). Nothing here
draws: :mod:`ropa.render` does. The network itself is built in :mod:`ropa.network`, findings are laid
on it in :mod:`ropa.overlay`, the part a reader asks for is cut out in :mod:`ropa.narrow`, routes in
:mod:`ropa.routes`, a store's neighbourhood is read in :mod:`ropa.browse.neighbourhood`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .findings import SEVERITY_RANK
from .network import node_key, worst_severity
from .overlay import mechanism_text
from .schema import HOP_TYPES
from .transfers import worst_verdict

NODE_CAP = 400


def flow_levels(g: nx.MultiDiGraph) -> dict[str, int]:
    """A column for each node in a left-to-right data-flow drawing: controller 0, activity 1, its data
    categories and subjects 2, the recipients it discloses to 2, their sub-processors 3, 4, ..., and every
    country in the last column.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> lv = flow_levels(g)
    >>> lv["Organisation:voorbeeld zorg bv"], lv["Organisation:agenda cloud gmbh"], lv["Organisation:sms relay inc"]
    (0, 2, 3)
    >>> lv["Country:US"] == max(lv.values())
    True
    """
    level: dict[str, int] = {}
    for n, d in g.nodes(data=True):
        if d["label"] == "Activity":
            level[n] = 1
        elif d["label"] in ("DataCategory", "DataSubject"):
            level[n] = 2
        elif d["label"] == "Organisation" and d.get("controller") and not any(
                e["type"] in HOP_TYPES for *_, e in g.in_edges(n, data=True)):
            level[n] = 0
    frontier = [v for u, v, d in g.edges(data=True) if d["type"] == "DISCLOSES_TO"]
    for v in frontier:
        level.setdefault(v, 2)
    while frontier:  # sub-processors one column further than whoever engages them (cycles stop)
        nxt = []
        for u in frontier:
            for _, v, d in g.out_edges(u, data=True):
                if d["type"] == "ENGAGES" and v not in level and level.get(u, 2) < 12:
                    level[v] = level.get(u, 2) + 1
                    nxt.append(v)
        frontier = nxt
    last = max([lv for lv in level.values()] + [2]) + 1
    for n, d in g.nodes(data=True):
        if n not in level:
            level[n] = last if d["label"] == "Country" else (0 if d.get("controller") else 2)
    return level


def limit(g: nx.MultiDiGraph, cap: int = NODE_CAP) -> tuple[nx.MultiDiGraph | None, str | None]:
    """Keep a drawing readable: at most ``cap`` nodes.

    Returns the graph unchanged, or without its data category and subject
    nodes (still listed on each activity), or ``None`` when even that is too
    many; with a sentence saying what happened.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> limit(g, 1000)[1] is None, len(limit(g, 14)[0]) < len(g), limit(g, 3)[0]
    (True, True, None)
    """
    n = g.number_of_nodes()
    if n <= cap:
        return g, None
    lean = g.subgraph([k for k, d in g.nodes(data=True) if d["label"] not in ("DataCategory", "DataSubject")])
    if lean.number_of_nodes() <= cap:
        return lean.copy(), (f"{n} nodes are more than the {cap} drawn at once, so data categories and data "
                             "subjects are left out (each activity lists them in its tooltip). "
                             "Narrow the filter to see them.")
    return None, (f"{n} nodes ({lean.number_of_nodes()} without data categories and subjects) are more than "
                  f"the {cap} drawn at once. Narrow the filter (a controller, a country, a minimum severity) "
                  "or focus on one node.")


# --------------------------------------------------------------------------- one drawn edge per pair

HOP_SAMPLE = 8  # the hops (activities) a collapsed edge lists, worst first


def hop_entry(name: str, activity: str, props: dict, severity: str | None) -> dict:
    """One hop as a collapsed edge lists it."""
    return {"activity": activity, "name": name, "mechanism": mechanism_text(props), "row": props.get("row"),
            "severity": severity}


def _sample_order(h: dict) -> tuple:
    return -SEVERITY_RANK.get(h.get("severity"), -1), h["activity"], str(h.get("row") or "")


def collapse(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``g`` with the parallel edges of one type between the same two nodes as one edge (key: the type).

    A reader cannot tell 20,000 per-activity hops between two organisations apart, so a drawing shows
    one edge per (source, target, type) with ``count`` (how many were merged), ``findings`` (each
    finding once), ``severity`` (the worst), on hops ``transfer`` and ``verdict`` and ``hops``: the
    first :data:`HOP_SAMPLE` of them, worst first (activity key, name, mechanism as written, row,
    severity); ``highlight`` when any merged edge is on the highlighted route; ``props`` of the first
    edge for the other types. A collapsed graph is returned as it is. :func:`ropa.browse.neighbourhood.neighbourhood`
    builds this form directly from the store.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> from ropa.overlay import annotate
    >>> c = collapse(annotate(build_network(example_graph()), []))
    >>> d = c.edges["Activity:voorbeeld zorg bv::newsletter", "Organisation:mail blast llc", "DISCLOSES_TO"]
    >>> d["count"], d["verdict"], [h["name"] for h in d["hops"]]
    (1, 'basis_recorded', ['Newsletter'])
    """
    if all("count" in d for *_, d in g.edges(data=True)):
        return g
    out = nx.MultiDiGraph()
    out.add_nodes_from(g.nodes(data=True))
    out.graph.update(g.graph)
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for u, v, d in g.edges(data=True):
        groups.setdefault((u, v, d["type"]), []).append(d)
    for (u, v, t), group in groups.items():
        found: dict[int, dict] = {}
        for d in group:
            for f in d.get("findings") or ():
                found.setdefault(id(f), f)
        findings = list(found.values())
        severity = worst_severity(f["severity"] for f in findings)
        edge: dict[str, Any] = {"type": t, "count": len(group), "findings": findings, "severity": severity,
                                "highlight": any(d.get("highlight") for d in group)}
        if t in HOP_TYPES:
            transfer = any(d.get("transfer") for d in group)
            hops = []
            for d in group:
                act = d.get("activity") or ""
                name = g.nodes[act]["name"] if act in g else d["props"].get("activity", "")
                hops.append(hop_entry(name, act, d["props"], d.get("severity")))
            verdict = worst_verdict(d["verdict"] for d in group if d.get("transfer") and "verdict" in d) \
                if transfer else "none"
            edge.update(transfer=transfer, verdict=verdict, hops=sorted(hops, key=_sample_order)[:HOP_SAMPLE], props={})
        else:
            edge["props"] = group[0]["props"]
        out.add_edge(u, v, key=t, **edge)
    return out



def without_details(g: nx.MultiDiGraph, keep: Iterable[str] = ()) -> nx.MultiDiGraph:
    """``g`` without data category and data subject nodes (except ``keep``): a lighter drawing."""
    keep = set(keep)
    return g.subgraph([n for n, d in g.nodes(data=True)
                       if d["label"] not in ("DataCategory", "DataSubject") or n in keep]).copy()


# --------------------------------------------------------------------------- query results


def result_nodes(rows: list[dict]) -> list[str]:
    """Node keys of the nodes (and lists of nodes, e.g. paths) in query results, in order of appearance.

    >>> result_nodes([{"o": {"_label": "Organisation", "id": "acme", "name": "Acme"}, "n": 3,
    ...                "p": [{"_label": "Country", "id": "US"}]}])
    ['Organisation:acme', 'Country:US']
    """
    keys: list[str] = []

    def visit(v: Any) -> None:
        if isinstance(v, dict) and v.get("_label") and v.get("id") is not None:
            k = node_key(str(v["_label"]), str(v["id"]))
            if k not in keys:
                keys.append(k)
        elif isinstance(v, (list, tuple)):
            for x in v:
                visit(x)

    for row in rows:
        for v in row.values():
            visit(v)
    return keys


def result_frame(rows: list[dict]) -> pd.DataFrame:
    """Query results as a table of text: nodes as "Label: name", lists joined with arrows.

    >>> rows = [{"o": {"_label": "Organisation", "id": "acme", "name": "Acme"}, "d": dt.date(2020, 7, 16)}]
    >>> result_frame(rows).iloc[0].tolist()
    ['Organisation: Acme', '2020-07-16']
    """
    def text(v: Any) -> Any:
        if isinstance(v, dict):
            if v.get("_label"):
                return f"{v['_label']}: {v.get('name') or v.get('id') or ''}"
            return ", ".join(f"{k}={text(x)}" for k, x in v.items() if not str(k).startswith("_"))
        if isinstance(v, (list, tuple)):
            return " → ".join(str(text(x)) for x in v)
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()[:10]
        return v

    if not rows:
        return pd.DataFrame()
    return pd.DataFrame([{k: text(v) for k, v in r.items()} for r in rows], columns=list(rows[0].keys()))
