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


RECIPIENT_FIELDS = ("recipient", "recipient_role", "engaged_by", "recipient_country", "processing_countries",
                    "mechanism", "mechanism_date", "tia", "dpa")


def add_hop(graph: RopaGraph, activity_id: str, values: dict, page: str = "Record page") -> RopaGraph:
    """A copy of ``graph`` with a new recipient of an activity (``engaged_by``: the recipient of the same
    activity that engages it as a sub-processor). The values are read as a register row of that activity
    (the importer's checks and ids); a recipient organisation already known keeps what is recorded of it."""
    import datetime as dt

    from .formats.register import rows_to_graph
    acts = graph.nodes["Activity"]
    hit = acts[acts["id"] == activity_id]
    if not len(hit):
        raise InputError(Problem(page, None, "activity", activity_id, "no such activity any more; reload",
                                 axis="field"))
    act = hit.iloc[0].to_dict()
    orgs = graph.nodes["Organisation"].set_index("id").to_dict("index") if len(graph.nodes["Organisation"]) else {}
    ctl = orgs.get(act["controller"], {})
    base = {"controller": ctl.get("name") or act["controller"], "activity": act["name"]}

    def text(v):
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, dt.date):
            return v.isoformat()
        return "" if v is None else str(v).strip()
    row = {**base, **{f: text(values.get(f)) for f in RECIPIENT_FIELDS}}
    if not row["recipient"]:
        raise InputError(Problem(page, None, "recipient", "", "name the recipient", axis="field"))
    rows = [(2, row)]
    if row["engaged_by"]:
        rows.insert(0, (2, {**base, "recipient": row["engaged_by"]}))  # the engager, as the register needs it
    try:
        new = rows_to_graph(rows, page)
    except ValidationError as exc:
        raise ValidationError([Problem(page, None, p.column, p.value, p.message, p.severity, "field")
                               for p in exc.problems]) from None
    if activity_id not in set(new.nodes["Activity"]["id"]):
        raise InputError(Problem(page, None, "activity", act["name"], "the activity's controller or name cannot be "
                                 "read back as the importer names it; edit it by a register import", axis="field"))
    rid = next(r["dst"] for rt in HOP_TYPES for r in new.rels[rt].to_dict("records") if r["dst"] not in
               ({new.rels["DISCLOSES_TO"]["dst"].iloc[0]} if row["engaged_by"] and rt == "DISCLOSES_TO" else set()))
    if row["engaged_by"]:
        eng = new.rels["ENGAGES"]
        hop_rt, hop = "ENGAGES", eng[eng["dst"] == rid]
        known = graph.rels["DISCLOSES_TO"]
        known_eng = graph.rels["ENGAGES"]
        src = hop["src"].iloc[0]
        if not (((known["activity"] == activity_id) & (known["dst"] == src)).any()
                or ((known_eng["activity"] == activity_id) & (known_eng["dst"] == src)).any()):
            raise InputError(Problem(page, None, "engaged_by", row["engaged_by"],
                                     "names no recipient of this activity", axis="field"))
    else:
        dis = new.rels["DISCLOSES_TO"]
        hop_rt, hop = "DISCLOSES_TO", dis[dis["dst"] == rid]
    old = graph.rels[hop_rt]
    if ((old["src"] == hop["src"].iloc[0]) & (old["dst"] == rid) & (old["activity"] == activity_id)).any():
        raise InputError(Problem(page, None, "recipient", row["recipient"],
                                 "is a recipient of this activity already; change it instead", axis="field"))
    keep_nodes = {label: df.iloc[0:0] for label, df in new.nodes.items()}
    keep_rels = {rt: df.iloc[0:0] for rt, df in new.rels.items()}
    keep_rels[hop_rt] = hop
    if rid not in orgs:  # a new organisation: its node, where it is established and processes
        keep_nodes["Organisation"] = new.nodes["Organisation"][new.nodes["Organisation"]["id"] == rid]
        for rt in ("ESTABLISHED_IN", "PROCESSES_IN"):
            keep_rels[rt] = new.rels[rt][new.rels[rt]["src"] == rid]
        places = set(keep_rels["ESTABLISHED_IN"]["dst"]) | set(keep_rels["PROCESSES_IN"]["dst"])
        countries = new.nodes["Country"]
        keep_nodes["Country"] = countries[countries["id"].isin(places)]
    return graph.merge(RopaGraph(keep_nodes, keep_rels, []))


