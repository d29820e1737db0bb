"""The Art. 30 record as the tables a supervisory authority asks for.

One builder for every surface: :func:`build_records` makes the Art. 30(1)
records (:class:`Record`, one per processing activity) from the stored tables
(the report's annex and its XLSX sheet), and :func:`network_records` makes the
same records, in the same words, from a network the explorer drew (the Record
page); :func:`controller_rows` formats them, once, as the Art. 30(1) table.
The third-country transfers of a record are the register's (:mod:`ropa.transfers`):
"country (importer): mechanism" per restricted transfer (:func:`transfer_lines`).

:func:`controller_record` gives the Art. 30(1) record of each controller (one
row per processing activity, one column per point (a)-(g));
:func:`processor_record` the Art. 30(2) record of each processor and
sub-processor, derived from the controllers' records (one row per processor
and controller it acts for). Fields follow shared/reference/gdpr-facts.md
§6 (GDPR Art. 30, confidence C). Both read the network of
:func:`ropa.network.build_network`; :func:`record_sheets` names the sheets for
the XLSX export (:func:`ropa.tables.write_xlsx`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import pandas as pd

from .schema import HOP_TYPES
from .transfers import mechanism_summary
from .special import article_label, condition_label
from .overlay import mechanism_text

NOT_RECORDED = "not recorded"

@dataclass
class Record:
    """One Art. 30(1) record: a processing activity of one controller."""

    controller: str
    activity: str
    purpose: str
    legal_basis: str
    special_condition: str
    data_subjects: list[str]
    data_categories: list[str]
    special_categories: list[str]
    recipients: list[str]
    transfers: list[str]
    retention: str
    security_measures: str
    source: str
    controller_country: str = ""


# The columns of the stored tables that the Art. 30 records (and the controllers) are made of.
RECORD_COLUMNS = {
    "Organisation": ("id", "name"), "DataSubject": ("id", "name"), "DataCategory": ("id", "name", "article"),
    "Activity": ("id", "controller", "name", "purpose", "legal_basis", "special_condition", "retention",
                 "security_measures", "source", "row"),
    "ESTABLISHED_IN": ("src", "dst"), "PROCESSES_IN": ("src", "dst", "inferred"), "CONCERNS": ("src", "dst"),
    "PROCESSES": ("src", "dst"), "DISCLOSES_TO": ("src", "dst", "activity", "role"),
    "ENGAGES": ("src", "dst", "activity", "role"), "CONTROLS": ("src", "dst"),
}


def transfer_line(destination_name: str, importer: str, mechanism: str) -> str:
    """A record's line (e) for one restricted transfer.

    >>> transfer_line("United States", "Mail Blast LLC", "EU-US Privacy Shield (invalidated), dated 2019-02-01")
    'United States (Mail Blast LLC): EU-US Privacy Shield (invalidated), dated 2019-02-01'
    """
    return f"{destination_name} ({importer}): {mechanism}"


def unlocated_line(importer: str, mechanism: str = "") -> str:
    return f"country not recorded ({importer})" + (f": {mechanism}" if mechanism else "")


def transfer_lines(transfers, unlocated=()) -> dict[tuple[str, str], list[str]]:
    """Lines (e) per (controller, activity): the register's transfers, then recipients with no location."""
    moves: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in transfers:
        moves[(t.controller, t.activity)].append(transfer_line(t.destination_name, t.importer, t.mechanism_text))
    for u in unlocated:
        moves[(u.controller, u.activity)].append(unlocated_line(u.importer, u.mechanism))
    return moves


def _col(table: dict[str, list], *names):
    """Columns of a table as parallel iterables (much faster than a dict per row)."""
    return zip(*(table.get(n, ()) for n in names))


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from .reference import load_countries
    c = load_countries()
    return dict(zip(c["code"], c["name"]))


