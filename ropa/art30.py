"""The Art. 30 record as the tables a supervisory authority asks for.

:func:`controller_record` gives the Art. 30(1) record of each controller (one
row per processing activity, one column per point (a)-(g));
:func:`processor_record` the Art. 30(2) record of each processor and
sub-processor, derived from the controllers' records (one row per processor
and controller it acts for). Fields follow shared/reference/gdpr-facts.md
§6 (GDPR Art. 30, confidence C). Both read the network of
:func:`ropa.views.build_network`; :func:`record_sheets` names the sheets for
the XLSX export (:func:`ropa.tables.write_xlsx`).
"""
from __future__ import annotations

import networkx as nx
import pandas as pd

from .schema import HOP_TYPES
from .special import article_label, condition_label
from .views import mechanism_text

NOT_RECORDED = "not recorded"

CONTROLLER_COLUMNS = [
    "(a) controller", "(a) controller country", "activity", "(b) purposes", "legal basis",
    "(c) categories of data subjects", "(c) categories of personal data", "(d) categories of recipients",
    "(e) transfers to third countries (country: safeguard)", "(f) time limits for erasure",
    "(g) security measures", "source",
]
PROCESSOR_COLUMNS = [
    "(a) processor", "(a) processor country", "(a) controller on whose behalf", "role",
    "(b) categories of processing", "(c) transfers to third countries (country: safeguard)",
    "(d) security measures",
]


def _text(v) -> str:
    return NOT_RECORDED if v in (None, "") else str(v)


def _countries(g: nx.MultiDiGraph, org: str, rel: str) -> list[dict]:
    return [g.nodes[v] for _, v, d in g.out_edges(org, data=True) if d["type"] == rel]


def _hop_line(g: nx.MultiDiGraph, d: dict, importer: str) -> list[str]:
    """'Name (Country): safeguard' for each third country the importer processes in."""
    abroad = [c for c in _countries(g, importer, "PROCESSES_IN") if not c.get("eea")]
    p = d["props"]
    mech = mechanism_text(p)
    if p.get("mechanism_date"):
        mech += f" ({p['mechanism_date']})"
    return [f"{g.nodes[importer]['name']} ({c['name']}): {mech}" for c in abroad]


def _flow(g: nx.MultiDiGraph, act: str) -> list[tuple[str, str, dict]]:
    return [(u, v, d) for u, v, d in g.edges(data=True) if d["type"] in HOP_TYPES and d.get("activity") == act]


def controller_record(g: nx.MultiDiGraph, controller: str | None = None) -> pd.DataFrame:
    """Art. 30(1): one row per activity of ``controller`` (a node key), or of every controller.

    >>> from ropa.samples import example_graph
    >>> from ropa.views import build_network
    >>> r = controller_record(build_network(example_graph()))
    >>> r.loc[r["activity"] == "Newsletter", "(e) transfers to third countries (country: safeguard)"].item()
    'Mail Blast LLC (United States): EU-US Privacy Shield (2019-02-01)'
    """
    rows = []
    for ctrl, act, d in sorted(g.edges(data=True), key=lambda e: (g.nodes[e[0]]["name"], g.nodes[e[1]]["name"])):
        if d["type"] != "CONTROLS" or (controller and ctrl != controller):
            continue
        a = g.nodes[act]
        p = a["props"]
        recipients, transfers = [], []
        for u, v, h in _flow(g, act):
            role = h["props"].get("role") or "recipient"
            via = f", engaged by {g.nodes[u]['name']}" if h["type"] == "ENGAGES" else ""
            recipients.append(f"{g.nodes[v]['name']} ({role}{via})")
            transfers += _hop_line(g, h, v)
        cats = []
        for _, c, e in g.out_edges(act, data=True):
            if e["type"] == "PROCESSES":
                special = g.nodes[c]["props"].get("special")
                cats.append(g.nodes[c]["name"] + (f" [{article_label(g.nodes[c]['props'].get('article'))}: {special}]"
                                                  if special else ""))
        seat = _countries(g, ctrl, "ESTABLISHED_IN")
        rows.append({
            "(a) controller": g.nodes[ctrl]["name"],
            "(a) controller country": ", ".join(c["name"] for c in seat) or NOT_RECORDED,
            "activity": a["name"],
            "(b) purposes": _text(p.get("purpose")),
            "legal basis": _text(p.get("legal_basis")) + (f"; condition {condition_label(p['special_condition'])}"
                                                          if p.get("special_condition") else ""),
            "(c) categories of data subjects": "; ".join(a.get("subjects", [])) or NOT_RECORDED,
            "(c) categories of personal data": "; ".join(sorted(cats)) or NOT_RECORDED,
            "(d) categories of recipients": "; ".join(sorted(set(recipients))) or "none recorded",
            "(e) transfers to third countries (country: safeguard)": "; ".join(sorted(set(transfers))) or "none",
            "(f) time limits for erasure": _text(p.get("retention")),
            "(g) security measures": _text(p.get("security_measures")),
            "source": ", ".join(str(x) for x in (p.get("source"), f"row {p['row']}" if p.get("row") else None) if x),
        })
    return pd.DataFrame(rows, columns=CONTROLLER_COLUMNS)


