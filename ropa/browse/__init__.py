"""What the explorer shows, read from the store piece by piece instead of exporting the whole RoPA.

At a million relationships the explorer cannot export the store into pandas,
build one networkx graph of it and lay every finding on it for each page. This
module reads what a page shows with the queries in ``ropa/browse/queries/``
(parameters only, never values formatted into Cypher):

* :func:`read_catalogue` - one row per hop (controller, activity, exporter,
  importer, mechanism, evidence), where each recipient processes data, the
  organisations and activities by name, and the counts. One read per store
  version; a few seconds at a million relationships.
* :func:`evaluate` - the rule pack's findings laid on the catalogue, with the
  same matching as :func:`ropa.views.annotate`: each hop's severity and
  verdict (read from the register of :mod:`ropa.transfers`, never decided here), the
  restricted-transfer table (:func:`ropa.transfers.register_frame`), the world map (through
  :func:`ropa.views.map_layers` on a graph of hops and countries only) and the
  overview counts. One per store version and evaluation date.
* :func:`subnetwork` - the part of the RoPA around some activities and
  organisations as a :class:`~ropa.model.RopaGraph`, so the explorer draws and
  tabulates it with :mod:`ropa.views` and :mod:`ropa.art30` unchanged;
  :func:`candidate_activities` bounds it for the graph page's filters.
* :func:`page_of` - one page of a table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .. import views
from ..findings import SEVERITY_RANK
from ..model import RopaGraph
from .. import transfers as register
from ..schema import NODE_TYPES, REL_TYPES

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
PAGE_SIZE = 50
TRANSFER_COLUMNS = register.EXPLORER_COLUMNS


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    """The text of ``ropa/browse/queries/<name>.cypher``."""
    return (QUERIES_DIR / f"{name}.cypher").read_text(encoding="utf-8")


def run(store, name: str, **params: Any) -> list[dict]:
    """Run one of this module's queries with parameters."""
    return store.run(query_text(name), params)


# --------------------------------------------------------------------------- the catalogue (per store version)

@dataclass
class Catalogue:
    """What the store holds, as small tables: enough to lay findings on hops without the graph."""

    hops: pd.DataFrame          # one row per hop, the columns of hops.cypher
    places: pd.DataFrame        # org, country, name, eea, processing
    organisations: pd.DataFrame  # id, name
    activities: pd.DataFrame    # id, name, controller_id, controller
    counts: dict[str, int] = field(default_factory=dict)

    def org_key(self) -> dict[str, str]:
        """Organisation id by name, and by name in any case (as :class:`ropa.views._Index`)."""
        out: dict[str, str] = {}
        for i, n in zip(self.organisations["id"], self.organisations["name"]):
            out.setdefault(n, i)
        for i, n in zip(self.organisations["id"], self.organisations["name"]):
            out.setdefault(str(n).casefold(), i)
        return out


def read_catalogue(store) -> Catalogue:
    """Read the catalogue from a backend (see :class:`Catalogue`).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     c = read_catalogue(s)
    >>> len(c.hops), c.counts["activities"], sorted(set(c.places["country"]))
    (4, 3, ['DE', 'NL', 'US'])
    """
    def frame(name: str, columns: list[str]) -> pd.DataFrame:
        # object columns: the rows are walked in Python, and pandas' Arrow strings are slow to iterate
        return pd.DataFrame.from_records(run(store, name), columns=columns).astype(object)

    hops = frame("hops", ["type", "src_id", "controller_id", "controller", "activity_id", "activity", "exporter_id",
                          "exporter", "importer_id", "importer", "role", "mechanism", "mechanism_raw", "mechanism_date",
                          "evidence", "source", "row"])
    places = frame("places", ["org", "country", "name", "eea", "processing"])
    orgs = frame("organisations", ["id", "name"])
    acts = frame("activities", ["id", "name", "controller_id", "controller"])
    counts = run(store, "counts")[0]
    return Catalogue(hops, places, orgs, acts, {k: int(v) for k, v in counts.items()})


# --------------------------------------------------------------------------- findings on the catalogue

