"""The report's sections as tables, for XLSX, CSV and Markdown.

Each section is a list of rows (``*_rows``: plain lists, what the XLSX and CSV writers
stream at any size) and, for Markdown and callers that want one, a pandas DataFrame of
the same rows (``*_frame``).
"""
from __future__ import annotations

from collections import Counter

import pandas as pd

from ..findings import Finding
from ..art30 import CONTROLLER_COLUMNS as CONTROLLER_RECORD_COLUMNS, controller_rows as controller_rows_of
from ..transfers import REGISTER_COLUMNS, human, register_rows
from .content import VERDICTS, Report

TRANSFER_COLUMNS = REGISTER_COLUMNS  # the register's columns (ropa.transfers), the same in `ropa transfers`


def with_headers(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with human headers (for XLSX, CSV and Markdown)."""
    return df.rename(columns={c: human(c) for c in df.columns})


TRANSFER_HEADERS = [human(c) for c in TRANSFER_COLUMNS]
FINDING_COLUMNS = ["rule", "title", "severity", "controller", "activity", "subject", "path", "destination",
                   "mechanism", "reason", "legal_source", "remediation", "evidence", "source", "row", "article"]


def _yes(v) -> str:
    return "" if v is None else ("yes" if v else "no")


def _frame(columns: list[str], rows: list) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype(object)


SUMMARY_COLUMNS = ["item", "value"]


def summary_rows(r: Report, notes: list[tuple[str, str]] = ()) -> list[list]:
    """The cover page as (item, value) rows; ``notes`` are added before the disclaimer."""
    rows = [
        ["Report", r.title], ["Evaluated as of", r.as_of.isoformat()],
        ["Controllers in scope", "; ".join(r.controllers)], ["Data", r.source],
        ["Data version (fingerprint)", r.fingerprint], ["Rule pack version", r.rule_pack_version],
        ["Generated", f"{r.generated:%Y-%m-%d %H:%M} by RoPA Graph Explorer {r.tool_version}"],
        ["Restricted transfers", len(r.transfers)],
    ]
    rows += [[f"Transfers: {VERDICTS[v].lower()}", n] for v, n in r.transfers_by_verdict().items()]
    rows += [["Recipients with no recorded location", len(r.unlocated)], ["Findings", len(r.findings)]]
    rows += [[f"Findings: {s}", n] for s, n in r.findings_by_severity().items()]
    rows += [[f"Destination: {d['name']} ({code})", d["transfers"]] for code, d in r.destinations().items()]
    if r.diff is not None:
        rows.append(["Changes since snapshot", f"{r.diff.name} (as of {r.diff.as_of})"])
    rows += [list(n) for n in notes]
    rows.append(["Note", r.disclaimer])
    return rows



def transfer_rows(r: Report) -> list[list]:
    """The restricted-transfer register, one row per transfer (columns: :data:`TRANSFER_COLUMNS`)."""
    return register_rows(r.transfers)



def _unique_rules(findings: list[Finding]) -> list[str]:
    return list(dict.fromkeys(f.rule for f in findings))


UNLOCATED_COLUMNS = ["controller", "activity", "exporter", "importer", "role", "mechanism_as_written", "evidence",
                     "source", "row"]


def unlocated_rows(r: Report) -> list[list]:
    return [[u.controller, u.activity, u.exporter, u.importer, u.role, u.mechanism, u.evidence, u.source, u.row]
            for u in r.unlocated]



def finding_rows(findings: list[Finding]) -> list[list]:
    """One row per finding (columns: :data:`FINDING_COLUMNS`)."""
    path = FINDING_COLUMNS.index("path")
    rows = []
    for f in findings:
        row = [getattr(f, c) for c in FINDING_COLUMNS]
        row[path] = " → ".join(f.path)
        rows.append(row)
    return rows



CONTROLLER_COLUMNS = ["controller", "activities", "restricted transfers", "no valid basis", "high", "medium", "low"]


def controller_rows(r: Report) -> list[list]:
    return [[c[k] for k in CONTROLLER_COLUMNS] for c in r.controller_summary()]


def controllers_frame(r: Report) -> pd.DataFrame:
    return _frame(CONTROLLER_COLUMNS, controller_rows(r))


RECORD_COLUMNS = CONTROLLER_RECORD_COLUMNS  # the Art. 30(1) table of the Record page (ropa.art30), word for word


def record_rows(r: Report) -> list[list]:
    """The Art. 30(1) records, one row per activity, as the Record page shows them (:func:`ropa.art30.controller_rows`)."""
    return controller_rows_of(r.records).values.tolist()



RULE_COLUMNS = ["rule", "title", "severity", "article", "legal_source", "remediation", "findings"]


def rule_rows(r: Report) -> list[list]:
    counts = Counter(f.rule for f in r.findings)
    return [[x.id, x.title, x.severity, x.article, x.legal_source, x.remediation, counts.get(x.id, 0)]
            for x in r.rules]


def rules_frame(r: Report) -> pd.DataFrame:
    return _frame(RULE_COLUMNS, rule_rows(r))


REFERENCE_COLUMNS = ["file", "rows", "reviewed", "confidence"]


def reference_rows(r: Report) -> list[list]:
    rows = [[f.name, f.rows, ", ".join(f.reviewed), ", ".join(f"{k}: {n}" for k, n in f.confidence.items())]
            for f in r.reference]
    return rows + [["rule pack", len(r.rules), "", f"version {r.rule_pack_version}"]]



NOT_CHECKED_COLUMNS = ["what this report does not check"]


def not_checked_rows(r: Report) -> list[list]:
    return [[x] for x in r.not_checked] + [[r.disclaimer]]



CHANGE_COLUMNS = ["change", "severity", "rule", "controller", "activity", "subject", "before", "now", "evidence",
                  "source"]


def change_rows(r: Report) -> list[list]:
    """Every change since the snapshot, one row each, with its evidence (the quote) and its source (the document
    and the quote's place, cited by :meth:`ropa.report.diff.Diff.cite`): a finding's, the hop's of a recipient
    added or removed or of a mechanism changed, the organisation's of a country change."""
    d = r.diff
    rows = []
    if d is None:
        return rows
    for kind, items in (("new finding", d.new), ("resolved finding", d.resolved)):
        for f in items:
            rows.append([kind, f.severity, f.rule, f.controller, f.activity, f.subject,
                         "" if kind == "new finding" else f.reason, f.reason if kind == "new finding" else "",
                         f.evidence or "", d.cite(f.source, f.row)])
    for o, n in d.changed:
        rows.append(["changed finding", n.severity, n.rule, n.controller, n.activity, n.subject,
                     f"{o.severity}: {o.reason}", f"{n.severity}: {n.reason}", n.evidence or "",
                     d.cite(n.source, n.row)])
    for kind, items in (("recipient added", d.recipients_added), ("recipient removed", d.recipients_removed)):
        for h in items:
            desc = f"{h.exporter} → {h.importer} ({h.role}; {h.mechanism}; {h.countries})"
            rows.append([kind, "", "", h.controller, h.activity, h.importer,
                         desc if kind == "recipient removed" else "", desc if kind == "recipient added" else "",
                         h.evidence, d.cite(h.source, h.row, h.at)])
    for c in d.mechanisms_changed:
        rows.append(["mechanism changed", "", "", c.hop.controller, c.hop.activity,
                     f"{c.hop.exporter} → {c.hop.importer}", c.before, c.after, c.hop.evidence,
                     d.cite(c.hop.source, c.hop.row, c.hop.at)])
    for c in d.countries_changed:
        rows.append(["countries changed", "", "", "", "", c.organisation, c.before, c.after, c.evidence,
                     d.cite(c.source, c.row)])
    return rows


def changes_frame(r: Report) -> pd.DataFrame:
    """Every change since the snapshot, one row each."""
    return _frame(CHANGE_COLUMNS, change_rows(r))


def tables(r: Report, notes: list[tuple[str, str]] = ()) -> list[tuple[str, list[str], list[list]]]:
    """Every section as ``(name, human headers, rows)``, in report order (the XLSX sheets)."""
    out = [("Summary", SUMMARY_COLUMNS, summary_rows(r, notes))]
    if r.diff is not None:
        out.append(("Changes", CHANGE_COLUMNS, change_rows(r)))
    out += [
        ("Transfers", TRANSFER_COLUMNS, transfer_rows(r)),
        ("Unlocated recipients", UNLOCATED_COLUMNS, unlocated_rows(r)),
        ("Findings", FINDING_COLUMNS, finding_rows(r.findings)),
        ("By controller", CONTROLLER_COLUMNS, controller_rows(r)),
        ("Art 30 records", RECORD_COLUMNS, record_rows(r)), ("Rules", RULE_COLUMNS, rule_rows(r)),
        ("Reference data", REFERENCE_COLUMNS, reference_rows(r)),
        ("Not checked", NOT_CHECKED_COLUMNS, not_checked_rows(r)),
    ]
    return [(name, [human(c) for c in cols], rows) for name, cols, rows in out]
