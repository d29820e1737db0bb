"""Parts of the RoPA read from the store: the sub-network around some activities and
organisations (:func:`subnetwork`, :func:`network`), so the explorer draws and tabulates it with
:mod:`ropa.network`, :mod:`ropa.overlay`, :mod:`ropa.narrow` and :mod:`ropa.art30` unchanged; the
findings that lie on it; the part that holds a finding's route or a transfer's hop.
"""
from __future__ import annotations

from typing import Iterable

import networkx as nx
import pandas as pd

from ..model import RopaGraph, chain_of
from ..network import build_network, by_name, node_key
from ..overlay import annotate
from ..schema import HOP_TYPES, NODE_TYPES, REL_TYPES
from .catalogue import Catalogue, Evaluation
from .cypher import run


def _node_record(label: str, node: dict) -> dict:
    return {c: node.get(c) for c in NODE_TYPES[label].columns}


def _rel_record(rel_type: str, src_label: str, src: str, dst_label: str, dst: str, props: dict) -> dict:
    return {"src": src, "dst": dst, "src_label": src_label, "dst_label": dst_label,
            **{c: props.get(c) for c in REL_TYPES[rel_type].columns}}


def subnetwork(store, activities: Iterable[str], organisations: Iterable[str] = ()) -> tuple[RopaGraph, set[str]]:
    """The RoPA around some activities (ids): each with its controller, data categories and subjects,
    the hops of its data flow, the organisations on them; plus ``organisations`` (ids); every
    organisation with where it is established and processes data.

    Returns the graph and the ids of its organisations that control an activity anywhere in the store
    (the drawing shows controllers apart, even when their activities are not in the graph).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     g, ctrl = subnetwork(s, ["voorbeeld zorg bv::newsletter"])
    >>> sorted(g.nodes["Organisation"]["name"]), sorted(ctrl)
    (['Mail Blast LLC', 'Voorbeeld Zorg BV'], ['voorbeeld zorg bv'])
    """
    graph, controllers, _ = _read(store, activities, organisations)
    return graph, controllers


def _read(store, activities: Iterable[str], organisations: Iterable[str]) -> tuple[RopaGraph, set[str], dict]:
    """:func:`subnetwork`, with the stored ``chain`` of each hop row (by hop type, in row order)."""
    ids = sorted(set(activities))
    chains: dict[str, list] = {t: [] for t in HOP_TYPES}
    nodes: dict[str, list[dict]] = {k: [] for k in ("Organisation", "Activity", "DataCategory", "DataSubject",
                                                     "Country")}
    rels: dict[str, list[dict]] = {k: [] for k in REL_TYPES if not REL_TYPES[k].reference}
    orgs = set(organisations)
    seen: set[tuple[str, str]] = set()

    def add(label: str, node: dict) -> None:
        if (label, node["id"]) not in seen:
            seen.add((label, node["id"]))
            nodes[label].append(_node_record(label, node))

    if ids:
        for r in run(store, "sub_activities", ids=ids):
            add("Activity", r["node"])
        for r in run(store, "sub_controls", ids=ids):
            rels["CONTROLS"].append(_rel_record("CONTROLS", "Organisation", r["src"], "Activity", r["dst"], r))
            orgs.add(r["src"])
        for name, rel, label in (("sub_processes", "PROCESSES", "DataCategory"),
                                 ("sub_concerns", "CONCERNS", "DataSubject")):
            for r in run(store, name, ids=ids):
                add(label, r["node"])
                rels[rel].append(_rel_record(rel, "Activity", r["src"], label, r["node"]["id"], {}))
        for r in run(store, "sub_discloses", ids=ids):
            rels["DISCLOSES_TO"].append(_rel_record("DISCLOSES_TO", "Activity", r["src"], "Organisation", r["dst"],
                                                    r["rel"]))
            chains["DISCLOSES_TO"].append(chain_of(r["rel"].get("via")))
            orgs.add(r["dst"])
        for r in run(store, "sub_engages", ids=ids):
            rels["ENGAGES"].append(_rel_record("ENGAGES", "Organisation", r["src"], "Organisation", r["dst"],
                                               r["rel"]))
            chains["ENGAGES"].append(chain_of(r["rel"].get("via")))
            orgs |= {r["src"], r["dst"]}
    controllers: set[str] = set()
    if orgs:
        oids = sorted(orgs)
        for r in run(store, "sub_organisations", ids=oids):
            add("Organisation", r["node"])
            if r["controller"]:
                controllers.add(r["node"]["id"])
        for name, rel in (("sub_established", "ESTABLISHED_IN"), ("sub_processes_in", "PROCESSES_IN")):
            for r in run(store, name, ids=oids):
                k = r["node"]
                if k.get("resolved") is False:
                    add("Country", k)
                rels[rel].append(_rel_record(rel, "Organisation", r["src"], "Country", k["id"], r))
    return RopaGraph.from_records(nodes, rels), controllers, chains