def build_records(tables: dict[str, dict[str, list]], lines: dict[tuple[str, str], list[str]]) -> list[Record]:
    """The Art. 30(1) records, one per activity, from the stored tables (:data:`RECORD_COLUMNS`) and the
    lines (e) of each (controller, activity) (:func:`transfer_lines`), sorted by controller and activity."""
    names = dict(_col(tables["Organisation"], "id", "name"))
    by_name = {n: i for i, n in names.items()}
    countries = _country_names()
    seats, processing = defaultdict(set), defaultdict(set)
    for src, dst in _col(tables["ESTABLISHED_IN"], "src", "dst"):
        seats[src].add(dst)
    for src, dst, inferred in _col(tables["PROCESSES_IN"], "src", "dst", "inferred"):
        if not inferred:
            processing[src].add(dst)

    @lru_cache(maxsize=None)  # organisations recur across the register: once each
    def where(org: str) -> str:
        seat, proc = ", ".join(sorted(seats[org])), ", ".join(sorted(processing[org]))
        if proc and proc != seat:
            return f"{seat}; processing in {proc}" if seat else f"processing in {proc}"
        return seat or "country not recorded"
    subjects = dict(_col(tables["DataSubject"], "id", "name"))
    cats = {c: (name, article) for c, name, article in _col(tables["DataCategory"], "id", "name", "article")}
    by_act: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for src, dst in _col(tables["CONCERNS"], "src", "dst"):
        by_act[src]["subjects"].append(subjects.get(dst, dst))
    for src, dst in _col(tables["PROCESSES"], "src", "dst"):
        name, article = cats.get(dst, (dst, None))
        by_act[src]["categories"].append(name)
        if article:
            by_act[src]["special"].append(f"{name} ({article_label(article)})")
    for rt in ("DISCLOSES_TO", "ENGAGES"):
        for src, dst, activity, role in _col(tables[rt], "src", "dst", "activity", "role"):
            who = names.get(dst, dst)
            via = f", via {names.get(src, src)}" if rt == "ENGAGES" else ""
            by_act[activity]["recipients"].append(f"{who} ({role or 'recipient'}, {where(dst)}{via})")
    out = []
    fields = RECORD_COLUMNS["Activity"]
    for a in (dict(zip(fields, values)) for values in _col(tables["Activity"], *fields)):
        parts = by_act[a["id"]]
        src = a.get("source") or ""
        if src and a.get("row") is not None:
            src = f"{src}, row {a['row']}"
        ctrl = a.get("controller") or ""
        seat = ", ".join(sorted(countries.get(c, c) for c in seats.get(by_name.get(ctrl), ())))
        out.append(Record(
            controller=ctrl, activity=a.get("name") or "", purpose=a.get("purpose") or "",
            legal_basis=a.get("legal_basis") or "", special_condition=a.get("special_condition") or "",
            data_subjects=sorted(set(parts["subjects"]), key=str.casefold),
            data_categories=sorted(set(parts["categories"]), key=str.casefold),
            special_categories=sorted(set(parts["special"])),
            recipients=sorted(set(parts["recipients"]), key=str.casefold),
            transfers=sorted(set(lines.get((ctrl, a.get("name")), []))),
            retention=a.get("retention") or "", security_measures=a.get("security_measures") or "", source=src,
            controller_country=seat))
    return sorted(out, key=lambda r: (r.controller.casefold(), r.activity.casefold()))


def _network_tables(g: nx.MultiDiGraph) -> tuple[dict[str, dict[str, list]], dict[tuple[str, str], list[str]]]:
    """The stored tables :func:`build_records` reads, and the lines (e), from a network the explorer drew
    (:func:`ropa.network.build_network`): a restricted transfer is a hop into an importer that processes data
    outside the EEA, one line per such country, worded as the register words it."""
    from .reference import load_mechanisms
    mech = load_mechanisms().set_index("id")
    tables: dict[str, dict[str, list]] = {k: {c: [] for c in cols} for k, cols in RECORD_COLUMNS.items()}

    def add(table: str, **values):
        for c in RECORD_COLUMNS[table]:
            tables[table][c].append(values.get(c))
    controller_of = {v: g.nodes[u]["name"] for u, v, d in g.edges(data=True) if d["type"] == "CONTROLS"}
    for key, d in g.nodes(data=True):
        label, p = d["label"], d.get("props", {})
        if label == "Organisation":
            add("Organisation", id=d["id"], name=d["name"])
        elif label == "DataSubject":
            add("DataSubject", id=d["id"], name=d["name"])
        elif label == "DataCategory":
            add("DataCategory", id=d["id"], name=d["name"], article=p.get("article"))
        elif label == "Activity":
            add("Activity", id=d["id"], controller=controller_of.get(key, ""), name=d["name"],
                **{c: p.get(c) for c in RECORD_COLUMNS["Activity"] if c not in ("id", "controller", "name")})
            if "subjects" in d and not any(g.nodes[v]["label"] == "DataSubject" for v in g.successors(key)):
                for name in d.get("subjects") or ():  # details left out of the drawing: the activity lists them
                    add("CONCERNS", src=d["id"], dst=name)
    lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    for u, v, d in g.edges(data=True):
        t, p = d["type"], d.get("props", {})
        src, dst = g.nodes[u]["id"], g.nodes[v]["id"]
        if t in ("ESTABLISHED_IN", "CONCERNS", "PROCESSES", "CONTROLS"):
            add(t, src=src, dst=dst)
        elif t == "PROCESSES_IN":
            add(t, src=src, dst=dst, inferred=p.get("inferred"))
        elif t in HOP_TYPES:
            act = d.get("activity")
            act_id = g.nodes[act]["id"] if act in g else p.get("activity")
            add(t, src=src, dst=dst, activity=act_id, role=p.get("role"))
            ctrl, name = controller_of.get(act, ""), g.nodes[act]["name"] if act in g else ""
            m = p.get("mechanism") or "none"
            known = m in mech.index
            text = mechanism_summary(m, str(mech.loc[m, "label"]) if known else m, p.get("mechanism_date"),
                                     bool(mech.loc[m, "requires_tia"]) if known else False, p.get("tia"))
            places = [(e["type"], g.nodes[c]) for _, c, e in g.out_edges(v, data=True)
                      if e["type"] in ("PROCESSES_IN", "ESTABLISHED_IN")]
            abroad = sorted({c["id"]: c for kind, c in places if kind == "PROCESSES_IN" and not c.get("eea")}.items())
            abroad = [c for _, c in abroad]
            if abroad:
                lines[(ctrl, name)] += [transfer_line(c["name"], g.nodes[v]["name"], text) for c in abroad]
            elif not places:
                raw = p.get("mechanism_raw") or (p.get("mechanism") if p.get("mechanism") != "none" else "")
                lines[(ctrl, name)].append(unlocated_line(g.nodes[v]["name"], raw or ""))
    return tables, lines


