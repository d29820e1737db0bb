"""A draft as the JSON of ``ropa extract``, as a flat CSV, or as canonical register rows."""
from __future__ import annotations

import csv
import io
import re

from ..formats.register import COLUMNS
from ..formats.text import neutralise
from .extractor import Draft, Recipient

__all__ = ["to_json", "recipient_rows", "register_rows", "apply_review", "write_csv", "draft_register_csv",
           "RECIPIENT_COLUMNS"]

RECIPIENT_COLUMNS = ["name", "entity", "country", "country_source", "region", "processing_countries", "mechanism",
                     "mechanism_source", "role", "category", "dpa", "engaged_by", "gazetteer_country", "evidence",
                     "start", "end", "mechanism_evidence"]
_REGISTER_ROLE = {"processor": "processor", "subprocessor": "subprocessor", "independent_controller": "controller",
                  "joint_controller": "joint_controller", "authority": "controller"}


def _recipient_json(d: Draft, r: Recipient) -> dict:
    start, end = d.span(r.start, r.end)
    out = {"name": r.name, "country": r.country, "mechanism": r.mechanism, "role": r.role,
           "evidence": r.evidence, "start": start, "end": end,
           "entity": r.entity, "country_source": r.country_source, "region": r.region,
           "mechanism_source": r.mechanism_source}
    if r.mechanism_evidence:
        ms, me = d.span(r.mechanism_evidence["start"], r.mechanism_evidence["end"])
        out["mechanism_evidence"] = {"evidence": r.mechanism_evidence["evidence"], "start": ms, "end": me}
    else:
        out["mechanism_evidence"] = None
    out["mechanisms"] = r.mechanisms
    out["locations"] = [{**loc, "start": d.span(loc["start"], loc["end"])[0], "end": d.span(loc["start"], loc["end"])[1]}
                        for loc in r.locations]
    out["category"] = r.category
    out["is_category"] = r.is_category
    out["dpa"] = r.dpa
    out["engaged_by"] = r.engaged_by
    out["gazetteer"] = r.gazetteer
    return out


def to_json(d: Draft) -> dict:
    """The draft in the shape ``ropa extract --format json`` prints.

    Top level: ``controller``, ``recipients``, ``activities``, ``language``.
    A recipient has ``name, country, mechanism, role, evidence, start, end``
    (offsets into the input) and, besides, where each fact came from:
    ``country_source`` (``text``, ``address``, ``entity name``, ``list
    introduction``, ``section heading``, ``no-transfer statement`` or
    ``gazetteer``: a gazetteer fact, not the text's), ``mechanism_source``
    (``explicit``, ``section``, ``group``, ``blanket`` or ``none``), the
    mechanism's own sentence, every stated location and the gazetteer entry.
    """
    acts = []
    for a in d.activities:
        s, e = d.span(a.start, a.end)
        acts.append({"name": a.name, "purpose": a.purpose, "legal_basis": a.legal_basis,
                     "data_categories": a.data_categories, "data_subjects": a.data_subjects,
                     "retention": a.retention, "recipients": a.recipients, "evidence": a.evidence,
                     "start": s, "end": e})
    controller = {"name": d.controller.get("name"), "country": d.controller.get("country")}
    if d.controller.get("country_source"):
        controller["country_source"] = d.controller["country_source"]
    return {"controller": controller, "recipients": [_recipient_json(d, r) for r in d.recipients],
            "activities": acts, "language": d.language}


def _processing(r: Recipient) -> list[str]:
    out = []
    for loc in r.locations:
        place = loc["country"] or (loc["region"] if loc["region"] == "EEA" else None)
        if place and place not in out:
            out.append(place)
    return out


def recipient_rows(d: Draft) -> list[dict]:
    """One flat row per recipient (the ``--format csv`` table)."""
    rows = []
    for r in d.recipients:
        j = _recipient_json(d, r)
        rows.append({"name": r.name, "entity": r.entity or "", "country": r.country or "",
                     "country_source": r.country_source or "", "region": r.region or "",
                     "processing_countries": "; ".join(_processing(r)), "mechanism": r.mechanism,
                     "mechanism_source": r.mechanism_source, "role": r.role, "category": r.category or "",
                     "dpa": "" if r.dpa is None else ("yes" if r.dpa else "no"), "engaged_by": r.engaged_by or "",
                     "gazetteer_country": (r.gazetteer or {}).get("country") or "",
                     "evidence": r.evidence, "start": j["start"], "end": j["end"],
                     "mechanism_evidence": (r.mechanism_evidence or {}).get("evidence", "")})
    return rows


def _evidence(r: Recipient) -> str:
    ev = r.evidence
    if r.mechanism_evidence and r.mechanism_evidence["evidence"] not in ev:
        ev = f"{ev} … {r.mechanism_evidence['evidence']}"
    return ev


PROVENANCE_COLUMNS = ["source_title", "source_location", "evidence_at"]  # register.OPTIONAL_COLUMNS: ropa.provenance


def document_title(d: Draft) -> str:
    """The notice's own title: its first heading, else its first line when short; "" when it has none.

    >>> from ropa.extract import extract
    >>> document_title(extract("# Privacy at Acme\\nWe use Mailchimp (USA).", "n.md"))
    'Privacy at Acme'
    """
    for line in d.document.text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            return line.lstrip("#").strip()[:200]
    first = next((x.strip() for x in d.document.text.splitlines() if x.strip()), "")
    return first if len(first) <= 120 else ""


