"""Views of a RoPA for people: the network, its filters, finding routes and transfer tables.

Pure functions: a :class:`~ropa.model.RopaGraph` (from any backend's
``export()``) becomes a networkx ``MultiDiGraph`` (:func:`build_network`);
findings are laid onto it (:func:`annotate`); the explorer then filters it
(:func:`filter_network`), focuses it (:func:`focus`), caps it (:func:`limit`),
and cuts out the route of one finding or transfer (:func:`finding_route`,
:func:`route_subgraph`). Tables for the transfers page and numbers for the
overview come from the same annotated graph, so the map, the graph and the
tables cannot disagree. Nothing here draws: :mod:`ropa.render` does.

Node keys are ``"<Label>:<id>"`` (an organisation and a data category may
share an id). Every node has ``label``, ``id``, ``name`` and ``props`` (its
stored properties); every edge ``type`` and ``props``; hop edges
(``DISCLOSES_TO`` / ``ENGAGES``) also ``activity`` and ``exporter`` (node
keys) and ``transfer`` (the importer processes data outside the EEA, the
definition in docs/schema.md). :func:`annotate` adds ``findings``,
``severity`` and, on hops, ``verdict``: the register's (:mod:`ropa.transfers`, the only place a
verdict is decided), ``none`` for a hop that is no restricted transfer.
"""
from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import asdict, dataclass, is_dataclass
from functools import lru_cache
from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .findings import SEVERITY_RANK, paused_gc
from .model import RopaGraph
from .palette import EEA_COLOUR, OK_COLOUR, SEVERITY_COLOURS
from .transfers import VERDICT_ORDER, VERDICTS, edge_verdict, verdict_label, worst_verdict
from .schema import HOP_TYPES, REL_TYPES

GRAPH_LABELS = ("Organisation", "Activity", "DataCategory", "DataSubject")
GRAPH_RELS = ("CONTROLS", "PROCESSES", "CONCERNS", "DISCLOSES_TO", "ENGAGES", "ESTABLISHED_IN", "PROCESSES_IN")
PLACE_RELS = ("ESTABLISHED_IN", "PROCESSES_IN")
NODE_CAP = 400

__all__ = [
    "NODE_CAP", "GraphFilter", "node_key", "build_network", "annotate", "filter_options", "filter_network",
    "focus", "limit", "finding_route", "hop_route", "route_subgraph", "transfers_frame", "findings_table",
    "overview_counts", "map_layers", "worst_severity", "with_route", "without_details", "finding_label",
    "finding_identity", "result_nodes", "result_frame", "mechanism_text", "neighbourhood", "collapse",
    "FindingIndex", "HOP_SAMPLE",
]


def node_key(label: str, id_: str) -> str:
    """The key of a node in the network.

    >>> node_key("Organisation", "acme bv")
    'Organisation:acme bv'
    """
    return f"{label}:{id_}"


def _plain(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and pd.isna(v)) and v != ""


def worst_severity(severities: Iterable[str | None]) -> str | None:
    """The worst of some severities (None when there are none).

    >>> worst_severity(["low", None, "high", "medium"]), worst_severity([])
    ('high', None)
    """
    return max((s for s in severities if s in SEVERITY_RANK), key=SEVERITY_RANK.get, default=None)


# --------------------------------------------------------------------------- building

def build_network(graph: RopaGraph, countries: pd.DataFrame | None = None) -> nx.MultiDiGraph:
    """The RoPA as a networkx graph (documents and reference nodes left out).

    ``countries`` is the reference country table (code, name, eea); by default
    :func:`ropa.reference.load_countries`.

    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> g.nodes["Organisation:voorbeeld zorg bv"]["controller"], g.nodes["Country:US"]["eea"]
    (True, False)
    >>> sorted(d["transfer"] for *_, d in g.edges(data=True) if d["type"] in ("DISCLOSES_TO", "ENGAGES"))
    [False, False, True, True]
    """
    if countries is None:
        from .reference import load_countries
        countries = load_countries()
    names = dict(zip(countries["code"], countries["name"]))
    eea = {c: bool(e) for c, e in zip(countries["code"], countries["eea"])}
    unresolved = {r["id"]: r for r in graph.nodes["Country"].to_dict("records")}
    g = nx.MultiDiGraph()
    for label in GRAPH_LABELS:
        for rec in graph.nodes[label].to_dict("records"):
            props = {k: v for k, v in rec.items() if _plain(v)}
            g.add_node(node_key(label, rec["id"]), label=label, id=rec["id"],
                       name=str(rec.get("name") or rec["id"]), props=props)

    def country(code: str) -> str:
        key = node_key("Country", code)
        if key not in g:
            resolved = code in names
            name = names.get(code) or (unresolved.get(code) or {}).get("name") or code.removeprefix("?:")
            g.add_node(key, label="Country", id=code, name=str(name), eea=eea.get(code, False),
                       resolved=resolved, props={"id": code, "name": name, "eea": eea.get(code, False),
                                                 "resolved": resolved})
        return key

    for rt in GRAPH_RELS:
        cols = REL_TYPES[rt].columns
        for rec in graph.rels[rt].to_dict("records"):
            src = node_key(rec["src_label"], rec["src"])
            dst = country(rec["dst"]) if rec["dst_label"] == "Country" else node_key(rec["dst_label"], rec["dst"])
            if src not in g or dst not in g:
                continue
            props = {c: rec[c] for c in cols if _plain(rec.get(c))}
            extra = {}
            if rt in HOP_TYPES:
                extra = {"activity": node_key("Activity", props.get("activity", "")),
                         "exporter": node_key("Organisation", props.get("exporter", ""))}
            g.add_edge(src, dst, type=rt, props=props, **extra)
    for key, d in g.nodes(data=True):
        if d["label"] == "Organisation":
            d["controller"] = any(e["type"] == "CONTROLS" for *_, e in g.out_edges(key, data=True))
        elif d["label"] == "Activity":
            d["categories"] = sorted(g.nodes[v]["name"] for _, v, e in g.out_edges(key, data=True)
                                     if e["type"] == "PROCESSES")
            d["subjects"] = sorted(g.nodes[v]["name"] for _, v, e in g.out_edges(key, data=True)
                                   if e["type"] == "CONCERNS")
    for u, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            d["transfer"] = bool(_abroad(g, v))
    return g


