"""The graph page's choices read from the store and the catalogue: which activities a filter may
keep (:func:`candidate_activities`), which touch a node (:func:`touching`), nodes by name
(:func:`search`), the data categories and subjects to filter by (:func:`detail_options`).
"""
from __future__ import annotations

import pandas as pd

from ..findings import SEVERITY_RANK
from ..narrow import GraphFilter
from ..network import node_key
from .catalogue import Catalogue, Evaluation, fold
from .cypher import run


def candidate_activities(store, cat: Catalogue, ev: Evaluation | None, flt: GraphFilter) -> list[str]:
    """The activities :func:`ropa.narrow.filter_network` could keep for ``flt`` (a superset: the page
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


def search(cat: Catalogue, text: str, limit: int = 50) -> list[tuple[str, str]]:
    """(node key, label) of at most ``limit`` organisations (by name) and ``limit`` activities (by controller, then
    name) whose name, or whose controller's name, contains ``text``, in any case and with or without accents.

    Names are compared as :func:`ropa.browse.catalogue.fold` makes them, in Python, not by Cypher's ``lower()``: the
    two engines' ``lower()`` differ (a final capital sigma, a dotted capital I), so the same search found other nodes
    on the embedded store than on Neo4j (docs/neo4j.md). The text never reaches a query.
    """
    needle = fold(text.strip())
    if not needle:
        return []

    def hits(table: str, column: str) -> pd.Series:
        return cat.folded(table, column).str.contains(needle, regex=False)

    orgs = cat.organisations[hits("organisations", "name")].sort_values(["name", "id"]).head(limit)
    acts = cat.activities[hits("activities", "name") | hits("activities", "controller")]
    acts = acts.sort_values(["controller", "name", "id"]).head(limit)
    return ([(node_key("Organisation", i), f"{n} (Organisation)") for i, n in zip(orgs["id"], orgs["name"])]
            + [(node_key("Activity", i), f"{n} ({c})") for i, n, c in zip(acts["id"], acts["name"], acts["controller"])])


def detail_options(store) -> dict[str, list[tuple[str, str]]]:
    """The data categories and subjects as graph-filter choices (node key, name), sorted by name."""
    out: dict[str, list[tuple[str, str]]] = {"categories": [], "subjects": []}
    label = {"categories": "DataCategory", "subjects": "DataSubject"}
    for r in run(store, "details"):
        out[r["kind"]].append((node_key(label[r["kind"]], r["id"]), r["name"]))
    for v in out.values():
        v.sort(key=lambda kv: (str(kv[1]).casefold(), kv[0]))
    return out