# -- activities, their data categories and data subjects ---------------------------------------------
ACTIVITY_FIELDS = ("purpose", "legal_basis", "special_condition", "retention", "security_measures",
                   "data_subjects", "data_categories")


def _activity(graph: RopaGraph, activity_id: str, page: str) -> dict:
    acts = graph.nodes["Activity"]
    hit = acts[acts["id"] == activity_id]
    if not len(hit):
        raise InputError(Problem(page, None, "activity", activity_id, "no such activity any more; reload",
                                 axis="field"))
    return hit.iloc[0].to_dict()


def _names(graph: RopaGraph, rel_type: str, label: str, activity_id: str) -> list[str]:
    rels = graph.rels[rel_type]
    ids = list(rels.loc[rels["src"] == activity_id, "dst"])
    names = graph.nodes[label].set_index("id")["name"].to_dict() if len(graph.nodes[label]) else {}
    return [names.get(i) or i for i in ids]


def activity_values(graph: RopaGraph, activity_id: str) -> dict:
    """What an activity's edit form starts from: its Art. 30 fields, its data subjects and data categories
    (names, "; " between them, as a register cell holds them)."""
    act = _activity(graph, activity_id, "Record page")
    out = {f: "" if act.get(f) is None or (isinstance(act.get(f), float) and pd.isna(act.get(f))) else str(act[f])
           for f in ACTIVITY_FIELDS[:5]}
    out["data_subjects"] = "; ".join(_names(graph, "CONCERNS", "DataSubject", activity_id))
    out["data_categories"] = "; ".join(_names(graph, "PROCESSES", "DataCategory", activity_id))
    return out


def _controller(graph: RopaGraph, org_id: str) -> dict:
    orgs = graph.nodes["Organisation"]
    hit = orgs[orgs["id"] == org_id]
    return hit.iloc[0].to_dict() if len(hit) else {"id": org_id, "name": org_id, "country": None}


def _read_activity_row(graph: RopaGraph, controller_id: str, name: str, values: dict, page: str) -> RopaGraph:
    """The register importer's reading of one row (controller, activity, its Art. 30 fields; no recipient)."""
    from .formats.register import rows_to_graph
    ctl = _controller(graph, controller_id)
    row = {"controller": ctl.get("name") or controller_id, "controller_country": ctl.get("country") or "",
           "activity": (name or "").strip(),
           **{f: " ".join(str(values.get(f) or "").split()) for f in ACTIVITY_FIELDS}}
    if not row["activity"]:
        raise InputError(Problem(page, None, "activity", "", "name the activity", axis="field"))
    try:
        return rows_to_graph([(2, row)], page)
    except ValidationError as exc:
        raise ValidationError([Problem(page, None, p.column, p.value, p.message, p.severity, "field")
                               for p in exc.problems]) from None


def _drop_orphans(nodes: dict, rels: dict) -> None:
    """Data categories and subjects no activity refers to any more go (an import would not have them)."""
    for label, rt in (("DataCategory", "PROCESSES"), ("DataSubject", "CONCERNS")):
        used = set(rels[rt]["dst"])
        nodes[label] = nodes[label][nodes[label]["id"].isin(used)].reset_index(drop=True)


def _with_links(graph: RopaGraph, activity_id: str, new: RopaGraph, new_id: str) -> tuple[dict, dict]:
    """``graph``'s tables with the activity's PROCESSES and CONCERNS those of ``new`` (read for ``new_id``),
    and the categories and subjects ``new`` names that ``graph`` lacks."""
    nodes, rels = dict(graph.nodes), dict(graph.rels)
    for rt, label in (("PROCESSES", "DataCategory"), ("CONCERNS", "DataSubject")):
        mine = new.rels[rt][new.rels[rt]["src"] == new_id].copy()
        mine["src"] = activity_id
        kept = rels[rt][rels[rt]["src"] != activity_id]
        rels[rt] = pd.concat([kept, mine], ignore_index=True) if len(mine) else kept.reset_index(drop=True)
        fresh = new.nodes[label][~new.nodes[label]["id"].isin(set(nodes[label]["id"]))]
        if len(fresh):
            nodes[label] = pd.concat([nodes[label], fresh], ignore_index=True)
    _drop_orphans(nodes, rels)
    return nodes, rels