def _places(g: nx.MultiDiGraph, org: str, types=PLACE_RELS) -> list[str]:
    """Country keys an organisation is established in / processes in."""
    return sorted({v for _, v, d in g.out_edges(org, data=True) if d["type"] in types})


def _abroad(g: nx.MultiDiGraph, org: str) -> list[str]:
    """Country keys outside the EEA where an organisation processes data."""
    return [c for c in _places(g, org, ("PROCESSES_IN",)) if not g.nodes[c].get("eea")]


# --------------------------------------------------------------------------- findings on the graph

def _f(finding, attr: str, default=""):
    if type(finding) is dict:  # the common case, first
        v = finding.get(attr)
        return default if v is None else v
    if isinstance(finding, dict):
        return finding.get(attr, default) if finding.get(attr) is not None else default
    return getattr(finding, attr, default) if getattr(finding, attr, None) is not None else default


def _as_dict(finding) -> dict:
    return asdict(finding) if is_dataclass(finding) else dict(finding)


class _Index:
    """Name lookups: findings name controllers, activities and organisations by name."""

    def __init__(self, g: nx.MultiDiGraph):
        self.org: dict[str, str] = {}
        self.activity: dict[tuple[str, str], str] = {}
        self.controller_of: dict[str, str] = {}
        for key, d in g.nodes(data=True):
            if d["label"] == "Organisation":
                self.org.setdefault(d["name"], key)
                self.org.setdefault(d["name"].casefold(), key)
        for u, v, d in g.edges(data=True):
            if d["type"] == "CONTROLS":
                self.controller_of[v] = u
        for key, d in g.nodes(data=True):
            if d["label"] == "Activity":
                ctrl = self.controller_of.get(key)
                ctrl_name = g.nodes[ctrl]["name"] if ctrl else d["props"].get("controller", "")
                self.activity[(ctrl_name, d["name"])] = key

    def org_key(self, name: str) -> str | None:
        return self.org.get(name) or self.org.get(str(name).casefold()) if name else None

    def activity_key(self, finding) -> str | None:
        return self.activity.get((_f(finding, "controller"), _f(finding, "activity")))


def _flow_edges(g: nx.MultiDiGraph, act: str) -> list[tuple[str, str, int]]:
    """The hop edges along which an activity's data flow."""
    return [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
            if d["type"] in HOP_TYPES and d.get("activity") == act]


def _flow_index(g: nx.MultiDiGraph) -> dict[str, list[tuple[str, str, int]]]:
    out: dict[str, list] = {}
    for u, v, k, d in g.edges(keys=True, data=True):
        if d["type"] in HOP_TYPES:
            out.setdefault(d.get("activity"), []).append((u, v, k))
    return out


