"""Edits of a RoPA in place: a pure function of a RopaGraph and the values a user typed.

Values are checked by the register importer's own checks (:func:`ropa.formats.register.rows_to_graph`):
the typed values are put in a register row and read like a file's row, so a mechanism, a date or a
yes/no is accepted or refused exactly as in an import, with the same message; the problem names the
page, the field and the value instead of the file, the row and the column. The edited graph is then
written by :func:`ropa.revisions.commit` (the store's one write path, all or nothing, as a revision).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .errors import InputError, Problem, ValidationError
from .model import RopaGraph
from .schema import HOP_TYPES

HOP_FIELDS = ("mechanism", "mechanism_date", "tia", "dpa")


@dataclass(frozen=True)
class HopKey:
    """One recipient hop: DISCLOSES_TO (activity -> recipient) or ENGAGES (engager -> sub-processor)."""
    rel_type: str
    src: str
    dst: str
    activity: str

    def as_text(self) -> str:
        return "|".join((self.rel_type, self.src, self.dst, self.activity))

    @classmethod
    def from_text(cls, text: str) -> "HopKey":
        rel_type, src, dst, activity = text.split("|", 3)
        return cls(rel_type, src, dst, activity)


def hops(graph: RopaGraph) -> list[tuple[HopKey, str, dict]]:
    """Every hop with a label people read ("Controller › activity: exporter → recipient (country)") and
    its properties, in label order."""
    orgs = graph.nodes["Organisation"].set_index("id").to_dict("index") if len(graph.nodes["Organisation"]) else {}
    acts = graph.nodes["Activity"].set_index("id").to_dict("index") if len(graph.nodes["Activity"]) else {}

    def name(oid):
        return (orgs.get(oid) or {}).get("name") or oid

    out = []
    for rt in HOP_TYPES:
        for rec in graph.rels[rt].to_dict("records"):
            key = HopKey(rt, rec["src"], rec["dst"], rec["activity"])
            act = acts.get(rec["activity"]) or {}
            exporter = name(act.get("controller")) if rt == "DISCLOSES_TO" else name(rec["src"])
            country = (orgs.get(rec["dst"]) or {}).get("country") or "?"
            label = (f"{name(act.get('controller'))} › {act.get('name') or rec['activity']}: "
                     f"{exporter} → {name(rec['dst'])} ({country})")
            out.append((key, label, rec))
    return sorted(out, key=lambda x: x[1])


def _locate(graph: RopaGraph, key: HopKey, page: str) -> int:
    if key.rel_type not in HOP_TYPES:
        raise InputError(Problem(page, None, "recipient", key.rel_type, "not a recipient hop", axis="field"))
    df = graph.rels[key.rel_type]
    hit = df.index[(df["src"] == key.src) & (df["dst"] == key.dst) & (df["activity"] == key.activity)]
    if not len(hit):
        raise InputError(Problem(page, None, "recipient", f"{key.src} → {key.dst}",
                                 "no such recipient of this activity any more; reload", axis="field"))
    return int(hit[0])


def _yes_no_text(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def check_hop_values(values: dict, page: str) -> dict:
    """The hop properties the register importer makes of ``values`` (mechanism text, mechanism_date
    text or date, tia / dpa yes/no): canonical mechanism id, its wording, the date, the flags. A value
    the importer would refuse raises :class:`ValidationError` naming ``page``, the field and the value."""
    import datetime as dt

    from .formats.register import rows_to_graph
    date = values.get("mechanism_date")
    row = {"controller": "Edit", "activity": "Edit", "recipient": "Recipient",
           "mechanism": (values.get("mechanism") or "").strip(),
           "mechanism_date": date.isoformat() if isinstance(date, dt.date) else (date or "").strip(),
           "tia": _yes_no_text(values.get("tia")), "dpa": _yes_no_text(values.get("dpa"))}
    try:
        g = rows_to_graph([(2, row)], page)
    except ValidationError as exc:
        raise ValidationError([Problem(page, None, p.column, p.value, p.message, p.severity, "field")
                               for p in exc.problems]) from None
    hop = g.rels["DISCLOSES_TO"].iloc[0].to_dict()
    return {k: (None if k != "mechanism_raw" and pd.isna(hop[k]) else hop[k])
            for k in ("mechanism", "mechanism_raw", "mechanism_date", "tia", "dpa")}


def set_hop(graph: RopaGraph, key: HopKey, values: dict, page: str = "Transfers page") -> RopaGraph:
    """A copy of ``graph`` where the hop ``key`` has the mechanism, date, TIA and DPA of ``values``
    (checked as an import checks them). The hop's other properties (role, evidence, source) stay."""
    checked = check_hop_values(values, page)
    i = _locate(graph, key, page)
    rels = dict(graph.rels)
    df = rels[key.rel_type].copy()
    for col, v in checked.items():
        df.at[i, col] = v if not (isinstance(v, float) and pd.isna(v)) else None
    rels[key.rel_type] = df
    return RopaGraph(dict(graph.nodes), rels, [])


def remove_hop(graph: RopaGraph, key: HopKey, page: str = "Record page") -> RopaGraph:
    """A copy of ``graph`` without the hop ``key`` (and without the sub-processor hops of the same
    activity that the removed recipient engaged, which would reach nobody)."""
    i = _locate(graph, key, page)
    rels = dict(graph.rels)
    rels[key.rel_type] = rels[key.rel_type].drop(index=i).reset_index(drop=True)
    gone = {key.dst}
    while True:
        eng = rels["ENGAGES"]
        still = set(graph.rels["DISCLOSES_TO"].loc[graph.rels["DISCLOSES_TO"]["activity"] == key.activity, "dst"])
        still -= {key.dst} if key.rel_type == "DISCLOSES_TO" else set()
        still |= set(eng.loc[eng["activity"] == key.activity, "dst"]) - gone
        orphan = (eng["activity"] == key.activity) & eng["src"].isin(gone) & ~eng["src"].isin(still)
        if not orphan.any():
            break
        gone |= set(eng.loc[orphan, "dst"])
        rels["ENGAGES"] = eng[~orphan].reset_index(drop=True)
    return RopaGraph(dict(graph.nodes), rels, [])