def network(store, activities: Iterable[str], organisations: Iterable[str] = (),
            findings: Iterable[dict] = (), verdicts: dict | None = None) -> nx.MultiDiGraph:
    """:func:`subnetwork` as the explorer's annotated network (:func:`ropa.network.build_network` +
    :func:`ropa.overlay.annotate`), with ``controller`` true on every organisation that controls an
    activity anywhere in the store, and on each hop the ``chain`` the store keeps.

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     g = network(s, ["voorbeeld zorg bv::patient appointments"])
    >>> sorted((v, d["chain"]) for _, v, d in g.edges(data=True) if d["type"] in HOP_TYPES)
    [('Organisation:agenda cloud gmbh', []), ('Organisation:sms relay inc', ['Agenda Cloud GmbH'])]
    """
    graph, controllers, chains = _read(store, activities, organisations)
    g = build_network(graph, chains=chains)
    for key, d in g.nodes(data=True):
        if d["label"] == "Organisation":
            d["controller"] = d["id"] in controllers
    return annotate(g, list(findings), verdicts=verdicts)


def findings_about(cat: Catalogue, ev: Evaluation, activities: Iterable[str],
                   organisations: Iterable[str] = ()) -> list[dict]:
    """The findings that :func:`ropa.overlay.annotate` would lay on a sub-network of these activities
    and organisations (on their hops, their records, their importers)."""
    acts = set(activities)
    orgs = set(organisations)
    picked: set[int] = set()
    for act in acts:
        picked.update(ev.activity_findings.get(act, ()))
    hops = cat.hops
    mask = hops["activity_id"].isin(acts) | hops["importer_id"].isin(orgs)
    for i in mask[mask].index:
        picked.update(ev.hop_findings[i])
    org_key = cat.org_key()
    names = {v for v in orgs}
    for n, f in enumerate(ev.findings):
        if n in picked or f.get("activity"):
            continue
        target = f.get("importer") or f.get("subject")
        if target and by_name(org_key, target) in names:
            picked.add(n)
    return [ev.findings[n] for n in sorted(picked)]



def finding_scope(cat: Catalogue, finding: dict) -> tuple[list[str], list[str]]:
    """(activity ids, organisation ids) whose sub-network holds a finding's route."""
    acts = cat.activities
    hit = acts[(acts["controller"] == (finding.get("controller") or "")) &
               (acts["name"] == (finding.get("activity") or ""))]
    org_key = cat.org_key()
    orgs = []
    for name in [*(finding.get("path") or []), finding.get("importer"), finding.get("subject"), finding.get("exporter")]:
        k = by_name(org_key, name)
        if k:
            orgs.append(k)
    return sorted(hit["id"]), sorted(set(orgs))


def hop_edge(g: nx.MultiDiGraph, transfer: dict | pd.Series) -> tuple[str, str, int] | None:
    """The edge of a transfer-table row in a network holding its activity."""
    src = node_key("Activity" if transfer["type"] == "DISCLOSES_TO" else "Organisation", transfer["src_id"])
    dst = node_key("Organisation", transfer["importer_id"])
    act = node_key("Activity", transfer["activity_id"])
    if src in g and dst in g:
        for k, d in g[src][dst].items() if g.has_edge(src, dst) else ():
            if d["type"] == transfer["type"] and d.get("activity") == act:
                return src, dst, k
    return None