def network_records(g: nx.MultiDiGraph, controller: str | None = None) -> list[Record]:
    """:func:`build_records` of a network (of the whole RoPA or the part around some activities); only those of
    ``controller`` (a node key) when given."""
    tables, lines = _network_tables(g)
    records = build_records(tables, lines)
    if controller:
        name = g.nodes[controller]["name"] if controller in g else None
        records = [r for r in records if r.controller == name]
    return records


def controller_rows(records: list[Record]) -> pd.DataFrame:
    """The Art. 30(1) table (:data:`CONTROLLER_COLUMNS`): one row per record, in the same words on the Record
    page and in the report."""
    rows = [{
        "(a) controller": r.controller,
        "(a) controller country": r.controller_country or NOT_RECORDED,
        "activity": r.activity,
        "(b) purposes": _text(r.purpose),
        "legal basis": _text(r.legal_basis) + (f"; condition {condition_label(r.special_condition)}"
                                               if r.special_condition else ""),
        "(c) categories of data subjects": "; ".join(r.data_subjects) or NOT_RECORDED,
        "(c) categories of personal data": "; ".join(r.data_categories) or NOT_RECORDED,
        "(c) special categories (Art. 9, 10)": "; ".join(r.special_categories) or "none",
        "(d) categories of recipients": "; ".join(r.recipients) or "none recorded",
        "(e) transfers to third countries (country: safeguard)": "; ".join(r.transfers) or "none",
        "(f) time limits for erasure": _text(r.retention),
        "(g) security measures": _text(r.security_measures),
        "source": r.source,
    } for r in records]
    return pd.DataFrame(rows, columns=CONTROLLER_COLUMNS)


CONTROLLER_COLUMNS = [
    "(a) controller", "(a) controller country", "activity", "(b) purposes", "legal basis",
    "(c) categories of data subjects", "(c) categories of personal data", "(c) special categories (Art. 9, 10)",
    "(d) categories of recipients", "(e) transfers to third countries (country: safeguard)",
    "(f) time limits for erasure", "(g) security measures", "source",
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
    """Art. 30(1): one row per activity of ``controller`` (a node key), or of every controller: the records of
    :func:`network_records`, formatted by :func:`controller_rows` (as the report's annex).

    >>> from ropa.samples import example_graph
    >>> from ropa.network import build_network
    >>> r = controller_record(build_network(example_graph()))
    >>> r.loc[r["activity"] == "Newsletter", "(e) transfers to third countries (country: safeguard)"].item()
    'United States (Mail Blast LLC): EU-US Privacy Shield (invalidated), dated 2019-02-01'
    """
    return controller_rows(network_records(g, controller))


def processor_record(g: nx.MultiDiGraph, processor: str | None = None) -> pd.DataFrame:
    """Art. 30(2): one row per (processor, controller), from the controllers' records.

    The processor's own security measures are not part of a controller's
    register, so (d) is "not recorded" unless a future import brings them.

    >>> from ropa.samples import example_graph
    >>> from ropa.network import build_network
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
