"""The register importer as it was before it became columnar: a row-by-row oracle for tests only.

``tests/test_register_oracle.py`` checks that :func:`ropa.formats.register.read_register`
gives exactly the graph and the problems this builder gives, on every register we have and on
generated ones. Copied unchanged from ropa/formats/register.py and ropa/formats/text.py
(commit 9907220), with the hardening since (long cells, zip bombs, sub-processor loops, the
reader of ropa.formats.text); do not use it outside the tests.
"""
from __future__ import annotations

import io
from collections import defaultdict
from typing import BinaryIO


from ropa import reference
from ropa.errors import FormatError, Problem, ValidationError
from ropa.formats.register import (RECIPIENT_COLUMNS, ROLE_ALIASES, SECTOR_ALIASES, _key, _norm_header,
                                   REQUIRED_COLUMNS, _parse_date, _split, map_header, sheet_notes)
from ropa.formats.sheets import read_sheet
from ropa.formats.checks import subprocessor_cycles
from ropa.formats.text import check_cells, read_table, unneutralise
from ropa.model import RopaGraph


def oracle_read_register(data: bytes, name: str = "register.csv") -> RopaGraph:
    """The old ``read_register``: the old row reader, then the old row builder."""
    rows, problems = read_register_rows(io.BytesIO(data), name)
    return rows_to_graph(rows, name, problems)


def read_register_rows(fp: BinaryIO, name: str = "register.csv") -> tuple[list[tuple[int, dict]], list[Problem]]:
    """The rows of a register CSV or XLSX as (row number, {canonical column: text}).

    Raises FormatError when the file cannot be read or lacks required columns.
    """
    data = fp.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    notes: list[Problem] = []
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        header, body, notes = _read_xlsx(data, name)
    else:
        header, body = read_table(data, name, notes)
    mapping, problems = map_header(header, name)
    problems = notes + problems
    if any(p.severity == "error" for p in problems):
        raise FormatError(problems)
    rows = []
    width = len(header)
    for rownum, cells in body:
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            problems.append(Problem(name, rownum, None, extra[0],
                                    f"row has {len(cells)} cells but the header has {width}"))
        rec = {col: unneutralise(cells[i].strip()) if i < len(cells) else "" for i, col in mapping.items()}
        rows.append((rownum, rec))
    if not rows:
        problems.append(Problem(name, None, None, None, "the file has a header but no data rows", "warning"))
    return rows, problems




def rows_to_graph(rows: list[tuple[int, dict]], name: str, problems: list[Problem] | None = None) -> RopaGraph:
    """Turn register rows into a graph, collecting every problem before refusing."""
    b = _Builder(name, list(problems or []))
    for rownum, rec in rows:
        b.add_row(rownum, rec)
    return b.finish()


def _says_no(cell: str) -> bool:
    word = cell.strip().lower()
    if word in ("-", "--", "n/a", "na", "n.a.", "none", "nvt", "n.v.t.", "—", "–"):
        return True
    try:
        return reference.parse_bool(word) is False
    except ValueError:
        return False


