"""The report's sections as tables (pandas DataFrames), for XLSX, CSV and Markdown."""
from __future__ import annotations

import pandas as pd

from ..findings import Finding
from .model import VERDICTS, Report

TRANSFER_COLUMNS = [
    "#", "controller", "activity", "exporter", "importer", "role", "path", "onward", "destination",
    "destination_country", "mechanism", "mechanism_as_written", "mechanism_date", "tia_recorded",
    "adequacy_decision", "verdict", "severity", "rules", "findings", "legal_source", "basis_legal_source",
    "remediation", "evidence", "source", "row",
]
HEADER_WORDS = {"tia": "TIA", "art9": "Art. 9(2)", "eea": "EEA"}


def human(name: str) -> str:
    """A column name as a header a reader expects.

    >>> human("tia_recorded"), human("destination_country")
    ('TIA recorded', 'Destination country')
    """
    words = [HEADER_WORDS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def with_headers(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with human headers (for XLSX, CSV and Markdown)."""
    return df.rename(columns={c: human(c) for c in df.columns})


TRANSFER_HEADERS = [human(c) for c in TRANSFER_COLUMNS]
FINDING_COLUMNS = ["rule", "title", "severity", "controller", "activity", "subject", "path", "destination",
                   "mechanism", "reason", "legal_source", "remediation", "evidence", "source", "row", "article"]


def _yes(v) -> str:
    return "" if v is None else ("yes" if v else "no")


def summary_frame(r: Report) -> pd.DataFrame:
    """The cover page as (item, value) rows."""
    rows = [
        ("Report", r.title), ("Evaluated as of", r.as_of.isoformat()),
        ("Controllers in scope", "; ".join(r.controllers)), ("Data", r.source),
        ("Data version (fingerprint)", r.fingerprint), ("Rule pack version", r.rule_pack_version),
        ("Generated", f"{r.generated:%Y-%m-%d %H:%M} by RoPA Graph Explorer {r.tool_version}"),
        ("Restricted transfers", len(r.transfers)),
    ]
    rows += [(f"Transfers: {VERDICTS[v].lower()}", n) for v, n in r.transfers_by_verdict().items()]
    rows += [("Recipients with no recorded location", len(r.unlocated)), ("Findings", len(r.findings))]
    rows += [(f"Findings: {s}", n) for s, n in r.findings_by_severity().items()]
    rows += [(f"Destination: {d['name']} ({code})", d["transfers"]) for code, d in r.destinations().items()]
    if r.diff is not None:
        rows.append(("Changes since snapshot", f"{r.diff.name} (as of {r.diff.as_of})"))
    rows.append(("Note", r.disclaimer))
    return pd.DataFrame(rows, columns=["item", "value"]).astype(object)


def transfers_frame(r: Report) -> pd.DataFrame:
    """The restricted-transfer register, one row per transfer."""
    rows = []
    for i, t in enumerate(r.transfers, start=1):
        rows.append({
            "#": i, "controller": t.controller, "activity": t.activity, "exporter": t.exporter,
            "importer": t.importer, "role": t.role, "path": " → ".join(t.path), "onward": _yes(t.onward),
            "destination": t.destination, "destination_country": t.destination_name,
            "mechanism": t.mechanism_label or t.mechanism or "none recorded", "mechanism_as_written": t.mechanism_raw,
            "mechanism_date": t.mechanism_date, "tia_recorded": _yes(t.tia), "adequacy_decision": t.adequacy,
            "verdict": t.verdict_label, "severity": t.severity, "rules": "; ".join(_unique_rules(t.findings)),
            "findings": " ".join(t.reasons), "legal_source": t.legal_source,
            "basis_legal_source": t.basis_legal_source, "remediation": t.remediation, "evidence": t.evidence,
            "source": t.source, "row": t.row,
        })
    return pd.DataFrame(rows, columns=TRANSFER_COLUMNS).astype(object)


def _unique_rules(findings: list[Finding]) -> list[str]:
    return list(dict.fromkeys(f.rule for f in findings))


def unlocated_frame(r: Report) -> pd.DataFrame:
    cols = ["controller", "activity", "exporter", "importer", "role", "mechanism_as_written", "evidence",
            "source", "row"]
    return pd.DataFrame([[u.controller, u.activity, u.exporter, u.importer, u.role, u.mechanism, u.evidence,
                          u.source, u.row] for u in r.unlocated], columns=cols).astype(object)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = [{**{c: getattr(f, c) for c in FINDING_COLUMNS}, "path": " → ".join(f.path)} for f in findings]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS).astype(object)


def controllers_frame(r: Report) -> pd.DataFrame:
    rows = r.controller_summary()
    cols = ["controller", "activities", "restricted transfers", "no valid basis", "high", "medium", "low"]
    return pd.DataFrame(rows, columns=cols).astype(object)


def records_frame(r: Report) -> pd.DataFrame:
    """The Art. 30(1) records, one row per activity."""
    cols = ["controller", "activity", "purpose", "legal_basis", "art9_condition", "data_subjects",
            "data_categories", "special_categories", "recipients", "third_country_transfers", "retention",
            "security_measures", "source"]
    rows = [[a.controller, a.activity, a.purpose, a.legal_basis, a.special_condition, "; ".join(a.data_subjects),
             "; ".join(a.data_categories), "; ".join(a.special_categories), "; ".join(a.recipients),
             "; ".join(a.transfers), a.retention, a.security_measures, a.source] for a in r.records]
    return pd.DataFrame(rows, columns=cols).astype(object)


def rules_frame(r: Report) -> pd.DataFrame:
    counts = {}
    for f in r.findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    rows = [[x.id, x.title, x.severity, x.article, x.legal_source, x.remediation, counts.get(x.id, 0)]
            for x in r.rules]
    return pd.DataFrame(rows, columns=["rule", "title", "severity", "article", "legal_source", "remediation",
                                       "findings"]).astype(object)


def reference_frame(r: Report) -> pd.DataFrame:
    rows = [[f.name, f.rows, ", ".join(f.reviewed), ", ".join(f"{k}: {n}" for k, n in f.confidence.items())]
            for f in r.reference]
    rows += [["rule pack", len(r.rules), "", f"version {r.rule_pack_version}"]]
    return pd.DataFrame(rows, columns=["file", "rows", "reviewed", "confidence"]).astype(object)


def not_checked_frame(r: Report) -> pd.DataFrame:
    return pd.DataFrame([[x] for x in r.not_checked] + [[r.disclaimer]],
                        columns=["what this report does not check"]).astype(object)


def changes_frame(r: Report) -> pd.DataFrame:
    """Every change since the snapshot, one row each."""
    cols = ["change", "severity", "rule", "controller", "activity", "subject", "before", "now"]
    d = r.diff
    rows = []
    if d is None:
        return pd.DataFrame(rows, columns=cols)
    for kind, items in (("new finding", d.new), ("resolved finding", d.resolved)):
        for f in items:
            rows.append([kind, f.severity, f.rule, f.controller, f.activity, f.subject,
                         "" if kind == "new finding" else f.reason, f.reason if kind == "new finding" else ""])
    for o, n in d.changed:
        rows.append(["changed finding", n.severity, n.rule, n.controller, n.activity, n.subject,
                     f"{o.severity}: {o.reason}", f"{n.severity}: {n.reason}"])
    for kind, items in (("recipient added", d.recipients_added), ("recipient removed", d.recipients_removed)):
        for h in items:
            desc = f"{h.exporter} → {h.importer} ({h.role}; {h.mechanism}; {h.countries})"
            rows.append([kind, "", "", h.controller, h.activity, h.importer,
                         desc if kind == "recipient removed" else "", desc if kind == "recipient added" else ""])
    for c in d.mechanisms_changed:
        rows.append(["mechanism changed", "", "", c.hop.controller, c.hop.activity,
                     f"{c.hop.exporter} → {c.hop.importer}", c.before, c.after])
    for c in d.countries_changed:
        rows.append(["countries changed", "", "", "", "", c.organisation, c.before, c.after])
    return pd.DataFrame(rows, columns=cols).astype(object)


def sheets(r: Report) -> dict[str, pd.DataFrame]:
    """Every section as a named table, in report order."""
    out = {"Summary": summary_frame(r)}  # headers made human below
    if r.diff is not None:
        out["Changes"] = changes_frame(r)
    out.update({
        "Transfers": transfers_frame(r), "Unlocated recipients": unlocated_frame(r),
        "Findings": findings_frame(r.findings), "By controller": controllers_frame(r),
        "Art 30 records": records_frame(r), "Rules": rules_frame(r), "Reference data": reference_frame(r),
        "Not checked": not_checked_frame(r),
    })
    return {name: with_headers(df) for name, df in out.items()}
