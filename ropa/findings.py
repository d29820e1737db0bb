"""Findings: what a rule reports, in one shape for every output."""
from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat, starmap
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas costs ~0.4 s CPU to import: `ropa rules` and `ropa --help` do not need it
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


def _path(v) -> list[str]:
    """A row's path as :meth:`Finding.from_row` reads it."""
    if not v:
        return []
    if not isinstance(v, list):
        v = [v]
    return [p if type(p) is str else _name(p) for p in v]


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

    @classmethod
    def from_columns(cls, columns: dict[str, list], rule) -> list["Finding"]:
        """Build a rule's findings from its result column by column (``Backend.run_columns``):
        the same findings, in the same order, as :meth:`from_row` on each row, without a dict per row."""
        if not columns:
            return []
        n = len(next(iter(columns.values())))

        def names(key: str, default: str = "") -> Iterable:
            col = columns.get(key)
            if col is None:
                return repeat(default, n)
            return [v if type(v) is str and v else _name(v) or default for v in col]

        sev = rule.severity
        severities = columns.get("severity")
        severities = repeat(sev, n) if severities is None else [v if v in SEVERITIES else sev for v in severities]
        paths = columns.get("path")
        paths = [[] for _ in range(n)] if paths is None else [_path(v) for v in paths]
        rows = columns.get("row")
        rows = repeat(None, n) if rows is None else [None if v is None else int(v) for v in rows]
        return list(map(
            cls, names("rule", rule.id), severities, names("subject"), paths, names("reason"),
            names("legal_source", rule.legal_source), names("evidence"), names("controller"),
            names("activity"), names("exporter"), names("importer"), names("destination"),
            names("mechanism"), names("remediation", rule.remediation), names("source"), rows,
            repeat(rule.title, n), repeat(rule.article, n)))

    @property
    def identity(self) -> tuple:
        """What makes two findings the same finding (used for de-duplication and diffs)."""
        return (self.rule, self.controller, self.activity, self.exporter, self.subject,
                self.destination, self.reason)

    def to_dict(self) -> dict:
        """Every field by name, in field order, the path a list of its own: what ``dataclasses.asdict``
        gives, made ~8x faster (asdict copies each value deeply, a str too; only the path is mutable).
        The explorer turns every finding into a dict: 585k at 1M relationships, 17.7 s with asdict."""
        d = {k: getattr(self, k) for k in FINDING_COLUMNS}
        d["path"] = list(self.path)
        return d


def from_dicts(dicts: Iterable[dict]) -> list[Finding]:
    """:meth:`Finding.to_dict`'s dicts as findings again, each equal to ``Finding(**d)``: the fields by
    position (a third faster than by keyword; 585,095 of them at 1M relationships)."""
    return list(starmap(Finding, map(itemgetter(*FINDING_COLUMNS), dicts)))


def finalise(findings: list[Finding]) -> list[Finding]:
    """De-duplicate and sort worst first.

    A rule that follows chains may find the same hop by several paths (a
    sub-processor cycle, say); the shortest path is kept, and of equally short
    ones the first in sort order, so that the result does not depend on the
    order in which the engine returned the rows (LadybugDB's varies between runs).
    The order is total for the same reason: findings that differ only in activity or
    exporter are sorted by them too, so an export lists its rows in the same order every run.
    """
    best: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.rule, f.controller, f.activity, f.exporter, f.subject, f.destination, f.reason)  # f.identity
        old = best.get(k)
        if old is None or len(f.path) < len(old.path) or (
                len(f.path) == len(old.path) and _tie_key(f) < _tie_key(old)):
            best[k] = f
    rank = SEVERITY_RANK
    return sorted(best.values(), key=lambda f: (-rank[f.severity], f.rule, f.controller,
                                                f.subject, f.destination, f.reason, f.activity, f.exporter))


def _tie_key(f: Finding) -> tuple:
    return (f.path, f.severity, f.evidence, f.source, -1 if f.row is None else f.row, f.mechanism,
            f.importer, f.legal_source, f.remediation)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table (path joined with arrows)."""
    import pandas as pd
    rows = []
    for f in findings:
        d = f.to_dict()
        d["path"] = " → ".join(f.path)
        rows.append(d)
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)



def at_or_above(findings: list[Finding], threshold: str) -> list[Finding]:
    """Findings whose severity is at least ``threshold``."""
    return [f for f in findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]]



@contextmanager
def paused_gc():
    """Pause Python's cycle collector while many small objects are made or walked (findings, the
    report's rows, a neighbourhood's edges).

    With hundreds of thousands of findings alive, every full collection walks all of them again, at
    random moments (so a report or a neighbourhood takes a varying, large share longer). These objects form no reference cycles, and whatever cycles a library makes
    meanwhile are collected when the collector runs again afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
