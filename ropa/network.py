"""The RoPA as a network: what :mod:`ropa.views`, :mod:`ropa.overlay`, :mod:`ropa.narrow` and
:mod:`ropa.routes` work on.

A :class:`~ropa.model.RopaGraph` (from any backend's ``export()``, or a part read by
:func:`ropa.browse.subnetwork.network`) becomes a networkx ``MultiDiGraph`` (:func:`build_network`).
Node keys are ``"<Label>:<id>"`` (an organisation and a data category may share an id). Every node
has ``label``, ``id``, ``name`` and ``props`` (its stored properties); every edge ``type`` and
``props``; hop edges (``DISCLOSES_TO`` / ``ENGAGES``) also ``activity`` and ``exporter`` (node keys),
``transfer`` (the importer processes data outside the EEA, the definition in docs/schema.md) and
``chain``: the names of the organisations between the controller and the hop's exporter, the
property every store keeps on its hops (``via``, :func:`ropa.model.derived_properties`), so a route is
``[controller, activity] + chain + [importer]`` without walking the sub-processors again.
"""
from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .findings import SEVERITY_RANK
from .model import RopaGraph, hop_chains
from .schema import HOP_TYPES, REL_TYPES

GRAPH_LABELS = ("Organisation", "Activity", "DataCategory", "DataSubject")
GRAPH_RELS = ("CONTROLS", "PROCESSES", "CONCERNS", "DISCLOSES_TO", "ENGAGES", "ESTABLISHED_IN", "PROCESSES_IN")
PLACE_RELS = ("ESTABLISHED_IN", "PROCESSES_IN")


def node_key(label: str, id_: str) -> str:
    """The key of a node in the network.

    >>> node_key("Organisation", "acme bv")
    'Organisation:acme bv'
    """
    return f"{label}:{id_}"


def has_value(v: Any) -> bool:
    """False for None, NaN and the empty string: a property the record does not state."""
    return v is not None and not (isinstance(v, float) and pd.isna(v)) and v != ""


def worst_severity(severities: Iterable[str | None]) -> str | None:
    """The worst of some severities (None when there are none).

    >>> worst_severity(["low", None, "high", "medium"]), worst_severity([])
    ('high', None)
    """
    return max((s for s in severities if s in SEVERITY_RANK), key=SEVERITY_RANK.get, default=None)


# --------------------------------------------------------------------------- building