class Evaluation:
    """The catalogue with the findings of one evaluation date laid on it.

    ``findings`` (dicts, worst first), ``hop_findings`` (per hop row: indices into findings),
    ``activity_findings`` (findings about an activity's own record, by activity id),
    ``hop_severity``, ``counts`` (as :func:`ropa.views.overview_counts`) and ``map`` (as
    :func:`ropa.views.map_layers`) are computed at once; ``table`` (:func:`ropa.views.findings_table`)
    and ``transfers`` (the restricted-transfer table) when first asked for.
    """

    def __init__(self, cat: Catalogue, findings: list[dict], transfers: list | None = None):
        self.catalogue = cat
        self.findings = findings
        self.register = list(transfers or [])  # ropa.transfers.Transfer, judged, worst first
        self.verdicts = register.hop_verdicts(self.register)  # what the graph colours each hop with
        self.hop_findings, self.activity_findings = _lay(cat, findings)
        self.hop_severity = [views.worst_severity(findings[n]["severity"] for n in fs) for fs in self.hop_findings]
        self.abroad = _abroad_by_org(cat)
        hops = cat.hops
        self.transfer_rows = [i for i, imp in enumerate(hops["importer_id"].tolist()) if self.abroad.get(imp)]
        recipients = set(hops["importer_id"])
        proc = cat.places[cat.places["processing"].astype(bool)]
        self.counts = {
            "controllers": cat.counts.get("controllers", 0),
            "activities": cat.counts.get("activities", 0),
            "recipients": len(recipients),
            "countries": proc[proc["org"].isin(recipients)]["country"].nunique(),
            "restricted_transfers": len(self.transfer_rows),
        }
        self.map = views.map_layers(_map_graph(cat, findings, self.hop_findings))

    @cached_property
    def table(self) -> pd.DataFrame:
        return views.findings_table(self.findings)

    @cached_property
    def transfers(self) -> pd.DataFrame:
        """The register of restricted transfers (:func:`ropa.transfers.register_frame`), worst first."""
        return register.register_frame(self.register)


def _abroad_by_org(cat: Catalogue) -> dict[str, list[tuple[str, str]]]:
    """(country id, name) outside the EEA where each recipient processes data, sorted by id."""
    p = cat.places[cat.places["processing"].astype(bool) & ~cat.places["eea"].fillna(False).astype(bool)]
    out: dict[str, list[tuple[str, str]]] = {}
    for org, code, name in sorted(zip(p["org"], p["country"], p["name"]), key=lambda t: (t[0], t[1])):
        out.setdefault(org, []).append((code, name if name is not None else code))
    return out


def _lay(cat: Catalogue, findings: list[dict]) -> tuple[list[list[int]], dict[str, list[int]]]:
    """Which findings sit on which hop (as :func:`ropa.views.annotate` lays them)."""
    org_key = cat.org_key()

    def org(name) -> str | None:
        if not name:
            return None
        return org_key.get(name) or org_key.get(str(name).casefold())

    act_of = {(c, a): i for i, a, c in zip(cat.activities["id"], cat.activities["name"],
                                             cat.activities["controller"])}
    by_act_imp: dict[tuple[str, str], list[int]] = {}
    into: dict[str, list[int]] = {}
    for i, (act, imp) in enumerate(zip(cat.hops["activity_id"], cat.hops["importer_id"])):
        by_act_imp.setdefault((act, imp), []).append(i)
        into.setdefault(imp, []).append(i)
    exporters = list(cat.hops["exporter_id"])
    on_hop: list[list[int]] = [[] for _ in range(len(cat.hops))]
    on_act: dict[str, list[int]] = {}
    for n, f in enumerate(findings):
        act = act_of.get((f.get("controller") or "", f.get("activity") or ""))
        imp, exp = org(f.get("importer")), org(f.get("exporter"))
        if act and imp:
            for i in by_act_imp.get((act, imp), ()):
                if exp is None or exporters[i] == exp:
                    on_hop[i].append(n)
        elif act:
            on_act.setdefault(act, []).append(n)
        else:
            target = imp or org(f.get("subject"))
            for i in into.get(target, ()) if target else ():
                on_hop[i].append(n)
    return on_hop, on_act


def evaluate(cat: Catalogue, findings: list[dict], transfers: list | None = None) -> Evaluation:
    """Lay ``findings`` (dicts, worst first, as :func:`ropa.rules.evaluate` gives them) on the catalogue,
    with the register of restricted transfers judged from them (:func:`ropa.transfers.build_register`),
    which gives the transfer table and each hop's verdict.

    >>> import datetime as dt
    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.rules import evaluate as rule_pack
    >>> from ropa.samples import example_graph
    >>> from ropa.transfers import build_register
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     c = read_catalogue(s)
    ...     found = rule_pack(s, dt.date(2026, 11, 22))
    ...     reg = build_register(s, dt.date(2026, 11, 22), found)
    >>> e = evaluate(c, [f.to_dict() for f in found], reg)
    >>> e.counts["restricted_transfers"], e.transfers["verdict"].tolist()
    (2, ['No valid basis', 'Action needed'])
    """
    return Evaluation(cat, findings, transfers)


