"""Writing a graph as register rows (:func:`graph_to_rows`) and as a CSV or XLSX file
(:func:`write_register`), with cells a spreadsheet would run as a formula neutralised.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict

import pandas as pd

from ..model import RopaGraph
from .text import neutralise
from .register_columns import (COLUMNS, OPTIONAL_COLUMNS)


def _text(v) -> str:
    """A stored text as a cell: "" for a missing one (None or NaN)."""
    return "" if v is None or v != v else str(v)


# -- writing -------------------------------------------------------------------

def graph_to_rows(graph: RopaGraph) -> list[dict]:
    """The register rows of a graph: one per hop, one per activity without hops."""
    orgs = graph.nodes["Organisation"].set_index("id").to_dict("index")
    countries = graph.nodes["Country"].set_index("id")["name"].to_dict() if len(graph.nodes["Country"]) else {}

    def place(code):
        if code is None:
            return ""
        return countries.get(code, code[2:]) if str(code).startswith("?:") else code

    by_act = defaultdict(list)
    for rt in ("DISCLOSES_TO", "ENGAGES"):
        for h in graph.rels[rt].to_dict("records"):
            by_act[h["activity"]].append((rt, h))
    controller_of = {r["dst"]: r for r in graph.rels["CONTROLS"].to_dict("records")}
    cats = defaultdict(list)
    cat_names = graph.nodes["DataCategory"].set_index("id")["name"].to_dict() if len(graph.nodes["DataCategory"]) else {}
    for r in graph.rels["PROCESSES"].to_dict("records"):
        cats[r["src"]].append(cat_names.get(r["dst"], r["dst"]))
    subs = defaultdict(list)
    sub_names = graph.nodes["DataSubject"].set_index("id")["name"].to_dict() if len(graph.nodes["DataSubject"]) else {}
    for r in graph.rels["CONCERNS"].to_dict("records"):
        subs[r["src"]].append(sub_names.get(r["dst"], r["dst"]))
    docs = graph.nodes["Document"].set_index("id").to_dict("index") if len(graph.nodes["Document"]) else {}

    def provenance(source) -> dict:
        d = docs.get(source) or {}
        return {"source_title": _text(d.get("title")), "source_location": _text(d.get("location"))}
    explicit = defaultdict(list)
    for r in graph.rels["PROCESSES_IN"].to_dict("records"):
        if not r.get("inferred"):
            explicit[r["src"]].append(r["dst"])

    def yn(v):
        return "" if v is None else ("yes" if v else "no")

    rows = []
    for act in graph.nodes["Activity"].sort_values(["id"]).to_dict("records"):
        ctl = controller_of.get(act["id"])
        corg = orgs.get(ctl["src"], {}) if ctl else {}
        base = {
            "controller": corg.get("name") or act.get("controller") or "",
            "controller_country": place(corg.get("country")),
            "activity": act["name"], "purpose": act.get("purpose") or "",
            "legal_basis": act.get("legal_basis") or "", "special_condition": act.get("special_condition") or "",
            "data_subjects": "; ".join(sorted(subs[act["id"]])),
            "data_categories": "; ".join(sorted(cats[act["id"]])),
            "retention": act.get("retention") or "", "security_measures": act.get("security_measures") or "",
            "joint": yn(ctl.get("joint")) if ctl else "",
        }
        hops = sorted(by_act.get(act["id"], []), key=lambda x: (x[0] != "DISCLOSES_TO", x[1].get("row") or 0))
        if not hops:
            rows.append({**{c: "" for c in COLUMNS + OPTIONAL_COLUMNS}, **base,
                         "source": act.get("source") or "", **provenance(act.get("source"))})
            continue
        for rt, h in hops:
            org = orgs.get(h["dst"], {})
            date = h.get("mechanism_date")
            dpf_checked = org.get("dpf_checked")
            rows.append({
                **base,
                "recipient": org.get("name", h["dst"]), "recipient_role": h.get("role") or "",
                "engaged_by": orgs.get(h["src"], {}).get("name", "") if rt == "ENGAGES" else "",
                "recipient_country": place(org.get("country")),
                "processing_countries": "; ".join(place(c) for c in sorted(explicit[h["dst"]])),
                "mechanism": h.get("mechanism_raw") or h.get("mechanism") or "", "mechanism_date": date.isoformat() if date else "",
                "tia": yn(h.get("tia")), "dpa": yn(h.get("dpa")), "dpf_certified": yn(org.get("dpf_certified")),
                "evidence": h.get("evidence") or "", "source": h.get("source") or act.get("source") or "",
                "recipient_sector": org.get("sector") or "", "occasional": yn(h.get("occasional")),
                "dpf_checked": dpf_checked.isoformat() if dpf_checked else "",
                "evidence_at": _text(h.get("evidence_at")), **provenance(h.get("source") or act.get("source")),
            })
    return rows


def write_register(graph: RopaGraph, fp, fmt: str = "csv") -> None:
    """Write the graph as a register CSV (UTF-8 with BOM, for Excel) or XLSX.

    Cells that a spreadsheet would run as a formula are neutralised.
    """
    rows = graph_to_rows(graph)
    cols = COLUMNS + OPTIONAL_COLUMNS
    if fmt == "xlsx":  # write_xlsx neutralises every cell itself (once: neutralising twice adds a quote)
        from ..tables import write_xlsx
        write_xlsx({"Register": pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols)}, fp)
        return
    safe = [{c: neutralise(r.get(c, "")) for c in cols} for r in rows]
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    w.writerows(safe)
    fp.write(("\ufeff" + text.getvalue()).encode("utf-8"))