def build_network(graph: RopaGraph, countries: pd.DataFrame | None = None,
                  chains: dict[str, list] | None = None) -> nx.MultiDiGraph:
    """The RoPA as a networkx graph (documents and reference nodes left out).

    ``countries`` is the reference country table (code, name, eea); by default
    :func:`ropa.reference.load_countries`. ``chains`` holds, per hop type, the chain of each row
    of ``graph.rels[type]`` as a store keeps it (:func:`ropa.browse.subnetwork.network` passes the
    stored ones); by default they are worked out as every store works them out
    (:func:`ropa.model.hop_chains`).

    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> g.nodes["Organisation:voorbeeld zorg bv"]["controller"], g.nodes["Country:US"]["eea"]
    (True, False)
    >>> sorted(d["transfer"] for *_, d in g.edges(data=True) if d["type"] in ("DISCLOSES_TO", "ENGAGES"))
    [False, False, True, True]
    >>> g.edges["Organisation:agenda cloud gmbh", "Organisation:sms relay inc", 0]["chain"]
    ['Agenda Cloud GmbH']
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
            props = {k: v for k, v in rec.items() if has_value(v)}
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
        chain = None
        if rt in HOP_TYPES:
            chain = (chains or {}).get(rt)
            if chain is None:
                chain = hop_chains(graph, rt)
        for i, rec in enumerate(graph.rels[rt].to_dict("records")):
            src = node_key(rec["src_label"], rec["src"])
            dst = country(rec["dst"]) if rec["dst_label"] == "Country" else node_key(rec["dst_label"], rec["dst"])
            if src not in g or dst not in g:
                continue
            props = {c: rec[c] for c in cols if has_value(rec.get(c))}
            extra = {}
            if rt in HOP_TYPES:
                extra = {"activity": node_key("Activity", props.get("activity", "")),
                         "exporter": node_key("Organisation", props.get("exporter", "")),
                         "chain": None if chain[i] is None else list(chain[i])}
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
            d["transfer"] = bool(abroad(g, v))
    return g


def places(g: nx.MultiDiGraph, org: str, types=PLACE_RELS) -> list[str]:
    """Country keys an organisation is established in / processes in."""
    return sorted({v for _, v, d in g.out_edges(org, data=True) if d["type"] in types})


def abroad(g: nx.MultiDiGraph, org: str) -> list[str]:
    """Country keys outside the EEA where an organisation processes data."""
    return [c for c in places(g, org, ("PROCESSES_IN",)) if not g.nodes[c].get("eea")]


# --------------------------------------------------------------------------- names

def finding_field(finding, attr: str, default=""):
    """A field of a finding (a dict or a :class:`ropa.findings.Finding`), ``default`` when unset."""
    if type(finding) is dict:  # the common case, first
        v = finding.get(attr)
        return default if v is None else v
    if isinstance(finding, dict):
        return finding.get(attr, default) if finding.get(attr) is not None else default
    return getattr(finding, attr, default) if getattr(finding, attr, None) is not None else default


def finding_dict(finding) -> dict:
    """A finding as a dict."""
    return asdict(finding) if is_dataclass(finding) else dict(finding)


def name_lookup(pairs: Iterable[tuple[Any, str]]) -> dict[str, Any]:
    """What a name stands for, by the name as written, else in any case (the first of equal names
    wins): findings name organisations by name. Read it with :func:`by_name`.

    >>> found = name_lookup([("o1", "Acme BV"), ("o2", "ACME bv")])
    >>> by_name(found, "ACME bv"), by_name(found, "acme bv"), by_name(found, "")
    ('o2', 'o1', None)
    """
    pairs = list(pairs)
    out: dict[str, Any] = {}
    for value, name in pairs:
        out.setdefault(name, value)
    for value, name in pairs:
        out.setdefault(str(name).casefold(), value)
    return out


def by_name(lookup: dict[str, Any], name) -> Any:
    """The value :func:`name_lookup` holds for ``name`` (as written, else in any case), or None."""
    return lookup.get(name) or lookup.get(str(name).casefold()) if name else None


class NameIndex:
    """Name lookups in a network: findings name controllers, activities and organisations by name."""

    def __init__(self, g: nx.MultiDiGraph):
        self.org: dict[str, str] = name_lookup((key, d["name"]) for key, d in g.nodes(data=True)
                                               if d["label"] == "Organisation")
        self.activity: dict[tuple[str, str], str] = {}
        self.controller_of: dict[str, str] = {}
        for u, v, d in g.edges(data=True):
            if d["type"] == "CONTROLS":
                self.controller_of[v] = u
        for key, d in g.nodes(data=True):
            if d["label"] == "Activity":
                ctrl = self.controller_of.get(key)
                ctrl_name = g.nodes[ctrl]["name"] if ctrl else d["props"].get("controller", "")
                self.activity[(ctrl_name, d["name"])] = key

    def org_key(self, name: str) -> str | None:
        return by_name(self.org, name)

    def activity_key(self, finding) -> str | None:
        return self.activity.get((finding_field(finding, "controller"), finding_field(finding, "activity")))


def flow_index(g: nx.MultiDiGraph) -> dict[str, list[tuple[str, str, int]]]:
    """The hop edges of each activity's data flow, by activity key."""
    out: dict[str, list] = {}
    for u, v, k, d in g.edges(keys=True, data=True):
        if d["type"] in HOP_TYPES:
            out.setdefault(d.get("activity"), []).append((u, v, k))
    return out


def key_id(key: str | None) -> str:
    """The id part of a node key."""
    return (key or "").partition(":")[2]