def annotate(g: nx.MultiDiGraph, findings: Iterable,
             activities: dict[tuple[str, str], str] | None = None,
             verdicts: dict[tuple[str, str, str], str] | None = None) -> nx.MultiDiGraph:
    """A copy of ``g`` with each finding laid on the hop, activity or organisation it concerns.

    Nodes and edges get ``findings`` (finding dicts) and ``severity`` (worst);
    hop edges get ``verdict``: that of the register (``verdicts``, by (activity id,
    exporter id, importer id), :func:`ropa.transfers.hop_verdicts`), or ``none``
    when the hop is no restricted transfer (see :func:`ropa.transfers.edge_verdict`
    for a graph read without a store). A finding about an organisation alone
    (``unknown_country``) also marks the hops into it: their transfers cannot be judged.

    ``activities`` marks ``g`` as a part of a larger RoPA (a neighbourhood read
    from the store): it maps (controller, activity name) to the activity's key
    for the activities of the hops in ``g`` that ``g`` does not hold; a finding
    then lands only where it would land in the whole network.

    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> f = {"rule": "safe_harbor_reliance", "severity": "high", "controller": "Voorbeeld Zorg BV",
    ...      "activity": "Newsletter",
    ...      "exporter": "Voorbeeld Zorg BV", "importer": "Mail Blast LLC"}
    >>> a = annotate(g, [f])
    >>> [d["verdict"] for u, v, d in a.edges(data=True) if v == "Organisation:mail blast llc"]
    ['no_valid_basis']
    """
    g = g.copy()
    for _, d in g.nodes(data=True):
        d["findings"], d["severity"] = [], None
    for *_, d in g.edges(data=True):
        d["findings"], d["severity"] = [], None
    idx = _Index(g)
    into: dict[tuple[str, str], list[dict]] = {}  # the hops into an importer for an activity
    for _, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            into.setdefault((v, d.get("activity")), []).append(d)
    partial = activities is not None
    for k, v in (activities or {}).items():
        idx.activity.setdefault(k, v)
    for finding in findings:
        f = _as_dict(finding)
        act = idx.activity_key(f)
        imp = idx.org_key(_f(f, "importer"))
        exp = idx.org_key(_f(f, "exporter"))
        if partial and (_f(f, "importer") and imp is None or _f(f, "activity") and act is None):
            if imp is not None:  # its activity lies outside: none of its hops are here
                g.nodes[imp]["findings"].append(f)
            continue  # its importer lies outside
        if act and imp:
            for d in into.get((imp, act), ()):
                if exp is None or d.get("exporter") == exp:
                    d["findings"].append(f)
            g.nodes[imp]["findings"].append(f)
        elif act:
            if act in g:
                g.nodes[act]["findings"].append(f)
        elif imp or idx.org_key(_f(f, "subject")):
            org = imp or idx.org_key(_f(f, "subject"))
            g.nodes[org]["findings"].append(f)
            for *_, d in g.in_edges(org, data=True):
                if d["type"] in HOP_TYPES:
                    d["findings"].append(f)
    for _, d in g.nodes(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for *_, d in g.edges(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for u, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            hop = (_id(d.get("activity")), _id(d.get("exporter")), _id(v))
            d["verdict"] = edge_verdict(d.get("transfer", False), d["findings"], hop, verdicts)
    return g


def _id(key: str | None) -> str:
    """The id part of a node key."""
    return (key or "").partition(":")[2]


# --------------------------------------------------------------------------- filtering

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


def filter_options(g: nx.MultiDiGraph) -> dict[str, list[tuple[str, str]]]:
    """For each filter, the ``(value, label)`` choices present in ``g``, sorted by label.

    >>> from ropa.samples import example_graph
    >>> filter_options(build_network(example_graph()))["countries"][:2]
    [('DE', 'Germany'), ('NL', 'Netherlands')]
    """
    def nodes(label, pred=lambda d: True):
        return sorted(((k, d["name"]) for k, d in g.nodes(data=True) if d["label"] == label and pred(d)),
                      key=lambda kv: (kv[1].casefold(), kv[0]))
    idx = _Index(g)
    activities = []
    for k, d in g.nodes(data=True):
        if d["label"] == "Activity":
            ctrl = idx.controller_of.get(k)
            activities.append((k, f"{d['name']} ({g.nodes[ctrl]['name']})" if ctrl else d["name"]))
    countries = {}
    for u, v, d in g.edges(data=True):
        if d["type"] in PLACE_RELS and not g.nodes[u].get("controller"):
            countries[g.nodes[v]["id"]] = g.nodes[v]["name"]
    return {
        "controllers": nodes("Organisation", lambda d: d.get("controller")),
        "activities": sorted(activities, key=lambda kv: (kv[1].casefold(), kv[0])),
        "categories": nodes("DataCategory"),
        "subjects": nodes("DataSubject"),
        "countries": sorted(countries.items(), key=lambda kv: (kv[1].casefold(), kv[0])),
    }


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

    >>> from ropa.samples import example_graph
    >>> g = annotate(build_network(example_graph()), [])
    >>> us = filter_network(g, GraphFilter(countries=("US",)))
    >>> sorted(d["name"] for _, d in us.nodes(data=True) if d["label"] == "Activity")
    ['Newsletter', 'Patient appointments']
    """
    if flt.is_empty():
        return g.copy()
    idx = _Index(g)
    flows = _flow_index(g)
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
            goals = {e for e in edges if set(_places(g, e[1])) & wanted_countries}
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
        keep_nodes |= set(_places(g, org))
    sub = nx.MultiDiGraph()
    sub.add_nodes_from((n, g.nodes[n]) for n in keep_nodes)
    for u, v, k, d in g.edges(keys=True, data=True):
        if u in keep_nodes and v in keep_nodes and (d["type"] not in HOP_TYPES or (u, v, k) in keep_edges):
            sub.add_edge(u, v, key=k, **d)
    return sub


def focus(g: nx.MultiDiGraph, node: str, depth: int = 1) -> nx.MultiDiGraph:
    """The nodes within ``depth`` hops of ``node`` (either direction) and the edges between them.

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


def flow_levels(g: nx.MultiDiGraph) -> dict[str, int]:
    """A column for each node in a left-to-right data-flow drawing: controller 0, activity 1, its data
    categories and subjects 2, the recipients it discloses to 2, their sub-processors 3, 4, ..., and every
    country in the last column.

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


def _hop_entry(name: str, activity: str, props: dict, severity: str | None) -> dict:
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
    edge for the other types. A collapsed graph is returned as it is. :func:`neighbourhood` builds
    this form directly from the store.

    >>> from ropa.samples import example_graph
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
                hops.append(_hop_entry(name, act, d["props"], d.get("severity")))
            verdict = worst_verdict(d["verdict"] for d in group if d.get("transfer") and "verdict" in d) \
                if transfer else "none"
            edge.update(transfer=transfer, verdict=verdict, hops=sorted(hops, key=_sample_order)[:HOP_SAMPLE], props={})
        else:
            edge["props"] = group[0]["props"]
        out.add_edge(u, v, key=t, **edge)
    return out


# --------------------------------------------------------------------------- a neighbourhood, read from the store

NEIGHBOUR_LABELS = GRAPH_LABELS + ("Country",)
DETAIL_RELS = ("PROCESSES", "CONCERNS")
EDGE_ROWS = 20_000  # rows read per query for the relationships that are not hops (one per pair in practice)


def _edge_query(rel_type: str, a: str, b: str, side: str) -> str:
    """The pairs of nodes joined by edges of one type (from label a to b) touching nodes whose id is
    in ``$ids`` on the ``side`` end, with how many edges join them (``n``), the most joined first,
    then by id: under ``$limit`` the same pairs come back on every run; schema names only."""
    where = "s.id IN $ids" if side == "src" else "d.id IN $ids"
    return (f"MATCH (s:{a})-[:{rel_type}]->(d:{b}) WHERE {where} "
            "RETURN s.id AS src, d.id AS dst, count(*) AS n ORDER BY n DESC, src, dst LIMIT $limit")


def _between_query(rel_type: str, a: str, b: str) -> str:
    """Edges of one type from label a nodes in ``$src`` to label b nodes in ``$dst``; schema names only."""
    props = "".join(f", r.{c} AS {c}" for c in REL_TYPES[rel_type].columns)
    return (f"MATCH (s:{a})-[r:{rel_type}]->(d:{b}) WHERE s.id IN $src AND d.id IN $dst "
            f"RETURN s.id AS src, d.id AS dst{props} ORDER BY src, dst LIMIT $limit")


def _hops_between_query(rel_type: str, a: str, b: str) -> str:
    """The hops of one type from label a nodes in ``$src`` to label b nodes in ``$dst``, one row per
    (source, target) with how many and, per hop, its activity id, exporter id, mechanism (as recorded
    and as written) and row: the store aggregates, so 20,000 parallel hops between two
    organisations arrive as one row of small values, not as 20,000 rows; schema names only."""
    return (f"MATCH (s:{a})-[r:{rel_type}]->(d:{b}) WHERE s.id IN $src AND d.id IN $dst "
            "RETURN s.id AS src, d.id AS dst, count(*) AS n, "
            "collect({a: r.activity, x: r.exporter, m: r.mechanism, w: r.mechanism_raw, row: r.row}) AS hops")


# Activities by id (UNWIND + the primary key: `a.id IN $ids` scans the table for each of 10,000 ids).
ACTIVITY_NAMES = ("UNWIND $ids AS i MATCH (a:Activity {id: i}) OPTIONAL MATCH (c:Organisation)-[:CONTROLS]->(a) "
                  "RETURN a.id AS id, a.name AS name, coalesce(c.name, a.controller) AS controller")


@lru_cache(maxsize=None)
def _edge_queries(details: bool) -> tuple[tuple[str, str, str, str, str], ...]:
    """(rel type, src label, dst label, side, query) for every way an edge can touch a node."""
    out = []
    for rt in GRAPH_RELS:
        if rt in DETAIL_RELS and not details:
            continue
        for a, b in REL_TYPES[rt].pairs:
            for side in ("src", "dst"):
                out.append((rt, a, b, side, _edge_query(rt, a, b, side)))
    return tuple(out)


class FindingIndex:
    """Findings looked up by the organisation or activity they name: build it once per evaluation
    (the explorer caches it) and :func:`neighbourhood` picks the few that may land on a part of the
    RoPA without walking every finding of a large RoPA each time. ``activities`` (rows of id,
    name, controller name, e.g. the explorer's catalogue) spare :func:`neighbourhood` reading the
    names of the activities whose hops it draws.

    >>> fi = FindingIndex([{"rule": "r", "severity": "low", "importer": "Acme"},
    ...                    {"rule": "s", "severity": "low", "controller": "C", "activity": "A"}])
    >>> len(fi), [f["rule"] for f in fi.naming(["ACME"], [("C", "A")])]
    (2, ['r', 's'])
    """

    def __init__(self, findings: Iterable, activities: Iterable[tuple[str, str, str]] | None = None):
        self.findings = [f if type(f) is dict else _as_dict(f) for f in findings]
        self.by_org: dict[str, list[int]] = {}
        self.by_activity: dict[tuple[str, str], list[int]] = {}
        for n, f in enumerate(self.findings):
            imp = f.get("importer")
            if imp:
                self.by_org.setdefault(str(imp).casefold(), []).append(n)
            elif (f.get("controller") or "", f.get("activity") or "") != ("", ""):
                self.by_activity.setdefault((f.get("controller") or "", f.get("activity") or ""), []).append(n)
            elif f.get("subject"):
                self.by_org.setdefault(str(f["subject"]).casefold(), []).append(n)
        self.activities: dict[str, tuple[str, str]] | None = None  # id -> (controller name, name)
        # The register's verdict of each hop (ropa.transfers.hop_verdicts), set by the caller that has one.
        self.verdicts: dict[tuple[str, str, str], str] | None = None
        if activities is not None:
            self.activities = {str(i): (str(c or ""), str(n or "")) for i, n, c in activities}

    def __len__(self) -> int:
        return len(self.findings)

    def naming(self, organisations: Iterable[str], activities: Iterable[tuple[str, str]]) -> list[dict]:
        """The findings naming one of these organisations (by name, in any case) as importer (or, with
        no importer and no activity, as subject), or one of these (controller, activity) names without
        an importer; in their original order."""
        picked: set[int] = set()
        for name in {str(o).casefold() for o in organisations}:
            picked.update(self.by_org.get(name, ()))
        for pair in set(activities):
            picked.update(self.by_activity.get(pair, ()))
        return [self.findings[n] for n in sorted(picked)]


def _relevant(index: FindingIndex, g: nx.MultiDiGraph) -> list:
    """The findings that may land on a part ``g`` of the RoPA (a first cut, so that a big RoPA's
    findings are not all laid one by one): those naming one of its organisations as importer or
    subject, and those about one of its activities that name no importer."""
    orgs = [d["name"] for _, d in g.nodes(data=True) if d["label"] == "Organisation"]
    return index.naming(orgs, _Index(g).activity)


def neighbourhood(store, node: str, depth: int = 2, findings: Iterable | FindingIndex = (), cap: int = NODE_CAP,
                  details: bool = False) -> tuple[nx.MultiDiGraph, str | None]:
    """The nodes within ``depth`` hops of ``node`` (either direction), read from ``store`` with
    parameterised queries (never the whole RoPA), as ``collapse(focus(annotate(build_network(...))))``
    would draw them: one edge per (source, target, type) carrying how many there are (see
    :func:`collapse`; the store counts them), at most ``cap`` nodes, nearest first, with a sentence
    saying what was left out. Without ``details`` data categories and subjects are not nodes (each
    activity lists them, as :func:`without_details` leaves them). ``findings`` may be a
    :class:`FindingIndex` (built once for many calls).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     g, note = neighbourhood(s, "Country:US", 1)
    >>> sorted(g.nodes), note
    (['Country:US', 'Organisation:mail blast llc', 'Organisation:sms relay inc'], None)
    """
    with paused_gc():  # next to a RoPA's findings held in memory, a collection would walk them all
        return _neighbourhood(store, node, depth, findings, cap, details)


def _neighbourhood(store, node: str, depth: int, findings: Iterable | FindingIndex, cap: int,
                   details: bool) -> tuple[nx.MultiDiGraph, str | None]:
    label, _, seed = node.partition(":")
    if label not in NEIGHBOUR_LABELS or not seed:
        return nx.MultiDiGraph(), None
    queries = _edge_queries(details)
    level = {node: 0}
    frontier = {label: [seed]}
    truncated = False
    for hop in range(1, depth + 1):
        # This ring's new nodes with how many edges join each to the one before; when the cap cuts
        # the ring, the most joined are kept (then by key), the same ones on every run.
        joined: dict[tuple[str, str], int] = {}
        for rt, a, b, side, query in queries:
            ids = frontier.get(a if side == "src" else b)
            if not ids:
                continue
            # Enough pairs to fill the cap (a vendor with 20k hops in need not send them all).
            limit = 4 * cap + len(level)
            rows = store.run(query, {"ids": ids, "limit": limit})
            truncated |= len(rows) >= limit
            for r in rows:
                other = (b, r["dst"]) if side == "src" else (a, r["src"])
                if node_key(*other) not in level:
                    joined[other] = joined.get(other, 0) + r["n"]
        found = sorted(joined, key=lambda o: (-joined[o], node_key(*o)))
        if len(found) > cap - len(level):
            truncated = True
            found = found[:max(cap - len(level), 0)]
        for other in found:
            level[node_key(*other)] = hop
        frontier = {}
        for lab, id_ in found:
            frontier.setdefault(lab, []).append(id_)
        if not frontier or len(level) >= cap:  # nothing further, or no room for it
            truncated |= bool(frontier) and hop < depth
            break
    g = _neighbourhood_nodes(store, level)
    kept: dict[str, list[str]] = {}
    for key in g:
        lab, _, id_ = key.partition(":")
        kept.setdefault(lab, []).append(id_)
    # Every edge between two kept nodes (focus() keeps them all), one per pair and type.
    hops: dict[tuple[str, str, str], list[dict]] = {}  # (type, src, dst) -> hops (a, x, m, w, row)
    for rt, a, b, side, _ in queries:
        if side != "src" or not kept.get(a) or not kept.get(b):
            continue
        if rt in HOP_TYPES:
            for r in store.run(_hops_between_query(rt, a, b), {"src": kept[a], "dst": kept[b]}):
                hops.setdefault((rt, node_key(a, r["src"]), node_key(b, r["dst"])), []).extend(r["hops"])
            continue
        rows = store.run(_between_query(rt, a, b), {"src": kept[a], "dst": kept[b], "limit": EDGE_ROWS})
        truncated |= len(rows) >= EDGE_ROWS
        for r in rows:
            props = {c: r[c] for c in REL_TYPES[rt].columns if _plain(r.get(c))}
            src, dst = node_key(a, r["src"]), node_key(b, r["dst"])
            if g.has_edge(src, dst, rt):
                g.edges[src, dst, rt]["count"] += 1
            else:
                g.add_edge(src, dst, key=rt, type=rt, count=1, props=props, findings=[], severity=None,
                           highlight=False)
    _neighbourhood_details(store, g, kept)
    index = findings if isinstance(findings, FindingIndex) else FindingIndex(findings)
    _lay_on_pairs(store, g, hops, index)
    note = None
    if truncated:
        note = (f"The {depth}-hop neighbourhood has more than the {cap} nodes drawn at once: the nearest are shown. "
                "Focus on a node further out, or filter by controller or activity, to see the rest.")
    return g, note


def _neighbourhood_nodes(store, level: dict[str, int]) -> nx.MultiDiGraph:
    """The nodes (keys) with the attributes :func:`build_network` gives them."""
    by_label: dict[str, list[str]] = {}
    for key in level:
        lab, _, id_ = key.partition(":")
        by_label.setdefault(lab, []).append(id_)
    g = nx.MultiDiGraph()
    from .schema import NODE_TYPES
    for label, ids in by_label.items():
        lab = label
        ret = ", ".join(f"n.{c} AS {c}" for c in NODE_TYPES[label].columns)
        for rec in store.run(f"MATCH (n:{label}) WHERE n.id IN $ids RETURN {ret}", {"ids": ids}):
            props = {k: v for k, v in rec.items() if _plain(v)}
            attrs: dict[str, Any] = {"label": lab, "id": rec["id"], "name": str(rec.get("name") or rec["id"]),
                                     "props": props, "findings": [], "severity": None}
            if lab == "Country":
                attrs.update(eea=bool(rec.get("eea")), resolved=bool(rec.get("resolved")))
                attrs["props"] = {"id": rec["id"], "name": attrs["name"], "eea": attrs["eea"],
                                  "resolved": attrs["resolved"]}
            g.add_node(node_key(lab, rec["id"]), **attrs)
    return g


def _neighbourhood_details(store, g: nx.MultiDiGraph, kept: dict[str, list[str]]) -> None:
    """Controllers, activities' categories and subjects, as :func:`build_network` sets them."""
    orgs = kept.get("Organisation", [])
    acts = kept.get("Activity", [])
    controllers = {r["id"] for r in store.run(
        "MATCH (o:Organisation)-[:CONTROLS]->(:Activity) WHERE o.id IN $ids RETURN DISTINCT o.id AS id",
        {"ids": orgs})} if orgs else set()
    listed: dict[tuple[str, str], list[str]] = {}
    if acts:
        for kind, query in (
                ("categories", "MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory) WHERE a.id IN $ids "
                               "RETURN a.id AS act, coalesce(d.name, d.id) AS name"),
                ("subjects", "MATCH (a:Activity)-[:CONCERNS]->(d:DataSubject) WHERE a.id IN $ids "
                             "RETURN a.id AS act, coalesce(d.name, d.id) AS name")):
            for r in store.run(query, {"ids": acts}):
                listed.setdefault((r["act"], kind), []).append(str(r["name"]))
    for key, d in g.nodes(data=True):
        if d["label"] == "Organisation":
            d["controller"] = d["id"] in controllers
        elif d["label"] == "Activity":
            d["categories"] = sorted(listed.get((d["id"], "categories"), []))
            d["subjects"] = sorted(listed.get((d["id"], "subjects"), []))


def _lay_on_pairs(store, g: nx.MultiDiGraph, hops: dict[tuple[str, str, str], list[dict]],
                  index: FindingIndex) -> None:
    """Add the collapsed hop edges to ``g`` and lay the findings on nodes and hops exactly as
    :func:`annotate` lays them on the part of a RoPA (then :func:`collapse` merges them)."""
    findings = _relevant(index, g)
    orgs = [d["id"] for _, d in g.nodes(data=True) if d["label"] == "Organisation"]
    abroad = {r["id"] for r in store.run(
        "MATCH (o:Organisation)-[:PROCESSES_IN]->(k:Country) WHERE o.id IN $ids AND k.eea = false "
        "RETURN DISTINCT o.id AS id", {"ids": orgs})} if orgs else set()
    idx = _Index(g)
    # Findings name activities by controller and name: those of the hops not drawn as nodes.
    names = {d["id"]: d["name"] for _, d in g.nodes(data=True) if d["label"] == "Activity"}
    outside = {h["a"] for hs in hops.values() for h in hs} - set(names)
    known = index.activities or {}
    missing = sorted(a for a in outside if a not in known)
    if missing:
        known = dict(known)
        for r in store.run(ACTIVITY_NAMES, {"ids": missing}):
            known[r["id"]] = (str(r["controller"] or ""), str(r["name"] or ""))
    for a in outside:
        if a in known:
            idx.activity.setdefault(known[a], node_key("Activity", a))
            names[a] = known[a][1] or a
    # A finding names its exporter: resolve it as the whole network would, also when the exporter
    # (a controller, a processor further up the chain) is not in this part.
    exporters = dict(idx.org)
    away = sorted({h["x"] for hs in hops.values() for h in hs if h["x"] and node_key("Organisation", h["x"]) not in g})
    if away:
        for r in store.run("UNWIND $ids AS i MATCH (o:Organisation {id: i}) RETURN o.id AS id, o.name AS name",
                           {"ids": away}):
            name = str(r["name"] or r["id"])
            exporters.setdefault(name, node_key("Organisation", r["id"]))
            exporters.setdefault(name.casefold(), node_key("Organisation", r["id"]))
    # Each hop of each edge: its findings' worst severity rank (for the hops listed first).
    into: dict[tuple[str, str], list[tuple[tuple, int]]] = {}   # (importer key, activity id) -> (edge, hop)
    into_org: dict[str, list[tuple]] = {}
    hop_rank: dict[tuple, list[int]] = {}
    on_edge: dict[tuple, dict[int, dict]] = {}
    hops_of: dict[tuple, list[dict]] = {}
    for (rt, src, dst), hs in hops.items():
        e = (src, dst, rt)
        hops_of[e] = hs
        hop_rank[e] = [-1] * len(hs)
        on_edge[e] = {}
        into_org.setdefault(dst, []).append(e)
        for i, h in enumerate(hs):
            into.setdefault((dst, h["a"] or ""), []).append((e, i))

    rank_of = SEVERITY_RANK.get
    org_of, act_of, nodes = idx.org.get, idx.activity.get, g.nodes
    cut = len("Organisation:")

    def lands(ctl: str, activity: str, imp_name, name) -> tuple[list | None, list]:
        """Where a finding naming an importer and an activity lands: the importer's findings list
        (None: nowhere here) and the (edge's findings, edge's hop ranks, hop) it lies on. The same
        for every finding with these four names, so worked out once per four names."""
        act = act_of((ctl, activity))
        imp = org_of(imp_name) or org_of(str(imp_name).casefold())
        if imp is None:
            return None, []
        if act is None:  # its activity lies outside: none of its hops are here
            return nodes[imp]["findings"], []
        # An exporter named but not found here is no exporter of these hops (the rule pack names
        # organisations of the store): a sentinel, so that the finding lands on none of them.
        exp = (exporters.get(name) or exporters.get(str(name).casefold()) or "?") if name else None
        exp_id = exp[cut:] if exp else None
        on = into.get((imp, act[9:]), ())  # act is "Activity:<id>"
        return nodes[imp]["findings"], [(on_edge[e], hop_rank[e], i) for e, i in on
                                        if exp is None or (hops_of[e][i]["x"] or "") == exp_id]

    landing: dict[tuple, tuple[list | None, list]] = {}
    for f in findings:
        get = f.get
        imp_name, activity = get("importer"), get("activity")
        if imp_name and activity:  # nearly all of them: a hop's findings
            key = (get("controller") or "", activity, imp_name, get("exporter"))
            where = landing.get(key)
            if where is None:
                where = landing[key] = lands(*key)
            on_node, on_hops = where
            if on_hops:
                r = rank_of(get("severity"), -1)
                for found, ranks, i in on_hops:
                    found.setdefault(id(f), f)
                    if ranks[i] < r:
                        ranks[i] = r
            if on_node is not None:
                on_node.append(f)
            continue
        act = act_of((get("controller") or "", activity or ""))
        imp = (org_of(imp_name) or org_of(str(imp_name).casefold())) if imp_name else None
        if imp_name and imp is None or act is None and activity:
            continue
        if act:
            if act in g:
                nodes[act]["findings"].append(f)
        elif imp or idx.org_key(get("subject")):
            org = imp or idx.org_key(get("subject"))
            nodes[org]["findings"].append(f)
            r = rank_of(get("severity"), -1)
            for e in into_org.get(org, ()):
                on_edge[e].setdefault(id(f), f)
                ranks = hop_rank[e]
                ranks[:] = [max(x, r) for x in ranks]  # in place: lands() holds these lists
    for _, d in g.nodes(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for *_, d in g.edges(data=True):  # the other relationships: findings lie on hops only
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    rank_name = {r: s for s, r in SEVERITY_RANK.items()}
    for (rt, src, dst), hs in hops.items():
        e = (src, dst, rt)
        ranks = hop_rank[e]
        found = list(on_edge[e].values())
        severity = rank_name.get(max(ranks, default=-1))
        transfer = g.nodes[dst]["id"] in abroad
        first: list[int] = []  # worst first, then by activity (as collapse() orders them)
        for level in sorted(set(ranks), reverse=True):
            pool = ((hs[i]["a"] or "", str(hs[i]["row"] or ""), i) for i, x in enumerate(ranks) if x == level)
            first += [i for *_, i in heapq.nsmallest(HOP_SAMPLE - len(first), pool)]
            if len(first) >= HOP_SAMPLE:
                break
        listed = []
        for i in first:
            h = hs[i]
            props = {"mechanism": h["m"], "mechanism_raw": h["w"], "row": h["row"]}
            listed.append(_hop_entry(names.get(h["a"], h["a"] or ""), node_key("Activity", h["a"] or ""),
                                     {k: v for k, v in props.items() if _plain(v)}, rank_name.get(ranks[i])))
        verdicts = index.verdicts
        imp = g.nodes[dst]["id"]
        if not transfer:
            verdict = "none"
        elif verdicts is not None:
            verdict = worst_verdict(edge_verdict(True, found, (h["a"] or "", h["x"] or "", imp), verdicts) for h in hs)
        else:
            verdict = edge_verdict(True, found)
        g.add_edge(src, dst, key=rt, type=rt, count=len(hs), findings=found, severity=severity,
                   transfer=transfer, verdict=verdict, hops=listed, props={}, highlight=False)


# --------------------------------------------------------------------------- routes

def _connect(g: nx.MultiDiGraph, act: str, target: str) -> list[str]:
    """The organisations from an activity to ``target`` along the activity's flow."""
    dg = nx.DiGraph((u, v) for u, v, _ in _flow_edges(g, act))
    if act in dg and target in dg:
        try:
            return nx.shortest_path(dg, act, target)[1:]
        except nx.NetworkXNoPath:
            pass
    return [target]


def finding_route(g: nx.MultiDiGraph, finding) -> list[str]:
    """The node keys a finding runs along: controller, activity, recipients, destination.

    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> f = {"rule": "onward_transfer_chain", "controller": "Voorbeeld Zorg BV", "activity": "Patient appointments",
    ...      "path": ["Voorbeeld Zorg BV", "Agenda Cloud GmbH", "SMS Relay Inc"], "destination": "US"}
    >>> finding_route(g, f)  # doctest: +NORMALIZE_WHITESPACE
    ['Organisation:voorbeeld zorg bv', 'Activity:voorbeeld zorg bv::patient appointments',
     'Organisation:agenda cloud gmbh', 'Organisation:sms relay inc', 'Country:US']
    """
    idx = _Index(g)
    act = idx.activity_key(finding)
    names = list(_f(finding, "path", []) or [])
    if _f(finding, "importer") and (not names or names[-1] != _f(finding, "importer")):
        names.append(_f(finding, "importer"))
    orgs = [k for k in (idx.org_key(n) for n in names) if k]
    if act is None:
        route = orgs or [k for k in [idx.org_key(_f(finding, "subject"))] if k]
    else:
        ctrl = idx.controller_of.get(act)
        route = [k for k in (ctrl, act) if k]
        rest = [k for k in orgs if k != ctrl]
        if rest:
            route += _connect(g, act, rest[0])
            route += [k for k in rest[1:]]
    dest = node_key("Country", _f(finding, "destination")) if _f(finding, "destination") else None
    if route and dest in g and g.has_edge(route[-1], dest):
        route.append(dest)
    seen: list[str] = []
    for k in route:
        if k not in seen:
            seen.append(k)
    return seen


def hop_route(g: nx.MultiDiGraph, edge: tuple[str, str, int]) -> list[str]:
    """The route of one hop: controller, activity, the organisations before it, the importer, its countries abroad."""
    u, v, k = edge
    act = g.edges[edge].get("activity")
    ctrl = _Index(g).controller_of.get(act)
    route = [x for x in (ctrl, act) if x]
    if u != act:
        route += _connect(g, act, u)
    route.append(v)
    return route + _abroad(g, v)


def route_subgraph(g: nx.MultiDiGraph, route: list[str], context: bool = True) -> nx.MultiDiGraph:
    """The route's nodes (and, with ``context``, the countries of its organisations) with
    ``highlight=True`` on the route's nodes and on the edges joining consecutive ones.

    Hop edges of other activities between the same organisations are left out.

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
                nodes |= set(_places(g, n))
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


def without_details(g: nx.MultiDiGraph, keep: Iterable[str] = ()) -> nx.MultiDiGraph:
    """``g`` without data category and data subject nodes (except ``keep``): a lighter drawing."""
    keep = set(keep)
    return g.subgraph([n for n, d in g.nodes(data=True)
                       if d["label"] not in ("DataCategory", "DataSubject") or n in keep]).copy()


# --------------------------------------------------------------------------- tables

@lru_cache(maxsize=1)
def _mechanism_labels() -> dict[str, str]:
    from .reference import load_mechanisms
    m = load_mechanisms()
    return dict(zip(m["id"], m["label"]))


def mechanism_text(hop: dict) -> str:
    """A hop's safeguard as the record states it: the wording as written, else the mechanism's label.

    >>> mechanism_text({"mechanism": "privacy_shield", "mechanism_raw": "Privacy-Shield-zertifiziert"})
    'Privacy-Shield-zertifiziert'
    >>> mechanism_text({"mechanism": "privacy_shield", "mechanism_raw": "privacy_shield"})
    'EU-US Privacy Shield (invalidated)'
    >>> mechanism_text({})
    'no safeguard recorded'
    """
    canonical, raw = hop.get("mechanism"), hop.get("mechanism_raw")
    if raw and raw != canonical:
        return raw
    return _mechanism_labels().get(canonical) or canonical or "no safeguard recorded"



def finding_label(f) -> str:
    """A one-line name for a finding (for pickers): its rule's title (the id when it has none).

    >>> finding_label({"rule": "privacy_shield_reliance", "title": "Transfer relies on the invalidated Privacy Shield",
    ...                "severity": "high", "controller": "A", "subject": "B", "activity": "Newsletter"})
    'HIGH · Transfer relies on the invalidated Privacy Shield · A → B (Newsletter)'
    """
    who = " → ".join(x for x in (_f(f, "controller"), _f(f, "subject")) if x)
    act = f" ({_f(f, 'activity')})" if _f(f, "activity") else ""
    return f"{str(_f(f, 'severity')).upper()} · {_f(f, 'title') or _f(f, 'rule')} · {who}{act}"


def finding_identity(f) -> tuple:
    """What identifies a finding across reruns (same fields as Finding.identity)."""
    return tuple(_f(f, k) for k in ("rule", "controller", "activity", "exporter", "subject", "destination", "reason"))


def _join(values: Iterable) -> str:
    out: list[str] = []
    for v in values:
        s = "" if v is None else str(v).strip()
        if s and s not in out:
            out.append(s)
    return " | ".join(out)


def transfers_frame(g: nx.MultiDiGraph, mechanisms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every restricted transfer (a hop to an importer processing outside the EEA), worst first.

    Columns: controller, activity, exporter, importer, path, destination
    (codes), destination_names, mechanism, verdict, severity, rules, reason,
    legal_source, remediation, evidence, source, row, and ``edge`` (the hop's
    key in ``g``, for :func:`hop_route`). ``g`` must be annotated.
    """
    if mechanisms is None:
        from .reference import load_mechanisms
        mechanisms = load_mechanisms()
    mech = mechanisms.set_index("id")
    idx = _Index(g)
    rows = []
    for u, v, k, d in g.edges(keys=True, data=True):
        if d["type"] not in HOP_TYPES or not d.get("transfer"):
            continue
        p = d["props"]
        act = d.get("activity")
        ctrl = idx.controller_of.get(act)
        abroad = _abroad(g, v)
        route = hop_route(g, (u, v, k))
        m = p.get("mechanism")
        fs = sorted(d.get("findings", []), key=lambda f: -SEVERITY_RANK.get(f["severity"], -1))
        legal = _join(f.get("legal_source") for f in fs) or (str(mech.loc[m, "legal_source"]) if m in mech.index else "")
        rows.append({
            "severity": d.get("severity") or "",
            "verdict": verdict_label(d.get("verdict", "none")),
            "controller": g.nodes[ctrl]["name"] if ctrl else "",
            "activity": g.nodes[act]["name"] if act in g else "",
            "exporter": g.nodes[u]["name"] if g.nodes[u]["label"] == "Organisation" else (g.nodes[ctrl]["name"] if ctrl else ""),
            "importer": g.nodes[v]["name"],
            "path": " → ".join(g.nodes[n]["name"] for n in route if g.nodes[n]["label"] != "Country"),
            "destination": ", ".join(g.nodes[c]["id"] for c in abroad),
            "destination_names": ", ".join(g.nodes[c]["name"] for c in abroad),
            "mechanism": mechanism_text(p),
            "rules": _join(f["rule"] for f in fs),
            "reason": _join(f.get("reason") for f in fs),
            "legal_source": legal,
            "remediation": _join(f.get("remediation") for f in fs),
            "evidence": p.get("evidence", ""),
            "source": p.get("source", ""),
            "row": p.get("row"),
            "edge": (u, v, k),
        })
    df = pd.DataFrame(rows, columns=["severity", "verdict", "controller", "activity", "exporter", "importer", "path",
                                     "destination", "destination_names", "mechanism", "rules", "reason",
                                     "legal_source", "remediation", "evidence", "source", "row", "edge"])
    if len(df):
        rank = {label: VERDICT_ORDER[v] for v, label in VERDICTS.items()}
        df["_rank"] = df["verdict"].map(lambda s: rank.get(s, 9))
        df = df.sort_values(["_rank", "controller", "importer", "activity"], kind="stable").drop(columns="_rank")
    return df.reset_index(drop=True)


FINDING_TABLE_COLUMNS = ["severity", "rule", "title", "controller", "activity", "exporter", "importer",
                         "path", "destination", "mechanism", "reason", "legal_source", "remediation", "evidence",
                         "source", "row", "article"]


def findings_table(findings: Iterable) -> pd.DataFrame:
    """Findings as rows (worst first, as given) with the path joined by arrows (a finding has a severity;
    the verdict is a transfer's, :mod:`ropa.transfers`).

    >>> findings_table([{"rule": "r", "severity": "medium", "path": ["A", "B"]}])[["severity", "path"]].iloc[0].tolist()
    ['medium', 'A → B']
    """
    rows = []
    for f in findings:
        d = _as_dict(f)
        d["path"] = " → ".join(d.get("path") or [])
        if d.get("mechanism"):
            d["mechanism"] = mechanism_text({"mechanism": d["mechanism"]})
        rows.append({c: d.get(c) for c in FINDING_TABLE_COLUMNS})
    return pd.DataFrame(rows, columns=FINDING_TABLE_COLUMNS)


def overview_counts(g: nx.MultiDiGraph) -> dict[str, int]:
    """Controllers, activities, recipients, destination countries and restricted transfers.

    >>> from ropa.samples import example_graph
    >>> overview_counts(build_network(example_graph()))
    {'controllers': 1, 'activities': 3, 'recipients': 4, 'countries': 3, 'restricted_transfers': 2}
    """
    recipients = {v for u, v, d in g.edges(data=True) if d["type"] in HOP_TYPES}
    countries = {c for r in recipients for c in _places(g, r, ("PROCESSES_IN",))}
    return {
        "controllers": sum(1 for _, d in g.nodes(data=True) if d.get("controller")),
        "activities": sum(1 for _, d in g.nodes(data=True) if d["label"] == "Activity"),
        "recipients": len(recipients),
        "countries": len(countries),
        "restricted_transfers": sum(1 for *_, d in g.edges(data=True) if d["type"] in HOP_TYPES and d.get("transfer")),
    }


def map_layers(g: nx.MultiDiGraph) -> dict[str, Any]:
    """What the world map shows, from an annotated network.

    Every country where a recipient processes data: outside the EEA coloured
    by the worst finding on the transfers there (green when none), inside the
    EEA light blue. Returns ``fill`` and ``labels`` for
    :func:`ropa.worldmap.world_svg`, the ``legend``, and ``unplaced``: places
    outside the EEA that are not a country on the map (unresolved names).
    """
    per_country: dict[str, list[dict]] = {}
    transfers: dict[str, int] = {}
    inside: dict[str, set] = {}
    for u, v, d in g.edges(data=True):
        if d["type"] not in HOP_TYPES:
            continue
        for c in _places(g, v, ("PROCESSES_IN",)):
            cd = g.nodes[c]
            if cd.get("eea"):
                inside.setdefault(cd["id"], set()).add(g.nodes[v]["name"])
            else:
                per_country.setdefault(cd["id"], []).extend(d.get("findings", []))
                transfers[cd["id"]] = transfers.get(cd["id"], 0) + 1
    names = {d["id"]: d["name"] for _, d in g.nodes(data=True) if d["label"] == "Country"}
    fill, labels, unplaced = {}, {}, []
    from .worldmap import drawable_codes
    drawable = drawable_codes()
    for code, fs in per_country.items():
        worst = worst_severity(f["severity"] for f in fs)
        by_rule: dict[str, int] = {}
        for f in fs:
            name = f.get("title") or f["rule"]  # people read the rule's title
            by_rule[name] = by_rule.get(name, 0) + 1
        rules = ", ".join(f"{r} ×{n}" for r, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        text = (f"{names.get(code, code)}: {transfers[code]} restricted transfer(s); "
                + (f"worst finding {worst} ({rules})" if worst else "no finding"))
        if code in drawable:
            fill[code] = SEVERITY_COLOURS[worst] if worst else OK_COLOUR
            labels[code] = text
        else:
            unplaced.append(text)
    for code, orgs in inside.items():
        if code in drawable and code not in fill:
            fill[code] = EEA_COLOUR
            labels[code] = f"{names.get(code, code)} (EEA): {len(orgs)} recipient(s) process data here"
    legend = [(SEVERITY_COLOURS["high"], "transfers with a high finding"),
              (SEVERITY_COLOURS["medium"], "worst finding medium"),
              (SEVERITY_COLOURS["low"], "worst finding low"),
              (OK_COLOUR, "transfers without finding"),
              (EEA_COLOUR, "inside the EEA")]
    return {"fill": fill, "labels": labels, "legend": legend, "unplaced": sorted(unplaced)}


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


def as_of_default() -> dt.date:
    """Today: the date the explorer evaluates the rules on unless told otherwise."""
    return dt.date.today()