class _Builder:
    def __init__(self, name: str, problems: list[Problem]):
        self.name = name
        self.problems = problems
        self.orgs: dict[str, dict] = {}
        self.org_rows: dict[tuple[str, str], int] = {}
        self.activities: dict[str, dict] = {}
        self.act_rows: dict[tuple[str, str], int] = {}
        self.categories: dict[str, dict] = {}
        self.subjects: dict[str, dict] = {}
        self.countries: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}
        self.rels: dict[str, dict[tuple, dict]] = defaultdict(dict)
        self.processing: dict[str, set[str]] = defaultdict(set)
        self.pending_engaged: list[tuple[int, str, str, str]] = []  # row, activity id, engager key, recipient
        self.recipients_of: dict[str, set[str]] = defaultdict(set)

    # -- helpers -------------------------------------------------------------
    def err(self, row, col, value, msg, severity="error"):
        self.problems.append(Problem(self.name, row, col, value, msg, severity))

    def country(self, text: str, row: int, col: str) -> str | None:
        text = text.strip()
        if not text:
            return None
        code = reference.resolve_country(text)
        if code is None:
            code = "?:" + text
            self.countries.setdefault(code, {"id": code, "name": text, "eea": False, "resolved": False})
            self.err(row, col, text, "country not recognised; kept as written and reported as unknown_country",
                     "warning")
        return code

    def set_once(self, store: dict, rows: dict, owner: str, key: str, value, row: int, col: str, what: str):
        if value in (None, ""):
            return
        old = store.get(key)
        if old in (None, ""):
            store[key] = value
            rows[(owner, key)] = row
        elif old != value:
            self.err(row, col, value, f"{what} already has {col} {old!r} (row {rows.get((owner, key))}); "
                                      "one value per " + what.split()[0])

    def org(self, name: str, row: int) -> str:
        oid = _key(name)
        self.orgs.setdefault(oid, {"id": oid, "name": " ".join(name.split())})
        return oid

    def org_prop(self, oid: str, key: str, value, row: int, col: str):
        self.set_once(self.orgs[oid], self.org_rows, oid, key, value, row, col,
                      f"organisation {self.orgs[oid]['name']!r}")

    def bool_cell(self, rec, col, row):
        try:
            return reference.parse_bool(rec.get(col, ""))
        except ValueError:
            self.err(row, col, rec.get(col), "expected yes/no (ja/nee, oui/non, true/false, 1/0)")
            return None

    def date_cell(self, rec, col, row):
        v = rec.get(col, "").strip()
        if not v:
            return None
        try:
            return _parse_date(v)
        except ValueError as exc:
            self.err(row, col, v, str(exc))
            return None

    def document(self, source: str, title: str = "", location: str = "") -> str:
        did = source or self.name
        kind = "notice" if did.startswith(("seed:", "notice:")) else "register"
        doc = self.documents.setdefault(did, {"id": did, "name": did, "kind": kind, "title": None, "location": None})
        # the first row of a document that gives its title (file or URL) sets it
        doc["title"] = doc["title"] or title or None
        doc["location"] = doc["location"] or location or None
        return did

    # -- one row -------------------------------------------------------------
    def add_row(self, row: int, rec: dict) -> None:
        controller = rec.get("controller", "").strip()
        activity = rec.get("activity", "").strip()
        if not controller:
            self.err(row, "controller", "", "every row needs a controller")
        if not activity:
            self.err(row, "activity", "", "every row needs an activity")
        if not controller or not activity:
            return
        cid = self.org(controller, row)
        ccode = self.country(rec.get("controller_country", ""), row, "controller_country")
        self.org_prop(cid, "country", ccode, row, "controller_country")
        doc = self.document(rec.get("source", "").strip(), rec.get("source_title", "").strip(),
                            rec.get("source_location", "").strip())

        aid = f"{cid}::{_key(activity)}"
        act = self.activities.setdefault(aid, {"id": aid, "name": " ".join(activity.split()),
                                               "controller": self.orgs[cid]["name"], "source": doc, "row": row})
        for col in ("purpose", "legal_basis", "special_condition", "retention"):
            self.set_once(act, self.act_rows, aid, col, rec.get(col, "").strip(), row, col,
                          f"activity {act['name']!r}")
        sec = "; ".join(_split(rec.get("security_measures", "")))
        self.set_once(act, self.act_rows, aid, "security_measures", sec, row, "security_measures",
                      f"activity {act['name']!r}")
        joint = self.bool_cell(rec, "joint", row)
        self.rels["CONTROLS"][(cid, aid)] = {"src": cid, "dst": aid, "src_label": "Organisation",
                                            "dst_label": "Activity", "joint": joint}
        self.rels["EVIDENCED_BY"].setdefault((aid, doc), {
            "src": aid, "dst": doc, "src_label": "Activity", "dst_label": "Document", "quote": None, "row": row})
        for cat in _split(rec.get("data_categories", "")):
            kid = _key(cat)
            special, article = reference.classify_category(cat)
            self.categories.setdefault(kid, {"id": kid, "name": cat, "special": special, "article": article})
            self.rels["PROCESSES"][(aid, kid)] = {"src": aid, "dst": kid, "src_label": "Activity",
                                                 "dst_label": "DataCategory"}
        for subj in _split(rec.get("data_subjects", "")):
            sid = _key(subj)
            self.subjects.setdefault(sid, {"id": sid, "name": subj})
            self.rels["CONCERNS"][(aid, sid)] = {"src": aid, "dst": sid, "src_label": "Activity",
                                                "dst_label": "DataSubject"}

        recipient = rec.get("recipient", "").strip()
        if not recipient:
            reported = False
            for c in RECIPIENT_COLUMNS:
                cell = rec.get(c, "").strip()
                if not cell:
                    continue
                if c in ("tia", "dpa", "dpf_certified") and _says_no(cell):  # a filled-down "no": harmless
                    self.err(row, c, rec[c], "ignored: the row names no recipient, so this recipient-only cell has "
                             "no effect", "warning")
                elif not reported:
                    self.err(row, c, rec[c], "recipient details given but the recipient is empty")
                    reported = True
            return
        rid = self.org(recipient, row)
        if rid == cid:
            self.err(row, "recipient", recipient, "the recipient is the controller itself")
            return
        self.recipients_of[aid].add(rid)
        self.org_prop(rid, "country", self.country(rec.get("recipient_country", ""), row, "recipient_country"),
                      row, "recipient_country")
        for place in _split(rec.get("processing_countries", "")):
            code = self.country(place, row, "processing_countries")
            if code:
                self.processing[rid].add(code)
        sector = rec.get("recipient_sector", "").strip()
        if sector:
            norm = SECTOR_ALIASES.get(_norm_header(sector))
            if norm is None:
                self.err(row, "recipient_sector", sector, "expected private, public or non_profit")
            self.org_prop(rid, "sector", norm, row, "recipient_sector")
        self.org_prop(rid, "dpf_certified", self.bool_cell(rec, "dpf_certified", row), row, "dpf_certified")
        self.org_prop(rid, "dpf_checked", self.date_cell(rec, "dpf_checked", row), row, "dpf_checked")

        role_text = rec.get("recipient_role", "").strip()
        role = ROLE_ALIASES.get(_norm_header(role_text)) if role_text else None
        if role_text and role is None:
            self.err(row, "recipient_role", role_text,
                     "expected processor, subprocessor, controller or joint_controller")
        mech_text = rec.get("mechanism", "").strip()
        mechanism = reference.resolve_mechanism(mech_text) if mech_text else None
        if mech_text and mechanism is None:
            self.err(row, "mechanism", mech_text,
                     "unknown transfer mechanism; use one of " + ", ".join(reference.load_mechanisms()["id"]))
        if mechanism == "none":
            mechanism = None if not mech_text else "none"
        evidence = rec.get("evidence", "").strip()
        engaged_by = rec.get("engaged_by", "").strip()
        engager = _key(engaged_by) if engaged_by else None
        if engager == cid:
            engager = None
        if engager is not None and role is None:
            role = "subprocessor"
        hop = {
            "activity": aid, "exporter": engager or cid, "role": role, "mechanism": mechanism,
            "mechanism_raw": mech_text or None, "mechanism_date": self.date_cell(rec, "mechanism_date", row),
            "tia": self.bool_cell(rec, "tia", row), "dpa": self.bool_cell(rec, "dpa", row),
            "occasional": self.bool_cell(rec, "occasional", row), "evidence": evidence or None,
            "source": doc, "row": row, "evidence_at": rec.get("evidence_at", "").strip() or None,
        }
        if engager is None:
            rt, key = "DISCLOSES_TO", (aid, rid)
            hop.update({"src": aid, "dst": rid, "src_label": "Activity", "dst_label": "Organisation"})
        else:
            rt, key = "ENGAGES", (aid, engager, rid)
            hop.update({"src": engager, "dst": rid, "src_label": "Organisation", "dst_label": "Organisation"})
            self.pending_engaged.append((row, aid, engager, engaged_by))
        old = self.rels[rt].get(key)
        if old is not None:
            same = all(old[k] == hop[k] for k in hop if k not in ("row", "evidence", "source", "evidence_at"))
            if same:
                self.err(row, "recipient", recipient, f"duplicate of row {old['row']}; ignored", "warning")
            else:
                self.err(row, "recipient", recipient,
                         f"recipient listed twice for activity {act['name']!r} with different details "
                         f"(row {old['row']})")
            return
        self.rels[rt][key] = hop
        ev = self.rels["EVIDENCED_BY"].setdefault((rid, doc), {
            "src": rid, "dst": doc, "src_label": "Organisation", "dst_label": "Document",
            "quote": evidence or None, "row": row})
        # Of several quotes for one organisation keep the same one whatever the row order.
        if evidence and (ev["quote"] is None or evidence < ev["quote"]):
            ev.update(quote=evidence, row=row)

    # -- whole file ----------------------------------------------------------
    def finish(self) -> RopaGraph:
        for row, aid, engager, text in self.pending_engaged:
            if engager not in self.recipients_of[aid]:
                self.err(row, "engaged_by", text, "names no recipient of this activity; list that "
                         "organisation as a recipient of the same activity first")
        errors = [p for p in self.problems if p.severity == "error"]
        if errors:
            raise ValidationError(self.problems)
        self.problems += subprocessor_cycles(
            list(self.rels["ENGAGES"].values()), {k: o["name"] for k, o in self.orgs.items()}, self.name)
        for oid, org in self.orgs.items():
            code = org.get("country")
            if code:
                self.rels["ESTABLISHED_IN"][(oid, code)] = {"src": oid, "dst": code, "src_label": "Organisation",
                                                           "dst_label": "Country"}
            places = self.processing.get(oid)
            if places:
                for p in sorted(places):
                    self.rels["PROCESSES_IN"][(oid, p)] = {"src": oid, "dst": p, "src_label": "Organisation",
                                                          "dst_label": "Country", "inferred": False}
            elif code:
                self.rels["PROCESSES_IN"][(oid, code)] = {"src": oid, "dst": code, "src_label": "Organisation",
                                                         "dst_label": "Country", "inferred": True}
        nodes = {
            "Organisation": list(self.orgs.values()), "Activity": list(self.activities.values()),
            "DataCategory": list(self.categories.values()), "DataSubject": list(self.subjects.values()),
            "Document": list(self.documents.values()), "Country": list(self.countries.values()),
        }
        rels = {k: list(v.values()) for k, v in self.rels.items()}
        return RopaGraph.from_records(nodes, rels, self.problems)


def _read_xlsx(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    sheet = read_sheet(data, name)  # the register sheet (first visible, or named like one)
    xl = sheet.frame.map(sheet.text)
    # The header is the first row that names the required columns (ICO sheets have a header block).
    header_idx = 0
    for i in range(min(len(xl), 20)):
        mapped, _ = map_header([str(x) for x in xl.iloc[i]], name)
        if set(REQUIRED_COLUMNS) <= set(mapped.values()):
            header_idx = i
            break
    header = [str(x) for x in xl.iloc[header_idx]]
    body = [(i + 1, [str(x) for x in xl.iloc[i]]) for i in range(header_idx + 1, len(xl))
            if any(str(x).strip() for x in xl.iloc[i])]
    check_cells(header, body, name)
    return header, body, sheet_notes(sheet, header, header_idx, name)