def processor_record(g: nx.MultiDiGraph, processor: str | None = None) -> pd.DataFrame:
    """Art. 30(2): one row per (processor, controller), from the controllers' records.

    The processor's own security measures are not part of a controller's
    register, so (d) is "not recorded" unless a future import brings them.

    >>> from ropa.samples import example_graph
    >>> from ropa.views import build_network
    >>> r = processor_record(build_network(example_graph()))
    >>> r.loc[r["(a) processor"] == "Agenda Cloud GmbH", "(c) transfers to third countries (country: safeguard)"].item()
    'SMS Relay Inc (United States): Standard Contractual Clauses (2021) (2023-04-01)'
    """
    controller_of = {v: u for u, v, d in g.edges(data=True) if d["type"] == "CONTROLS"}
    acc: dict[tuple[str, str], dict] = {}
    for u, v, d in g.edges(data=True):
        if d["type"] not in HOP_TYPES or (processor and v != processor):
            continue
        role = d["props"].get("role") or ""
        if role not in ("processor", "subprocessor"):
            continue
        act = d.get("activity")
        ctrl = controller_of.get(act)
        if not ctrl:
            continue
        row = acc.setdefault((v, ctrl), {"roles": set(), "acts": set(), "transfers": set()})
        row["roles"].add(role)
        row["acts"].add(g.nodes[act]["name"])
        # (c): the processor's own transfers: where it processes outside the EEA for this activity,
        # and the onward hops it makes for it.
        for _, w, h in g.out_edges(v, data=True):
            if h["type"] in HOP_TYPES and h.get("activity") == act:
                row["transfers"].update(_hop_line(g, h, w))
    rows = []
    for (proc, ctrl), r in sorted(acc.items(), key=lambda kv: (g.nodes[kv[0][0]]["name"], g.nodes[kv[0][1]]["name"])):
        seat = _countries(g, proc, "ESTABLISHED_IN")
        abroad = [c["name"] for c in _countries(g, proc, "PROCESSES_IN") if not c.get("eea")]
        transfers = sorted(r["transfers"]) + ([f"processes in {', '.join(abroad)}"] if abroad else [])
        rows.append({
            "(a) processor": g.nodes[proc]["name"],
            "(a) processor country": ", ".join(c["name"] for c in seat) or NOT_RECORDED,
            "(a) controller on whose behalf": g.nodes[ctrl]["name"],
            "role": ", ".join(sorted(r["roles"])),
            "(b) categories of processing": "; ".join(sorted(r["acts"])),
            "(c) transfers to third countries (country: safeguard)": "; ".join(transfers) or "none",
            "(d) security measures": NOT_RECORDED,
        })
    return pd.DataFrame(rows, columns=PROCESSOR_COLUMNS)


def record_sheets(g: nx.MultiDiGraph) -> dict[str, pd.DataFrame]:
    """The whole record as named sheets: Art. 30(1) and Art. 30(2)."""
    return {"Art. 30(1) controllers": controller_record(g), "Art. 30(2) processors": processor_record(g)}
