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
FOLD_AT = 60        # above this many nodes a whole-RoPA drawing folds activities into their controllers
COLUMN = 260        # px between two columns of a flow drawing at zoom 1: room for a label of 30 characters
FRAME_RATIO = 1.6   # the width of a drawing's frame over its height, roughly (the page is wider than tall)


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


def fold_activities(g: nx.MultiDiGraph, at: int = FOLD_AT) -> tuple[nx.MultiDiGraph, str | None]:
    """A whole RoPA at a glance: when ``g`` has more than ``at`` nodes, each controller's processing
    activities are folded into it: the activity nodes go, their first hops start at the controller (each
    keeps its activity, so a drawn edge lists the activities it stands for) and the findings on an
    activity's own record move to its controller. Returns the graph (``g`` itself when small enough)
    and a sentence saying what was folded.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> folded, note = fold_activities(g, at=5)
    >>> sorted(v for u, v, d in folded.edges(data=True) if u == "Organisation:voorbeeld zorg bv" and d["type"] == "DISCLOSES_TO")
    ['Organisation:agenda cloud gmbh', 'Organisation:arbo dienst bv', 'Organisation:mail blast llc']
    >>> any(d["label"] == "Activity" for _, d in folded.nodes(data=True)), fold_activities(g)[1]
    (False, None)
    """
    if g.number_of_nodes() <= at:
        return g, None
    owner = {v: u for u, v, d in g.edges(data=True) if d["type"] == "CONTROLS"}
    acts = [n for n, d in g.nodes(data=True) if d["label"] == "Activity" and n in owner]
    if not acts:
        return g, None
    out = nx.MultiDiGraph()
    out.graph.update(g.graph)
    gone = set(acts)
    for n, d in g.nodes(data=True):
        if n not in gone:
            out.add_node(n, **d)
    folded: dict[str, int] = {}
    for a in acts:
        folded[owner[a]] = folded.get(owner[a], 0) + 1
        if g.nodes[a].get("findings"):
            out.nodes[owner[a]]["findings"] = list(out.nodes[owner[a]].get("findings") or []) + g.nodes[a]["findings"]
            out.nodes[owner[a]]["severity"] = worst_severity(f["severity"] for f in out.nodes[owner[a]]["findings"])
    for u, v, k, d in g.edges(keys=True, data=True):
        if u in gone:
            if d["type"] in HOP_TYPES:
                out.add_edge(owner[u], v, **{**d, "activity_name": g.nodes[u]["name"]})
            continue
        if v in gone:
            continue
        out.add_edge(u, v, key=k, **d)
    for c, n in folded.items():
        out.nodes[c]["folded"] = n
    note = (f"{g.number_of_nodes()} nodes are too many to label at once, so the {len(acts)} processing activities "
            "are folded into their controllers: an arrow from a controller stands for the activities that send "
            "data there (hover it to see them). Focus on a controller or an activity, or filter, to see the "
            "activities themselves.")
    return out, note


def flow_positions(g: nx.MultiDiGraph, levels: dict[str, int], rows: dict[str, float]) -> dict[str, tuple[int, int]]:
    """Where each node stands in a left-to-right data-flow drawing (x, y in pixels at zoom 1), so that no
    two labels overlap: a column per level of :func:`flow_levels`, a level with many nodes wrapped into
    several columns side by side (as many as make the drawing about :data:`FRAME_RATIO` times as wide as
    tall, so it fills the frame at the largest zoom), :data:`COLUMN` pixels apart; in a column, nodes one
    below the other, ``rows[node]`` pixels each (the node and its label beneath), in the order of the
    nodes that send them data (fewer crossings), then by name.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for n in "abc":
    ...     g.add_node(n, name=n)
    >>> flow_positions(g, {"a": 0, "b": 1, "c": 1}, {"a": 40, "b": 40, "c": 40})
    {'a': (0, 0), 'b': (260, -20), 'c': (260, 20)}
    """
    by_level: dict[int, list[str]] = {}
    for n in g.nodes:
        by_level.setdefault(levels[n], []).append(n)
    order: dict[str, float] = {}
    columns: list[list[str]] = []
    ranked = sorted(by_level)
    for lv in ranked:
        def upstream(n: str) -> float:
            seen = [order[u] for u, _, _ in g.in_edges(n, data=True) if u in order]
            seen += [order[v] for _, v, _ in g.out_edges(n, data=True) if v in order]
            return sum(seen) / len(seen) if seen else float("inf")
        nodes = sorted(by_level[lv], key=lambda n: (upstream(n), str(g.nodes[n].get("name", n)).casefold(), n))
        for i, n in enumerate(nodes):
            order[n] = i / max(len(nodes), 1)
        columns.append(nodes)

    def shape(per_column: int) -> tuple[int, float]:
        width = sum(-(-len(c) // per_column) for c in columns) * COLUMN
        height = max(sum(rows[n] for n in c[i:i + per_column]) for c in columns for i in range(0, len(c), per_column))
        return width, height

    tallest = max((len(c) for c in columns), default=1)
    # The number of rows per column with the largest zoom that fits a frame FRAME_RATIO times as wide as tall.
    best = min(range(1, tallest + 1), key=lambda r: (-min(FRAME_RATIO / shape(r)[0], 1 / shape(r)[1]), r))
    pos: dict[str, tuple[int, int]] = {}
    x = 0
    for nodes in columns:
        for i in range(0, len(nodes), best):
            part = nodes[i:i + best]
            y = -sum(rows[n] for n in part) / 2
            for n in part:
                pos[n] = (x, round(y + rows[n] / 2))
                y += rows[n]
            x += COLUMN
    return pos


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
                name = g.nodes[act]["name"] if act in g else d.get("activity_name") or d["props"].get("activity", "")
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
