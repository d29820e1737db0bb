"""Findings: what a rule reports, in one shape for every output."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

SEVERITIES = ("low", "medium", "high")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
FINDING_COLUMNS = ["rule", "severity", "subject", "path", "reason", "legal_source", "evidence",
                   "controller", "activity", "exporter", "importer", "destination", "mechanism",
                   "remediation", "source", "row", "title", "article"]


def _name(v) -> str:
    if type(v) is str:  # nearly every value: skip the checks below
        return v
    if isinstance(v, dict):
        return str(v.get("name") or v.get("id") or "")
    return "" if v is None else str(v)


@dataclass
class Finding:
    """One finding of one rule."""

    rule: str
    severity: str
    subject: str
    path: list[str] = field(default_factory=list)
    reason: str = ""
    legal_source: str = ""
    evidence: str = ""
    controller: str = ""
    activity: str = ""
    exporter: str = ""
    importer: str = ""
    destination: str = ""
    mechanism: str = ""
    remediation: str = ""
    source: str = ""
    row: int | None = None
    title: str = ""
    article: str = ""

    @classmethod
    def from_row(cls, row: dict, rule) -> "Finding":
        """Build from a rule's result row; header fields fill what the row leaves out."""
        get = row.get
        path = get("path") or []
        if not isinstance(path, list):
            path = [path]
        severity = get("severity") or rule.severity
        if severity not in SEVERITIES:
            severity = rule.severity
        rownum = get("row")
        return cls(
            get("rule") or rule.id, severity, _name(get("subject")),
            [p if type(p) is str else _name(p) for p in path], _name(get("reason")),
            _name(get("legal_source")) or rule.legal_source, _name(get("evidence")),
            _name(get("controller")), _name(get("activity")), _name(get("exporter")),
            _name(get("importer")), _name(get("destination")), _name(get("mechanism")),
            _name(get("remediation")) or rule.remediation, _name(get("source")),
            int(rownum) if rownum is not None else None, rule.title, rule.article,
        )

    @property
    def identity(self) -> tuple:
        """What makes two findings the same finding (used for de-duplication and diffs)."""
        return (self.rule, self.controller, self.activity, self.exporter, self.subject,
                self.destination, self.reason)

    def to_dict(self) -> dict:
        return asdict(self)


def finalise(findings: list[Finding]) -> list[Finding]:
    """De-duplicate and sort worst first.

    A rule that follows chains may find the same hop by several paths (a
    sub-processor cycle, say); the shortest path is kept.
    """
    best: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.rule, f.controller, f.activity, f.exporter, f.subject, f.destination, f.reason)  # f.identity
        old = best.get(k)
        if old is None or len(f.path) < len(old.path):
            best[k] = f
    rank = SEVERITY_RANK
    return sorted(best.values(), key=lambda f: (-rank[f.severity], f.rule, f.controller,
                                                f.subject, f.destination, f.reason))


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table (path joined with arrows)."""
    rows = []
    for f in findings:
        d = f.to_dict()
        d["path"] = " → ".join(f.path)
        rows.append(d)
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def worst(findings: list[Finding]) -> str | None:
    """The worst severity among findings, or None."""
    return max((f.severity for f in findings), key=SEVERITY_RANK.get, default=None)


def at_or_above(findings: list[Finding], threshold: str) -> list[Finding]:
    """Findings whose severity is at least ``threshold``."""
    return [f for f in findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]]


def as_of_label(d: dt.date) -> str:
    return d.isoformat()