def _map_graph(cat: Catalogue, findings: list[dict], on_hop: list[list[int]]) -> nx.MultiDiGraph:
    """Hops (with their findings) into recipients and the recipients' countries: all that
    :func:`ropa.views.map_layers` reads, without the rest of the graph."""
    g = nx.MultiDiGraph()
    names = dict(zip(cat.organisations["id"], cat.organisations["name"]))
    proc = cat.places[cat.places["processing"].astype(bool)]
    for org, code, name, eea in zip(proc["org"], proc["country"], proc["name"], proc["eea"]):
        k = views.node_key("Country", code)
        g.add_node(k, label="Country", id=code, name=str(name if name is not None else code), eea=bool(eea))
        o = views.node_key("Organisation", org)
        g.add_node(o, label="Organisation", id=org, name=str(names.get(org, org)))
        g.add_edge(o, k, type="PROCESSES_IN")
    for i, (imp, t) in enumerate(zip(cat.hops["importer_id"].tolist(), cat.hops["type"].tolist())):
        o = views.node_key("Organisation", imp)
        if o not in g:
            g.add_node(o, label="Organisation", id=imp, name=str(names.get(imp, imp)))
        g.add_edge("hop", o, type=t, findings=[findings[n] for n in on_hop[i]])
    if "hop" in g:
        g.nodes["hop"].update(label="Activity", id="", name="")
    return g


# --------------------------------------------------------------------------- sub-networks

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
    ids = sorted(set(activities))
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
            orgs.add(r["dst"])
        for r in run(store, "sub_engages", ids=ids):
            rels["ENGAGES"].append(_rel_record("ENGAGES", "Organisation", r["src"], "Organisation", r["dst"],
                                               r["rel"]))
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
    return RopaGraph.from_records(nodes, rels), controllers


def network(store, activities: Iterable[str], organisations: Iterable[str] = (),
            findings: Iterable[dict] = (), verdicts: dict | None = None) -> nx.MultiDiGraph:
    """:func:`subnetwork` as the explorer's annotated network (:func:`ropa.views.build_network` +
    :func:`ropa.views.annotate`), with ``controller`` true on every organisation that controls an
    activity anywhere in the store."""
    graph, controllers = subnetwork(store, activities, organisations)
    g = views.build_network(graph)
    for key, d in g.nodes(data=True):
        if d["label"] == "Organisation":
            d["controller"] = d["id"] in controllers
    return views.annotate(g, list(findings), verdicts=verdicts)


