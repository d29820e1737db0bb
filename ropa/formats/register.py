"""The canonical register format: one row per (activity, recipient).

Columns (see ``data/register-template.csv``)::

    controller, controller_country, activity, purpose, legal_basis,
    special_condition, data_subjects, data_categories, retention,
    security_measures, recipient, recipient_role, engaged_by,
    recipient_country, processing_countries, mechanism, mechanism_date,
    tia, dpa, dpf_certified, evidence, source

and optionally ``recipient_sector`` (private / public / non_profit),
``occasional`` (marks an Art. 49 derogation as occasional), ``dpf_checked``
(date the DPF List was checked) and ``joint`` (joint controllership).

``engaged_by`` names the organisation that engages a sub-processor (empty: the
controller), so chains of any depth fit one sheet. Multi-value cells split on
``;`` or new lines. Column headings of the ICO and CNIL templates are accepted
as aliases. Row numbers in messages are spreadsheet rows (header = row 1).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from typing import BinaryIO

import pandas as pd

from .. import reference
from ..errors import FormatError, Problem, ValidationError
from ..model import RopaGraph
from .checks import subprocessor_cycles
from .text import check_cells, check_zip, neutralise, read_table, unneutralise

COLUMNS = [
    "controller", "controller_country", "activity", "purpose", "legal_basis",
    "special_condition", "data_subjects", "data_categories", "retention",
    "security_measures", "recipient", "recipient_role", "engaged_by",
    "recipient_country", "processing_countries", "mechanism", "mechanism_date",
    "tia", "dpa", "dpf_certified", "evidence", "source",
]
OPTIONAL_COLUMNS = ["recipient_sector", "occasional", "dpf_checked", "joint"]
REQUIRED_COLUMNS = ["controller", "activity"]
RECIPIENT_COLUMNS = ["recipient_role", "engaged_by", "recipient_country", "processing_countries",
                     "mechanism", "mechanism_date", "tia", "dpa", "dpf_certified"]

# Headings of the ICO (UK) and CNIL (FR) templates, and everyday variants, by
# their normalised form (see _norm_header). A heading matches when it starts
# with one of these.
COLUMN_ALIASES: dict[str, str] = {
    # ICO documentation template for controllers
    "business_function": "activity",
    "purpose_of_processing": "purpose",
    "purpose_of_the_processing": "purpose",
    "categories_of_individuals": "data_subjects",
    "categories_of_data_subjects": "data_subjects",
    "categories_of_personal_data": "data_categories",
    "categories_of_recipients": "recipient",
    "names_of_third_countries_or_international_organisations": "recipient_country",
    "safeguards_for_exceptional_transfers": "mechanism",
    "retention_schedule": "retention",
    "general_description_of_technical_and_organisational_security_measures": "security_measures",
    "article_6_lawful_basis": "legal_basis",
    "art_6_lawful_basis": "legal_basis",
    "lawful_basis": "legal_basis",
    "article_9_basis": "special_condition",
    "article_9_condition": "special_condition",
    "location_of_personal_data": "processing_countries",
    "link_to_contract_with_processor": "dpa",
    "source_of_personal_data": "source",
    # CNIL registre
    "nom_du_traitement": "activity",
    "activite_de_traitement": "activity",
    "traitement": "activity",
    "responsable_du_traitement": "controller",
    "finalite": "purpose",
    "base_legale": "legal_basis",
    "base_juridique": "legal_basis",
    "categories_de_personnes_concernees": "data_subjects",
    "personnes_concernees": "data_subjects",
    "categories_de_donnees": "data_categories",
    "donnees_sensibles": "special_condition",
    "duree_de_conservation": "retention",
    "destinataires": "recipient",
    "sous_traitants": "recipient",
    "pays_destinataire": "recipient_country",
    "pays": "recipient_country",
    "garanties": "mechanism",
    "type_de_garanties": "mechanism",
    "mesures_de_securite": "security_measures",
    # everyday variants
    "processing_activity": "activity",
    "data_subject_categories": "data_subjects",
    "personal_data_categories": "data_categories",
    "retention_period": "retention",
    "transfer_mechanism": "mechanism",
    "safeguard": "mechanism",
    "country": "recipient_country",
}

ROLE_ALIASES = {
    "processor": "processor", "verwerker": "processor", "auftragsverarbeiter": "processor",
    "sous_traitant": "processor", "data_processor": "processor",
    "subprocessor": "subprocessor", "sub_processor": "subprocessor", "subverwerker": "subprocessor",
    "sub_verwerker": "subprocessor", "unterauftragsverarbeiter": "subprocessor",
    "sous_traitant_ulterieur": "subprocessor",
    "controller": "controller", "independent_controller": "controller",
    "verwerkingsverantwoordelijke": "controller", "verantwortlicher": "controller",
    "responsable_du_traitement": "controller", "third_party": "controller", "derde": "controller",
    "joint_controller": "joint_controller", "gezamenlijk_verwerkingsverantwoordelijke": "joint_controller",
    "gemeinsam_verantwortlicher": "joint_controller", "responsable_conjoint": "joint_controller",
}
SECTOR_ALIASES = {
    "private": "private", "commercial": "private", "privaat": "private", "privat": "private",
    "public": "public", "publiek": "public", "overheid": "public", "government": "public",
    "offentlich": "public", "public_sector": "public",
    "non_profit": "non_profit", "nonprofit": "non_profit", "ngo": "non_profit",
    "non_commercial": "non_profit", "not_for_profit": "non_profit",
}
SPLIT = re.compile(r"\s*(?:;|\n)\s*")


def _norm_header(h: str) -> str:
    h = unicodedata.normalize("NFKD", h.replace("\ufeff", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_")


def _key(name: str) -> str:
    """Identity of an organisation, subject or category: case- and space-insensitive."""
    return " ".join(name.split()).casefold()


def _split(cell: str) -> list[str]:
    return [p for p in SPLIT.split(cell.strip()) if p]


def map_header(header: list[str], name: str) -> tuple[dict[int, str], list[Problem]]:
    """Map column positions to canonical column names; warn about unused columns."""
    mapping: dict[int, str] = {}
    problems: list[Problem] = []
    known = set(COLUMNS + OPTIONAL_COLUMNS)
    for i, raw in enumerate(header):
        h = _norm_header(raw)
        target = h if h in known else next(
            (v for k, v in COLUMN_ALIASES.items() if h == k or h.startswith(k + "_")), None)
        if target is None:
            if h:
                problems.append(Problem(name, 1, raw, None, "column not used by the register format",
                                        "warning"))
            continue
        if target in mapping.values():
            problems.append(Problem(name, 1, raw, None,
                                    f"a second column maps to {target!r}; only the first is used", "warning"))
            continue
        mapping[i] = target
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.values()]
    if missing:
        problems.append(Problem(name, 1, None, None,
                                f"missing required column(s) {', '.join(missing)}; found: "
                                + _found(header)))
    return mapping, problems


def _found(header: list[str]) -> str:
    """The headings a file has, short enough for one message (a binary file has a 'heading' of any length)."""
    text = ", ".join(h for h in header if h.strip())
    hint = " (is the file delimited by , ; or tab?)" if len(header) == 1 and any(d in text for d in "|:") else ""
    return (text if len(text) <= 200 else text[:197] + "...") + hint


def _parse_date(value: str) -> dt.date:
    v = value.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"):  # last: XLSX dates
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", v)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    raise ValueError(f"not a date (use YYYY-MM-DD): {value!r}")


def read_register_rows(fp: BinaryIO, name: str = "register.csv") -> tuple[list[tuple[int, dict]], list[Problem]]:
    """The rows of a register CSV or XLSX as (row number, {canonical column: text}).

    Raises FormatError when the file cannot be read or lacks required columns.
    """
    data = fp.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        header, body = _read_xlsx(data, name)
    else:
        header, body = read_table(data, name)
    mapping, problems = map_header(header, name)
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


def _read_xlsx(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    check_zip(data, name)
    try:
        xl = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=str, engine="openpyxl",
                           keep_default_na=False, na_filter=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FormatError(Problem(name, None, None, None, f"not a readable XLSX workbook ({exc})")) from exc
    except Exception as exc:  # openpyxl raises a zoo of types on junk
        raise FormatError(Problem(name, None, None, None, f"not a readable XLSX workbook ({type(exc).__name__})")) from exc
    xl = xl.fillna("")
    if xl.empty:
        raise FormatError(Problem(name, None, None, None, "the workbook's first sheet is empty"))
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
    return header, body


def read_register(fp: BinaryIO, name: str = "register.csv") -> RopaGraph:
    """Read a register CSV/XLSX into a :class:`RopaGraph`; all or nothing.

    Parameters
    ----------
    fp : a binary file object
    name : the file name shown in messages

    Raises
    ------
    FormatError : the file cannot be read as a register
    ValidationError : rows are invalid; ``.problems`` lists every one

    Examples
    --------
    >>> import io
    >>> g = read_register(io.BytesIO(b"controller,activity,recipient,recipient_country\\nAcme BV,Payroll,Pay Inc,US\\n"))
    >>> sorted(g.nodes["Organisation"]["name"])
    ['Acme BV', 'Pay Inc']
    """
    rows, problems = read_register_rows(fp, name)
    graph = rows_to_graph(rows, name, problems)
    return graph


def rows_to_graph(rows: list[tuple[int, dict]], name: str, problems: list[Problem] | None = None) -> RopaGraph:
    """Turn register rows into a graph, collecting every problem before refusing."""
    b = _Builder(name, list(problems or []))
    for rownum, rec in rows:
        b.add_row(rownum, rec)
    return b.finish()


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

    def document(self, source: str) -> str:
        did = source or self.name
        kind = "notice" if did.startswith(("seed:", "notice:")) else "register"
        self.documents.setdefault(did, {"id": did, "name": did, "kind": kind})
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
        doc = self.document(rec.get("source", "").strip())

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
            filled = [c for c in RECIPIENT_COLUMNS if rec.get(c, "").strip()]
            if filled:
                self.err(row, filled[0], rec[filled[0]], "recipient details given but the recipient is empty")
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
            "source": doc, "row": row,
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
            same = all(old[k] == hop[k] for k in hop if k not in ("row", "evidence", "source"))
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
                         "source": act.get("source") or ""})
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
