"""Building the graph from a register's columns (:func:`columns_to_graph`), a whole column at a
time; every problem of every row is collected (``_Problems``) before the import is refused.
"""
from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd

from .. import reference
from ..errors import Problem, ValidationError
from ..model import RopaGraph
from ..model import factorize as _codes
from .checks import subprocessor_cycles
from .register_columns import (COLUMNS, NEGATIVE_TOLERATED, OPTIONAL_COLUMNS, RECIPIENT_COLUMNS, ROLE_ALIASES,
                               SECTOR_ALIASES, _factorize, _filled, _key, _norm_header, _object_array, _parse_date,
                               _says_no, _split, _umap)


# -- building the graph, a whole column at a time --------------------------------------
#
# A row's problems are reported in the order a reader meets them along the row, so each
# check has a step number; problems sort by (position of the row in the file, step, place
# in the cell). The engaged_by checks need the whole file and come last.
(S_CONTROLLER, S_ACTIVITY, S_CCOUNTRY, S_CCOUNTRY_SET, S_PURPOSE, S_LEGAL_BASIS, S_SPECIAL, S_RETENTION,
 S_SECURITY, S_JOINT, S_NO_RECIPIENT, S_SELF, S_RCOUNTRY, S_RCOUNTRY_SET, S_PLACES, S_SECTOR, S_SECTOR_SET,
 S_DPF, S_DPF_SET, S_DPF_CHECKED, S_DPF_CHECKED_SET, S_ROLE, S_MECHANISM, S_MECHANISM_DATE, S_TIA, S_DPA,
 S_OCCASIONAL, S_DUPLICATE) = range(28)
UNKNOWN_COUNTRY = "country not recognised; kept as written and reported as unknown_country"
YES_NO = "expected yes/no (ja/nee, oui/non, true/false, 1/0)"
HOP_COMPARED = ("exporter", "role", "mechanism", "mechanism_raw", "mechanism_date", "tia", "dpa", "occasional")


class _Problems:
    """Problems found column by column, put back in the order of a row-by-row reading."""

    def __init__(self, name: str):
        self.name = name
        self.found: list[tuple[int, int, int, Problem]] = []

    def add(self, pos, step, sub, row, col, value, msg, severity="error"):
        self.found.append((int(pos), step, sub, Problem(self.name, int(row), col, value, msg, severity)))

    def each(self, idx, pos, rows, step, col, values, msg, severity="error"):
        for i in idx:
            self.add(pos[i], step, 0, rows[i], col, values[i], msg, severity)

    def ordered(self) -> list[Problem]:
        return [p for *_, p in sorted(self.found, key=lambda f: f[:3])]


def _spaced(name: str) -> str:
    return " ".join(name.split())


def _place(text: str) -> tuple[str | None, bool]:
    """(country code, unresolved): a place as the importer keeps it."""
    text = text.strip()
    if not text:
        return None, False
    code = reference.resolve_country(text)
    return (("?:" + text, True) if code is None else (code, False))


def _yes_no(text) -> tuple[bool | None, bool]:
    try:
        return reference.parse_bool(text), False
    except ValueError:
        return None, True


def _date(text: str) -> tuple[dt.date | None, str | None]:
    if not text:
        return None, None
    try:
        return _parse_date(text), None
    except ValueError as exc:
        return None, str(exc)