def findings_about(cat: Catalogue, ev: Evaluation, activities: Iterable[str],
                   organisations: Iterable[str] = ()) -> list[dict]:
    """The findings that :func:`ropa.views.annotate` would lay on a sub-network of these activities
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
        if target and (org_key.get(target) or org_key.get(str(target).casefold())) in names:
            picked.add(n)
    return [ev.findings[n] for n in sorted(picked)]


# --------------------------------------------------------------------------- the graph page's filters

def candidate_activities(store, cat: Catalogue, ev: Evaluation | None, flt: views.GraphFilter) -> list[str]:
    """The activities :func:`ropa.views.filter_network` could keep for ``flt`` (a superset: the page
    applies that function to the sub-network of these), sorted by id. Controllers, activities,
    countries and the minimum severity are judged on the catalogue; data categories and subjects
    by one query each."""
    acts = cat.activities
    keep = pd.Series(True, index=acts.index)
    if flt.controllers:
        ids = {k.split(":", 1)[1] for k in flt.controllers}
        keep &= acts["controller_id"].isin(ids)
    if flt.activities:
        ids = {k.split(":", 1)[1] for k in flt.activities}
        keep &= acts["id"].isin(ids)
    for kind, name in (("categories", "with_category"), ("subjects", "with_subject")):
        chosen = getattr(flt, kind)
        if chosen:
            ids = {r["id"] for r in run(store, name, ids=sorted(k.split(":", 1)[1] for k in chosen))}
            keep &= acts["id"].isin(ids)
    hops = cat.hops
    if flt.countries:
        pl = cat.places[cat.places["country"].isin(set(flt.countries))]
        reach = set(hops[hops["importer_id"].isin(set(pl["org"]))]["activity_id"])
        keep &= acts["id"].isin(reach)
    if flt.min_severity and ev is not None:
        rank = SEVERITY_RANK[flt.min_severity]
        severe = {a for a, s in zip(hops["activity_id"], ev.hop_severity) if SEVERITY_RANK.get(s, -1) >= rank}
        severe |= {a for a, ns in ev.activity_findings.items()
                   if any(SEVERITY_RANK.get(ev.findings[n]["severity"], -1) >= rank for n in ns)}
        keep &= acts["id"].isin(severe)
    return sorted(acts["id"][keep])


def touching(cat: Catalogue, node: str) -> list[str]:
    """The activities whose part of the RoPA contains ``node`` (a node key): the activity itself, those
    an organisation controls or takes part in, those whose recipients are in a country."""
    label, _, id_ = node.partition(":")
    hops, acts = cat.hops, cat.activities
    if label == "Activity":
        return [id_]
    if label == "Organisation":
        found = set(acts["id"][acts["controller_id"] == id_])
        found |= set(hops["activity_id"][(hops["importer_id"] == id_) | (hops["src_id"] == id_)])
        return sorted(found)
    if label == "Country":
        orgs = set(cat.places["org"][cat.places["country"] == id_])
        return sorted(set(hops["activity_id"][hops["importer_id"].isin(orgs)]))
    return []


def search(store, text: str, limit: int = 50) -> list[tuple[str, str]]:
    """(node key, label) of organisations and activities whose name contains ``text``."""
    text = text.strip()
    if not text:
        return []
    out = [(views.node_key("Organisation", r["id"]), f"{r['name']} (Organisation)")
           for r in run(store, "search_organisations", text=text, limit=limit)]
    out += [(views.node_key("Activity", r["id"]), f"{r['name']} ({r['controller']})")
            for r in run(store, "search_activities", text=text, limit=limit)]
    return out


def detail_options(store) -> dict[str, list[tuple[str, str]]]:
    """The data categories and subjects as graph-filter choices (node key, name), sorted by name."""
    out: dict[str, list[tuple[str, str]]] = {"categories": [], "subjects": []}
    label = {"categories": "DataCategory", "subjects": "DataSubject"}
    for r in run(store, "details"):
        out[r["kind"]].append((views.node_key(label[r["kind"]], r["id"]), r["name"]))
    for v in out.values():
        v.sort(key=lambda kv: (str(kv[1]).casefold(), kv[0]))
    return out


# --------------------------------------------------------------------------- pages of tables

def page_of(df: pd.DataFrame, page: int, size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int, int]:
    """Rows of page ``page`` (1-based, clamped), the page and the number of pages.

    >>> part, page, pages = page_of(pd.DataFrame({"n": range(120)}), 3)
    >>> part["n"].tolist()[:2], page, pages
    ([100, 101], 3, 3)
    """
    pages = max(1, -(-len(df) // size))
    page = min(max(1, int(page)), pages)
    return df.iloc[(page - 1) * size: page * size], page, pages


def finding_scope(cat: Catalogue, finding: dict) -> tuple[list[str], list[str]]:
    """(activity ids, organisation ids) whose sub-network holds a finding's route."""
    acts = cat.activities
    hit = acts[(acts["controller"] == (finding.get("controller") or "")) &
               (acts["name"] == (finding.get("activity") or ""))]
    org_key = cat.org_key()
    orgs = []
    for name in [*(finding.get("path") or []), finding.get("importer"), finding.get("subject"), finding.get("exporter")]:
        k = org_key.get(name) or org_key.get(str(name).casefold()) if name else None
        if k:
            orgs.append(k)
    return sorted(hit["id"]), sorted(set(orgs))


def hop_edge(g: nx.MultiDiGraph, transfer: dict | pd.Series) -> tuple[str, str, int] | None:
    """The edge of a transfer-table row in a network holding its activity."""
    src = views.node_key("Activity" if transfer["type"] == "DISCLOSES_TO" else "Organisation", transfer["src_id"])
    dst = views.node_key("Organisation", transfer["importer_id"])
    act = views.node_key("Activity", transfer["activity_id"])
    if src in g and dst in g:
        for k, d in g[src][dst].items() if g.has_edge(src, dst) else ():
            if d["type"] == transfer["type"] and d.get("activity") == act:
                return src, dst, k
    return None