def evidence_place(d: Draft, start: int, end: int) -> str:
    """Where ``text[start:end]`` of the notice stands, for a reader of the notice: the section (the heading
    above it), the line in the text as read, and the characters of the input file it comes from.

    >>> from ropa.extract import extract
    >>> dr = extract("# Notice\\n## Who receives\\nWe use Mailchimp (USA).", "n.md")
    >>> at = dr.document.text.index("We use"); evidence_place(dr, at, at + 6)
    'section “Who receives”, line 3, characters 26–31'
    """
    text = d.document.text
    if not (0 <= start < end <= len(text)):
        return ""
    section = ""
    for line in text[:start].splitlines():
        if line.lstrip().startswith("#"):
            section = line.strip().lstrip("#").strip()
    a, b = d.span(start, end)
    parts = [f"section “{section}”"] if section else []
    parts += [f"line {text.count(chr(10), 0, start) + 1}", f"characters {a + 1}–{b}"]
    return ", ".join(parts)


def register_rows(d: Draft, source: str | None = None) -> list[dict]:
    """Canonical register rows (``ropa.formats.register.COLUMNS``): one per (activity, recipient).

    Only what the text says goes in: a country known only from the gazetteer
    is left out (the JSON keeps it, marked). ``evidence`` is the quoted sentence,
    ``source`` the document (``notice:<file name>``), ``source_title`` / ``source_location`` its title and file
    name, ``evidence_at`` the quote's place in it (:func:`evidence_place`).
    """
    source = source or f"notice:{d.document.name}"
    provenance = {"source_title": document_title(d), "source_location": d.document.name}
    # "CodaBox NV/SA en Isabel NV/SA": the register has one controller per row; the first named
    controller = re.split(r"\s+(?:en|and|und)\s+", d.controller.get("name") or "Unknown controller")[0]
    ccountry = d.controller.get("country") or ""
    by_name = {r.name: r for r in d.recipients}
    rows = []
    for a in d.activities:
        base = {c: "" for c in COLUMNS + PROVENANCE_COLUMNS}
        base.update(**provenance, evidence_at=evidence_place(d, a.start, a.end),controller=controller, controller_country=ccountry, activity=a.name, purpose=a.purpose or "",
                    legal_basis="; ".join(a.legal_basis), data_subjects="; ".join(a.data_subjects),
                    data_categories="; ".join(a.data_categories), retention=a.retention or "", source=source,
                    evidence=a.evidence)
        names = [n for n in a.recipients if n in by_name and n.casefold() != controller.casefold()]
        if not names:
            rows.append(dict(base))
            continue
        in_activity = set(names)
        for n in names:
            r = by_name[n]
            stated = r.country if r.country_source != "gazetteer" else None
            country = stated or (r.region if r.region == "EEA" else "")
            engaged = r.engaged_by if r.engaged_by in in_activity else ""
            role = _REGISTER_ROLE.get(r.role, "processor")
            if role == "subprocessor" and not engaged:
                role = "processor"
            rows.append({**base, "recipient": r.name, "recipient_role": role, "engaged_by": engaged,
                         "recipient_country": country or "", "processing_countries": "; ".join(_processing(r)),
                         "mechanism": "" if r.mechanism == "none" else r.mechanism,
                         "dpa": "yes" if r.dpa else "", "evidence": _evidence(r),
                         "evidence_at": evidence_place(d, r.start, r.end)})
    return rows


def _write(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: neutralise(r.get(c, "")) for c in columns})
    return buf.getvalue()


def write_csv(d: Draft) -> str:
    """The recipients as CSV text (spreadsheet-safe)."""
    return _write(recipient_rows(d), RECIPIENT_COLUMNS)


def draft_register_csv(d: Draft, source: str | None = None) -> str:
    """The draft as register CSV text, ready for ``ropa import`` / ``ropa check``."""
    return _write(register_rows(d, source), COLUMNS + PROVENANCE_COLUMNS)


def apply_review(rows: list[dict], decisions: dict[str, dict | None]) -> list[dict]:
    """Register rows after a reviewer's edits: ``decisions`` maps a recipient's drafted name to
    ``None`` (rejected) or the cells to change (``recipient``, ``recipient_country``, ``mechanism``,
    ``recipient_role``). An activity whose recipients are all rejected keeps one row without one.
    Evidence and source stay as drafted, so every imported row keeps its quote and document.

    >>> rows = [{"activity": "Mail", "recipient": "Mailgun", "mechanism": "scc", "engaged_by": ""},
    ...         {"activity": "Mail", "recipient": "Hotjar", "mechanism": "", "engaged_by": ""}]
    >>> [(r["recipient"], r["mechanism"]) for r in apply_review(rows, {"Hotjar": None, "Mailgun": {"mechanism": "scc_2021"}})]
    [('Mailgun', 'scc_2021')]
    """
    out: list[dict] = []
    kept_for: dict[str, int] = {}
    activities: dict[str, dict] = {}
    renamed = {old: (d or {}).get("recipient", old) for old, d in decisions.items() if d is not None}
    for row in rows:
        activities.setdefault(row.get("activity", ""), row)
        name = row.get("recipient", "")
        if name and name in decisions and decisions[name] is None:
            continue
        new = dict(row)
        if name and decisions.get(name):
            new.update({k: v for k, v in decisions[name].items() if k in COLUMNS})
        if new.get("engaged_by") in decisions:
            new["engaged_by"] = "" if decisions[new["engaged_by"]] is None else renamed.get(new["engaged_by"], "")
        out.append(new)
        kept_for[row.get("activity", "")] = kept_for.get(row.get("activity", ""), 0) + 1
    for act, row in activities.items():
        if not kept_for.get(act):
            blank = {k: ("" if k in ("recipient", "recipient_role", "engaged_by", "recipient_country",
                                     "processing_countries", "mechanism", "mechanism_date", "tia", "dpa",
                                     "dpf_certified") else v) for k, v in row.items()}
            out.append(blank)
    return out