def _umap2(values: np.ndarray, func) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_umap` for a function returning a pair: two arrays."""
    if not len(values):
        return _object_array([]), _object_array([])
    codes, uniques = _factorize(values)
    results = [func(u) for u in uniques]
    return _object_array(r[0] for r in results)[codes], _object_array(r[1] for r in results)[codes]


def _group_codes(*arrays: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of the arrays' values, numbered in order of first appearance."""
    codes = np.zeros(len(arrays[0]), dtype=np.int64)
    for a in arrays:
        c, u = _codes(a)
        codes = pd.factorize(codes * max(len(u), 1) + c, use_na_sentinel=False)[0].astype(np.int64)
    return codes


def _firsts(codes: np.ndarray) -> np.ndarray:
    """Index of the first element of every group (groups numbered in order of appearance)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())


def _explode(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-value cells split: (index of the cell, place in the cell, value) per value."""
    if not len(cells):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), _object_array([])
    codes, uniques = _factorize(cells)  # split each distinct cell once; the rows are index arithmetic
    parts = [_split(u) for u in uniques]
    ulengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    uflat = _object_array(itertools.chain.from_iterable(parts))
    ustarts = np.cumsum(ulengths) - ulengths
    lengths = ulengths[codes]
    where = np.repeat(np.arange(len(cells)), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return where, within, uflat[ustarts[codes[where]] + within]


def _with_loops(activity: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Which hops belong to an activity whose sub-processor chains may loop (a mask).

    An organisation that engages no one, or only such organisations, is on no loop:
    its hops are peeled off, round after round, until none is left or only loops and
    what leads into them remain. Activities with nothing left cannot loop and need not
    be walked; the others are kept whole, so the walk sees them as before.
    """
    n = len(activity)
    if not n:
        return np.zeros(0, dtype=bool)
    node = _group_codes(np.concatenate([activity, activity]), np.concatenate([src, dst]))
    s, d = node[:n], node[n:]
    alive = np.ones(n, dtype=bool)
    while True:
        engages = np.zeros(int(node.max()) + 1, dtype=bool)
        engages[s[alive]] = True
        still = alive & engages[d]
        if still.sum() == alive.sum():
            break
        alive = still
    return pd.Series(activity).isin(set(activity[alive])).to_numpy()


def _set_once(found: _Problems, owner, value, pos, rows, step, col, labels: dict, kind: str, sub=None,
              owner_codes: np.ndarray | None = None) -> dict:
    """The first value given for each owner's property wins; a different later one is an error.

    ``owner_codes``: the owners already factorized (integers: renumbering them is cheap).
    """
    given = np.flatnonzero(_umap(value, lambda v: v is not None and v != "").astype(bool))
    step = np.broadcast_to(np.asarray(step), len(owner))
    col = np.broadcast_to(np.asarray(col, dtype=object), len(owner))
    if (step.strides == (0,) or len(given) < 2) and (np.diff(pos[given]) >= 0).all():
        order = given  # one step, rows in file order: already sorted (lexsort is stable)
    else:
        order = given[np.lexsort((step[given], pos[given]))]
    o, v = owner[order], value[order]
    if not len(o):
        codes = np.zeros(0, dtype=np.int64)
    else:
        codes = (_codes(o) if owner_codes is None else pd.factorize(owner_codes[order]))[0]
    first = _firsts(codes)
    first_value = v[first][codes] if len(o) else v
    first_row = rows[order][first][codes] if len(o) else rows[order]
    for j in np.flatnonzero(v != first_value):
        i = order[j]
        old = first_value[j]
        found.add(pos[i], int(step[i]), 0, rows[i], col[i], v[j],
                  f"{kind} {labels[o[j]]!r} already has {col[i]} {old!r} (row {first_row[j]}); one value per {kind}")
    return dict(zip(o[first], v[first]))


def _rows_with_owner(found: _Problems, cols, stripped, rows_all, pos_all):
    """Rows without a controller or an activity are reported and left out: (raw, stripped, row numbers,
    positions) of the rest."""
    n = len(rows_all)
    no_c = stripped["controller"] == ""
    no_a = stripped["activity"] == ""
    found.each(np.flatnonzero(no_c), pos_all, rows_all, S_CONTROLLER, "controller", _filled("", n),
               "every row needs a controller")
    found.each(np.flatnonzero(no_a), pos_all, rows_all, S_ACTIVITY, "activity", _filled("", n),
               "every row needs an activity")
    keep = np.flatnonzero(~(no_c | no_a))
    if len(keep) == n:  # the usual case: no copies of the columns
        return cols, stripped, rows_all, pos_all
    return ({c: v[keep] for c, v in cols.items()}, {c: v[keep] for c, v in stripped.items()},
            rows_all[keep], pos_all[keep])


def _check_rows_without_recipient(found: _Problems, raw, t, rows, pos, missing) -> None:
    """A row without a recipient that fills a recipient column: an error, once per row (a "no" in a
    yes/no column only a warning)."""
    reported = np.zeros(len(missing), dtype=bool)
    for c in RECIPIENT_COLUMNS:
        given = t[c][missing] != ""
        if c in NEGATIVE_TOLERATED:
            # A spreadsheet fills "no" (or "-") down a yes/no column: on a row without a recipient it says
            # nothing about a transfer, so it is ignored with a warning rather than refusing the file.
            idle = given & np.array([_says_no(v) for v in t[c][missing]], dtype=bool)
            for i in missing[idle]:
                found.add(pos[i], S_NO_RECIPIENT, 0, rows[i], c, raw[c][i],
                          "ignored: the row names no recipient, so this recipient-only cell has no effect", "warning")
            given &= ~idle
        hit = ~reported & given
        for i in missing[hit]:
            found.add(pos[i], S_NO_RECIPIENT, 0, rows[i], c, raw[c][i], "recipient details given but the recipient is empty")
        reported |= hit


def _check_repeated_hops(found: _Problems, hop_codes, hop, hpos, hrows, recipient_text, haid, act_label) -> np.ndarray:
    """One hop per (activity, sender, recipient): a repeat with the same details is a warning, with other
    details an error. The first row of each hop, which is kept."""
    hop_first = _firsts(hop_codes)
    first_of = hop_first[hop_codes] if len(hop_codes) else hop_first
    for j in np.flatnonzero(first_of != np.arange(len(hop_codes))):
        f = first_of[j]
        if all(hop[k][f] == hop[k][j] for k in HOP_COMPARED):
            found.add(hpos[j], S_DUPLICATE, 0, hrows[j], "recipient", recipient_text[j],
                      f"duplicate of row {hrows[f]}; ignored", "warning")
        else:
            found.add(hpos[j], S_DUPLICATE, 0, hrows[j], "recipient", recipient_text[j],
                      f"recipient listed twice for activity {act_label[haid[j]]!r} with different details "
                      f"(row {hrows[f]})")
    return hop_first


def columns_to_graph(cols: dict[str, np.ndarray], rownums: np.ndarray, name: str,
                     problems: list[Problem] | None = None, stripped: dict[str, np.ndarray] | None = None) -> RopaGraph:
    """Turn register columns into a graph, collecting every problem before refusing.

    The work is done on whole columns: a country, mechanism, role, yes/no or date is
    read once per distinct text and spread back, multi-value cells are split once and
    exploded, identities come from grouping. The graph, its ids and every problem are
    those a row-by-row reading gives (``tests/register_oracle.py`` is that reading).
    """
    found = _Problems(name)
    n = len(rownums)
    rows_all = np.asarray(rownums, dtype=np.int64)
    pos_all = np.arange(n)
    cols = {c: cols.get(c, _filled("", n)) for c in COLUMNS + OPTIONAL_COLUMNS}
    if stripped is None:
        stripped = {c: _umap(v, str.strip) for c, v in cols.items()}

    raw, t, rows, pos = _rows_with_owner(found, cols, stripped, rows_all, pos_all)
    m = len(rows)

    # -- controllers, their countries, documents, activities
    cid = _umap(t["controller"], _key)
    cname = _umap(t["controller"], _spaced)
    ccode, cunknown = _umap2(t["controller_country"], _place)
    unknown_places = []  # (pos, step, sub, code, text)
    for i in np.flatnonzero(cunknown.astype(bool)):
        found.add(pos[i], S_CCOUNTRY, 0, rows[i], "controller_country", t["controller_country"][i], UNKNOWN_COUNTRY,
                  "warning")
        unknown_places.append((pos[i], S_CCOUNTRY, 0, ccode[i], t["controller_country"][i]))
    doc = _umap(t["source"], lambda s: s or name)
    aid = _object_array(f"{c}::{a}" for c, a in zip(cid, _umap(t["activity"], _key)))

    # -- recipients
    has_recipient = t["recipient"] != ""
    _check_rows_without_recipient(found, raw, t, rows, pos, np.flatnonzero(~has_recipient))
    h0 = np.flatnonzero(has_recipient)
    rid0 = _umap(t["recipient"][h0], _key)
    self_ = rid0 == cid[h0]
    found.each(h0[self_], pos, rows, S_SELF, "recipient", t["recipient"], "the recipient is the controller itself")
    h = h0[~self_]
    rid = rid0[~self_]
    hpos, hrows = pos[h], rows[h]

    # organisations: named as first written, controller before recipient within a row
    ev_id = np.concatenate([cid, rid0])
    ev_name = np.concatenate([cname, _umap(t["recipient"][h0], _spaced)])
    ev_order = np.lexsort((np.concatenate([np.zeros(m, np.int64), np.ones(len(h0), np.int64)]),
                           np.concatenate([pos, pos[h0]])))
    ev_id, ev_name = ev_id[ev_order], ev_name[ev_order]
    org_first = _firsts(_codes(ev_id)[0]) if len(ev_id) else np.zeros(0, np.int64)
    org_ids, org_names = ev_id[org_first], ev_name[org_first]
    org_label = dict(zip(org_ids, org_names))

    rtext = t["recipient_country"][h]
    rcode, runknown = _umap2(rtext, _place)
    for j in np.flatnonzero(runknown.astype(bool)):
        found.add(hpos[j], S_RCOUNTRY, 0, hrows[j], "recipient_country", rtext[j], UNKNOWN_COUNTRY, "warning")
        unknown_places.append((hpos[j], S_RCOUNTRY, 0, rcode[j], rtext[j]))
    org_country = _set_once(
        found, np.concatenate([cid, rid]), np.concatenate([ccode, rcode]), np.concatenate([pos, hpos]), np.concatenate([rows, hrows]),
        np.concatenate([np.full(m, S_CCOUNTRY_SET), np.full(len(h), S_RCOUNTRY_SET)]),
        np.concatenate([np.full(m, "controller_country", dtype=object),
                        np.full(len(h), "recipient_country", dtype=object)]),
        org_label, "organisation")

    pw, psub, ptext = _explode(raw["processing_countries"][h])
    pcode, punknown = _umap2(ptext, _place)
    for k in np.flatnonzero(punknown.astype(bool)):
        j = pw[k]
        place = ptext[k].strip()
        found.add(hpos[j], S_PLACES, int(psub[k]), hrows[j], "processing_countries", place, UNKNOWN_COUNTRY, "warning")
        unknown_places.append((hpos[j], S_PLACES, int(psub[k]), pcode[k], place))

    sector_text = t["recipient_sector"][h]
    sector = _umap(sector_text, lambda s: SECTOR_ALIASES.get(_norm_header(s)) if s else None)
    for j in np.flatnonzero((sector_text != "") & _umap(sector, lambda v: v is None).astype(bool)):
        found.add(hpos[j], S_SECTOR, 0, hrows[j], "recipient_sector", sector_text[j],
                  "expected private, public or non_profit")
    rid_codes = _codes(rid)[0]
    org_sector = _set_once(found, rid, sector, hpos, hrows, S_SECTOR_SET, "recipient_sector", org_label,
                           "organisation", owner_codes=rid_codes)

    def yes_no(col, step, where=h):
        values, bad = _umap2(raw[col][where], _yes_no)
        found.each(np.flatnonzero(bad.astype(bool)), pos[where], rows[where], step, col, raw[col][where], YES_NO)
        return values

    def date(col, step):
        text = t[col][h]
        values, bad = _umap2(text, _date)
        for j in np.flatnonzero(_umap(bad, lambda b: b is not None).astype(bool)):
            found.add(hpos[j], step, 0, hrows[j], col, text[j], bad[j])
        return values

    dpf = yes_no("dpf_certified", S_DPF)
    org_dpf = _set_once(found, rid, dpf, hpos, hrows, S_DPF_SET, "dpf_certified", org_label, "organisation",
                        owner_codes=rid_codes)
    dpf_checked = date("dpf_checked", S_DPF_CHECKED)
    org_dpf_checked = _set_once(found, rid, dpf_checked, hpos, hrows, S_DPF_CHECKED_SET, "dpf_checked", org_label,
                                "organisation", owner_codes=rid_codes)

    role_text = t["recipient_role"][h]
    role = _umap(role_text, lambda s: ROLE_ALIASES.get(_norm_header(s)) if s else None)
    found.each(np.flatnonzero((role_text != "") & _umap(role, lambda v: v is None).astype(bool)), hpos, hrows,
               S_ROLE, "recipient_role", role_text, "expected processor, subprocessor, controller or joint_controller")
    mech_text = t["mechanism"][h]
    mechanism = _umap(mech_text, lambda s: reference.resolve_mechanism(s) if s else None)
    bad_mech = np.flatnonzero((mech_text != "") & _umap(mechanism, lambda v: v is None).astype(bool))
    if len(bad_mech):
        found.each(bad_mech, hpos, hrows, S_MECHANISM, "mechanism", mech_text,
                   "unknown transfer mechanism; use one of " + ", ".join(reference.load_mechanisms()["id"]))
    engaged_text = t["engaged_by"][h]
    engager = _umap(engaged_text, lambda s: _key(s) if s else None)
    engager[engager == cid[h]] = None
    engaged = _umap(engager, lambda e: e is not None).astype(bool)
    role[engaged & _umap(role, lambda v: v is None).astype(bool)] = "subprocessor"
    mechanism_date = date("mechanism_date", S_MECHANISM_DATE)
    tia = yes_no("tia", S_TIA)
    dpa = yes_no("dpa", S_DPA)
    occasional = yes_no("occasional", S_OCCASIONAL)
    joint = yes_no("joint", S_JOINT, where=np.arange(m))

    # engaged_by must name a recipient of the same activity (anywhere in the file)
    haid, recipient_text = aid[h], t["recipient"][h]
    recipients_of = set(zip(haid, rid))
    late = [Problem(name, int(hrows[j]), "engaged_by", engaged_text[j],
                    "names no recipient of this activity; list that organisation as a recipient of the same "
                    "activity first")
            for j in np.flatnonzero(engaged) if (haid[j], engager[j]) not in recipients_of]

    # -- activities and their properties
    aid_codes = _codes(aid)[0]
    act_first = _firsts(aid_codes) if m else np.zeros(0, np.int64)
    act_ids = aid[act_first]
    act_label = dict(zip(act_ids, _umap(t["activity"][act_first], _spaced)))
    act_props = {}
    for col, step in (("purpose", S_PURPOSE), ("legal_basis", S_LEGAL_BASIS), ("special_condition", S_SPECIAL),
                      ("retention", S_RETENTION)):
        act_props[col] = _set_once(found, aid, t[col], pos, rows, step, col, act_label, "activity", owner_codes=aid_codes)
    security = _umap(raw["security_measures"], lambda s: "; ".join(_split(s)))
    act_props["security_measures"] = _set_once(found, aid, security, pos, rows, S_SECURITY, "security_measures",
                                               act_label, "activity", owner_codes=aid_codes)

    # -- hops: one per (activity, sender, recipient); repeats are duplicates or conflicts
    hop = {
        "activity": aid[h], "exporter": _object_array(e if e is not None else c for e, c in zip(engager, cid[h])),
        "role": role, "mechanism": mechanism, "mechanism_raw": _umap(mech_text, lambda s: s or None),
        "mechanism_date": mechanism_date, "tia": tia, "dpa": dpa, "occasional": occasional,
        "evidence": _umap(t["evidence"][h], lambda s: s or None), "source": doc[h], "row": hrows,
        "evidence_at": _umap(t["evidence_at"][h], lambda s: s or None),
    }
    hop_first = _check_repeated_hops(found, _group_codes(engaged, aid[h], engager, rid), hop, hpos, hrows,
                                     recipient_text, haid, act_label)

    all_problems = list(problems or []) + found.ordered() + late
    if any(p.severity == "error" for p in all_problems):
        raise ValidationError(all_problems)

    # -- the graph
    orgs = _organisation_nodes(org_ids, org_names, org_country, org_sector, org_dpf, org_dpf_checked)
    nodes = {"Organisation": orgs,
             "Activity": _activity_nodes(act_ids, act_first, act_label, act_props, cid, org_label, doc, rows),
             "Document": _document_nodes(doc, t),
             "Country": _unresolved_country_nodes(unknown_places)}
    rels = {}
    for label, rel, col in (("DataCategory", "PROCESSES", "data_categories"), ("DataSubject", "CONCERNS", "data_subjects")):
        nodes[label], rels[rel] = _listed_value_nodes(aid, raw[col], label)
    rels["CONTROLS"] = _controls(cid, aid, joint)
    rels["DISCLOSES_TO"], rels["ENGAGES"] = _hop_rels(hop_first, engaged, aid[h], engager, rid, hop)
    rels["EVIDENCED_BY"] = _evidence_rels(aid, doc, rows, pos, hop_first, hop, rid, doc[h], hrows, hpos)
    rels["ESTABLISHED_IN"], rels["PROCESSES_IN"] = _place_rels(orgs, org_ids, rid[pw], pcode)
    engages = rels["ENGAGES"]
    looping = engages[_with_loops(engages["activity"].to_numpy(), engages["src"].to_numpy(), engages["dst"].to_numpy())]
    all_problems += subprocessor_cycles(looping[["src", "dst", "activity", "row"]].to_dict("records"),
                                        dict(zip(org_ids, org_names)), name)
    return RopaGraph(nodes, rels, all_problems)


# The graph's parts, one function each, from the columns columns_to_graph has read and checked.

def _organisation_nodes(org_ids, org_names, org_country, org_sector, org_dpf, org_dpf_checked) -> pd.DataFrame:
    """Organisations (controllers and recipients), named as first written, with what was set once for each."""
    return pd.DataFrame({
        "id": org_ids, "name": org_names,
        "country": _object_array(org_country.get(o) for o in org_ids), "sector": _object_array(org_sector.get(o) for o in org_ids),
        "dpf_certified": _object_array(org_dpf.get(o) for o in org_ids),
        "dpf_checked": _object_array(org_dpf_checked.get(o) for o in org_ids)}, dtype=object)


def _activity_nodes(act_ids, act_first, act_label, act_props, cid, org_label, doc, rows) -> pd.DataFrame:
    """Activities, from the first row naming each, with their controller's name and their properties."""
    return pd.DataFrame({
        "id": act_ids, "name": _object_array(act_label[a] for a in act_ids),
        "controller": _object_array(org_label[c] for c in cid[act_first]),
        **{c: _object_array(act_props[c].get(a) for a in act_ids) for c in ("purpose", "legal_basis", "special_condition",
                                                                      "retention", "security_measures")},
        "source": doc[act_first], "row": rows[act_first]}, dtype=object)


def _document_nodes(doc, t) -> pd.DataFrame:
    """The documents rows come from (the source column, else the file), in order of first use, with the
    title and location (file or URL) the first row that gives them gives."""
    doc_first = _firsts(_codes(doc)[0]) if len(doc) else np.zeros(0, np.int64)
    return pd.DataFrame({"id": doc[doc_first], "name": doc[doc_first],
                         "kind": _umap(doc[doc_first], lambda d: "notice" if d.startswith(("seed:", "notice:"))
                                       else "register"),
                         **{prop: _object_array(_first_given(doc, t[col]).get(d) for d in doc[doc_first])
                            for prop, col in (("title", "source_title"), ("location", "source_location"))}},
                        dtype=object)


def _unresolved_country_nodes(unknown_places) -> pd.DataFrame:
    """A Country node per place that could not be resolved, named as first written (in row order)."""
    unknown_places.sort(key=lambda u: u[:3])
    seen_places: dict[str, str] = {}
    for *_, code, text in unknown_places:
        seen_places.setdefault(code, text)
    return pd.DataFrame({"id": _object_array(seen_places), "name": _object_array(seen_places.values()),
                         "eea": _filled(False, len(seen_places)), "resolved": _filled(False, len(seen_places))},
                        dtype=object)


def _listed_value_nodes(aid, cells, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data categories (or subjects) of a multi-value column, and one relationship per (activity, value)."""
    # Rows of one activity repeat its cell: the first row of each (activity, cell) holds the first
    # appearance of every (activity, value) and of every value, so only those rows are split.
    firsts = _firsts(_group_codes(aid, cells)) if len(aid) else np.zeros(0, np.int64)
    w, _, values = _explode(cells[firsts])
    w = firsts[w]
    ids = _umap(values, _key)
    first = _firsts(_codes(ids)[0]) if len(ids) else np.zeros(0, np.int64)
    node = {"id": ids[first], "name": values[first]}
    if label == "DataCategory":
        special, article = _umap2(values[first], reference.classify_category)
        # typed the way pandas types a list of records: [None, 9] becomes 9.0, as it always was
        node.update(special=special, article=pd.Series(list(article), dtype=None).to_numpy())
    pairs = _firsts(_group_codes(aid[w], ids)) if len(ids) else np.zeros(0, np.int64)
    rel = pd.DataFrame({"src": aid[w][pairs], "dst": ids[pairs], "src_label": "Activity", "dst_label": label},
                       dtype=object)
    return pd.DataFrame(node, dtype=object), rel


def _controls(cid, aid, joint) -> pd.DataFrame:
    """Controller -> activity, ``joint`` as the activity's last row says."""
    controls = _group_codes(cid, aid)
    first = _firsts(controls)
    last = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last, controls, np.arange(len(aid)))
    return pd.DataFrame({"src": cid[first], "dst": aid[first], "src_label": "Organisation",
                         "dst_label": "Activity", "joint": joint[last]}, dtype=object)


def _hop_rels(kept, engaged, hop_activity, engager, rid, hop) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The kept hops: from the activity to a recipient (DISCLOSES_TO), from an engaging recipient to a
    sub-processor (ENGAGES); each with the hop's properties."""
    disclose, engage = kept[~engaged[kept]], kept[engaged[kept]]
    out = []
    for idx, src, src_label in ((disclose, hop_activity, "Activity"), (engage, engager, "Organisation")):
        out.append(pd.DataFrame({"src": src[idx], "dst": rid[idx], "src_label": src_label,
                                 "dst_label": "Organisation", **{k: v[idx] for k, v in hop.items()}}, dtype=object))
    return out[0], out[1]


def _evidence_rels(aid, doc, rows, pos, kept, hop, rid, hop_doc, hrows, hpos) -> pd.DataFrame:
    """Provenance: each activity from the first row naming it; each recipient with the least quote."""
    act_ev = _firsts(_group_codes(aid, doc))
    org_ev = pd.DataFrame({"g": _group_codes(rid[kept], hop_doc[kept]), "quote": hop["evidence"][kept],
                           "row": hrows[kept], "pos": hpos[kept], "src": rid[kept], "dst": hop_doc[kept]})
    quoted = org_ev[org_ev["quote"].notna()].sort_values(["g", "quote", "pos"], kind="stable")
    best = quoted.drop_duplicates("g").set_index("g")
    org_ev = org_ev.drop_duplicates("g").copy()
    has = org_ev["g"].isin(best.index)
    org_ev.loc[has, "quote"] = best.loc[org_ev.loc[has, "g"], "quote"].to_numpy()
    org_ev.loc[has, "row"] = best.loc[org_ev.loc[has, "g"], "row"].to_numpy()
    evidenced = pd.concat([
        pd.DataFrame({"src": aid[act_ev], "dst": doc[act_ev], "src_label": "Activity", "dst_label": "Document",
                      "quote": None, "row": rows[act_ev], "pos": pos[act_ev], "step": 0}),
        pd.DataFrame({"src": org_ev["src"].to_numpy(), "dst": org_ev["dst"].to_numpy(), "src_label": "Organisation",
                      "dst_label": "Document", "quote": org_ev["quote"].to_numpy(), "row": org_ev["row"].to_numpy(),
                      "pos": org_ev["pos"].to_numpy(), "step": 1})], ignore_index=True)
    return evidenced.sort_values(["pos", "step"], kind="stable").drop(columns=["pos", "step"])


def _place_rels(orgs, org_ids, place_owner, place_code) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where organisations are (ESTABLISHED_IN) and where they process data (PROCESSES_IN): the places
    given for them, else their own country (``inferred``)."""
    explicit = pd.DataFrame({"src": place_owner, "dst": place_code}).drop_duplicates()
    order = {o: i for i, o in enumerate(org_ids)}
    explicit["o"] = explicit["src"].map(order)
    explicit = explicit.sort_values(["o", "dst"], kind="stable")
    with_country = orgs[orgs["country"].notna()]
    inferred = with_country[~with_country["id"].isin(set(explicit["src"]))]
    established = pd.DataFrame({"src": with_country["id"].to_numpy(), "dst": with_country["country"].to_numpy(),
                                "src_label": "Organisation", "dst_label": "Country"})
    processes_in = pd.concat([
        pd.DataFrame({"src": explicit["src"].to_numpy(), "dst": explicit["dst"].to_numpy(), "o": explicit["o"].to_numpy(),
                      "inferred": False}),
        pd.DataFrame({"src": inferred["id"].to_numpy(), "dst": inferred["country"].to_numpy(),
                      "o": inferred["id"].map(order).to_numpy(), "inferred": True})], ignore_index=True)
    processes_in = processes_in.sort_values("o", kind="stable").drop(columns="o")
    processes_in["src_label"], processes_in["dst_label"] = "Organisation", "Country"
    return established, processes_in


def _first_given(doc, cells) -> dict:
    """Document id -> the first non-empty cell given for it (only the rows that give one are looked at)."""
    out: dict = {}
    for i in np.flatnonzero(cells != ""):
        out.setdefault(doc[i], cells[i])
    return out
