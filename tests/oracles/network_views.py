"""Test oracles for the explorer's network views: a restricted-transfer table, the overview's counts
and the filter choices, each worked out from a whole annotated network (``ropa.network`` +
``ropa.overlay``). The product reads these from the store piece by piece (``ropa.browse``,
``ropa.transfers.register_frame``); the tests compare the two.
"""
from __future__ import annotations

from typing import Iterable

import networkx as nx
import pandas as pd

from ropa.findings import SEVERITY_RANK
from ropa.network import NameIndex, PLACE_RELS, abroad, places
from ropa.overlay import mechanism_text
from ropa.routes import hop_route
from ropa.schema import HOP_TYPES
from ropa.transfers import VERDICT_ORDER, VERDICTS, verdict_label


def filter_options(g: nx.MultiDiGraph) -> dict[str, list[tuple[str, str]]]:
    """For each filter, the ``(value, label)`` choices present in ``g``, sorted by label.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> filter_options(build_network(example_graph()))["countries"][:2]
    [('DE', 'Germany'), ('NL', 'Netherlands')]
    """
    def nodes(label, pred=lambda d: True):
        return sorted(((k, d["name"]) for k, d in g.nodes(data=True) if d["label"] == label and pred(d)),
                      key=lambda kv: (kv[1].casefold(), kv[0]))
    idx = NameIndex(g)
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
        from ropa.reference import load_mechanisms
        mechanisms = load_mechanisms()
    mech = mechanisms.set_index("id")
    idx = NameIndex(g)
    rows = []
    for u, v, k, d in g.edges(keys=True, data=True):
        if d["type"] not in HOP_TYPES or not d.get("transfer"):
            continue
        p = d["props"]
        act = d.get("activity")
        ctrl = idx.controller_of.get(act)
        outside = abroad(g, v)
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
            "destination": ", ".join(g.nodes[c]["id"] for c in outside),
            "destination_names": ", ".join(g.nodes[c]["name"] for c in outside),
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


def overview_counts(g: nx.MultiDiGraph) -> dict[str, int]:
    """Controllers, activities, recipients, destination countries and restricted transfers.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> overview_counts(build_network(example_graph()))
    {'controllers': 1, 'activities': 3, 'recipients': 4, 'countries': 3, 'restricted_transfers': 2}
    """
    recipients = {v for u, v, d in g.edges(data=True) if d["type"] in HOP_TYPES}
    countries = {c for r in recipients for c in places(g, r, ("PROCESSES_IN",))}
    return {
        "controllers": sum(1 for _, d in g.nodes(data=True) if d.get("controller")),
        "activities": sum(1 for _, d in g.nodes(data=True) if d["label"] == "Activity"),
        "recipients": len(recipients),
        "countries": len(countries),
        "restricted_transfers": sum(1 for *_, d in g.edges(data=True) if d["type"] in HOP_TYPES and d.get("transfer")),
    }