def set_activity(graph: RopaGraph, activity_id: str, values: dict, page: str = "Record page") -> RopaGraph:
    """A copy of ``graph`` where the activity has the purpose, legal basis, special-category condition,
    retention, security measures, data subjects and data categories of ``values`` (each checked and
    normalised as the register importer does it; categories and subjects as a register cell: "; " between
    them). Its name, controller, recipients and evidence stay."""
    act = _activity(graph, activity_id, page)
    ctl = graph.rels["CONTROLS"]
    controller_ids = list(ctl.loc[ctl["dst"] == activity_id, "src"]) or [act["controller"]]
    new = _read_activity_row(graph, controller_ids[0], act["name"], values, page)
    read = new.nodes["Activity"].iloc[0].to_dict()
    nodes, rels = _with_links(graph, activity_id, new, read["id"])
    df = nodes["Activity"].copy()
    i = int(df.index[df["id"] == activity_id][0])
    for f in ACTIVITY_FIELDS[:5]:
        v = read.get(f)
        df.at[i, f] = None if v is None or (isinstance(v, float) and pd.isna(v)) else v
    nodes["Activity"] = df
    return RopaGraph(nodes, rels, [])


def add_activity(graph: RopaGraph, controller_id: str, name: str, values: dict,
                 page: str = "Record page") -> RopaGraph:
    """A copy of ``graph`` with a new processing activity of a recorded controller (no recipient yet: add
    them with :func:`add_hop`). Read as a register row of that controller, so its id is the one an import
    of the same row gives; refused when the controller has an activity of that name already."""
    orgs = graph.nodes["Organisation"]
    if not (orgs["id"] == controller_id).any():
        raise InputError(Problem(page, None, "controller", controller_id, "no such organisation any more; reload",
                                 axis="field"))
    new = _read_activity_row(graph, controller_id, name, values, page)
    read = new.nodes["Activity"].iloc[0].to_dict()
    if (graph.nodes["Activity"]["id"] == read["id"]).any():
        raise InputError(Problem(page, None, "activity", name.strip(), "the controller has an activity of that "
                                 "name already; change it instead", axis="field"))
    if new.rels["CONTROLS"]["src"].iloc[0] != controller_id:
        raise InputError(Problem(page, None, "controller", controller_id, "the controller's name cannot be read "
                                 "back as the importer names it; add the activity by a register import",
                                 axis="field"))
    keep_nodes = {label: df.iloc[0:0] for label, df in new.nodes.items()}
    keep_rels = {rt: df.iloc[0:0] for rt, df in new.rels.items()}
    keep_nodes["Activity"] = new.nodes["Activity"].assign(source=None, row=None)
    keep_rels["CONTROLS"] = new.rels["CONTROLS"]
    merged = graph.merge(RopaGraph(keep_nodes, keep_rels, []))
    nodes, rels = _with_links(merged, read["id"], new, read["id"])
    return RopaGraph(nodes, rels, [])


def remove_activity(graph: RopaGraph, activity_id: str, page: str = "Record page") -> RopaGraph:
    """A copy of ``graph`` without the activity: its controller link, data categories and subjects, its
    recipients and sub-processor hops, its evidence; categories, subjects and recipients that nothing else
    refers to go with it (as a register import without its rows would have it)."""
    _activity(graph, activity_id, page)
    nodes, rels = dict(graph.nodes), dict(graph.rels)
    nodes["Activity"] = nodes["Activity"][nodes["Activity"]["id"] != activity_id].reset_index(drop=True)
    for rt, df in rels.items():
        drop = (df["src"] == activity_id) | (df["dst"] == activity_id)
        if rt in HOP_TYPES:
            drop |= df["activity"] == activity_id
        rels[rt] = df[~drop].reset_index(drop=True)
    _drop_orphans(nodes, rels)
    used = set(rels["CONTROLS"]["src"]) | {o for rt in HOP_TYPES for c in ("src", "dst") for o in rels[rt][c]}
    orgs = nodes["Organisation"]
    gone = set(orgs["id"]) - used
    if gone:
        nodes["Organisation"] = orgs[~orgs["id"].isin(gone)].reset_index(drop=True)
        for rt, df in rels.items():
            rels[rt] = df[~(df["src"].isin(gone) & (df["src_label"] == "Organisation"))].reset_index(drop=True)
    docs = nodes["Document"]
    cited = set(rels["EVIDENCED_BY"]["dst"]) | set(nodes["Activity"]["source"].dropna())
    for rt in HOP_TYPES:
        cited |= set(rels[rt]["source"].dropna())
    nodes["Document"] = docs[docs["id"].isin(cited)].reset_index(drop=True)
    return RopaGraph(nodes, rels, [])
