"""The report's content: everything a DPO report shows, built once, rendered many ways.

:func:`build_report` reads a backend three ways and keeps the results as plain
data that every renderer (HTML, PDF, XLSX, CSV, Markdown) formats without
asking the store again:

* the rule pack (:func:`ropa.rules.evaluate`) gives the findings;
* the report queries in ``ropa/report/queries/`` give every restricted
  transfer (fine ones too) with its path, mechanism and the adequacy decision in
  force, and the recipients with no recorded location;
* the stored tables (:meth:`Backend.export_tables`, a table at a time) give the Art. 30
  records and the data fingerprint.

A transfer's verdict is decided once, in :mod:`ropa.transfers` (the register every
surface reads), from the findings of the rules that judge a transfer; never here.
"""
from __future__ import annotations

import csv
import datetime as dt
import gc
import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import InputError, Problem
from ..findings import SEVERITIES, SEVERITY_RANK, Finding, paused_gc
from ..model import RopaGraph, fingerprint_of
from ..reference import DATA_DIR as REFERENCE_DIR
from ..art30 import RECORD_COLUMNS, Record, build_records, transfer_lines  # noqa: F401  one Art. 30 builder
from ..reference import check_evaluation_date
from ..rules import MemoryGate, Rule, evaluate, load_rules, rule_pack_version
from ..provenance import Provenance, read_provenance
from ..transfers import (VERDICTS, Transfer, _columns, judge, read_transfers, sort_worst_first,  # noqa: F401
                         transfer_rules)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"

# The verdicts and the transfer register live in ropa.transfers (one verdict per transfer, decided there).
TRANSFER_RULES = tuple(sorted(transfer_rules()))

NOT_CHECKED = (
    "Whether the contracts the register names (SCCs, DPAs, BCRs) exist, are signed, use the right SCC "
    "module and are up to date: the report trusts the register.",
    "The content and quality of transfer impact assessments and supplementary measures: only whether "
    "one is recorded.",
    "Whether a US recipient is on the Data Privacy Framework List today: the report uses the "
    "certification recorded in the register and its check date. Check the DPF List before relying on it.",
    "For an evaluation date in the past, whether a US recipient was certified under the framework then in "
    "force (Safe Harbor, the Privacy Shield): the register holds one certification flag, read as certification "
    "under the US framework in force on the evaluation date; and whether a transfer that names the Privacy "
    "Shield while it applied went to a certified organisation.",
    "Transfers by Swiss or UK exporters under their own regimes: the reference data hold the EU "
    "adequacy list only.",
    "The conditions of an Art. 49 derogation beyond whether the transfer is marked occasional.",
    "The onward-transfer rules inside adequacy decisions (e.g. Japan's Supplementary Rules): onward "
    "chains are flagged for review, not judged.",
    "Remote access from a third country that the register does not record as a processing location.",
    "The lawfulness of the processing itself (Art. 6, Art. 9(2)), the need for a DPIA, or whether "
    "retention periods are appropriate: only whether the Art. 30 fields are filled in.",
    "Law or decisions that changed after the review dates of the reference data (see Reference data).",
)
# The HTML, PDF and Markdown reports are read by people: at scale they list the worst of each long
# table, up to these many rows, and say how many more the XLSX (every table) and CSV (the register) hold.
# Far above any hand-kept register (the sample data and the examples are listed whole).
# At 100k relationships 500 register rows, 100 findings a rule and 500 records printed 1,352 PDF pages
# (900 of them the annex); these give about a third of that. The sample register has 26 transfers,
# at most 36 findings of one rule, 17 unlocated recipients and 50 records.
REGISTER_LIMIT = 200   # rows of the restricted-transfer register
RULE_LIMIT = 50        # findings of one rule
UNLOCATED_LIMIT = 100  # recipients with no recorded location
ANNEX_LIMIT = 100      # Art. 30 records in the annex

DISCLAIMER = ("This report is produced by software from the Record of Processing Activities as "
              "recorded; it supports, and does not replace, legal advice.")


@dataclass(frozen=True)
class HopParties:
    """Who sends to whom in one recipient link of one activity, and on what basis: what the report shows of
    every hop (the unlocated recipients here, the hops a diff adds or removes in :mod:`ropa.report.diff`)."""

    controller: str
    activity: str
    exporter: str
    importer: str
    role: str
    mechanism: str


@dataclass(frozen=True)
class Unlocated(HopParties):
    """A recipient with no recorded country: its transfers cannot be judged."""

    evidence: str
    source: str
    row: int | None


@dataclass
class ReferenceFile:
    """A reference-data file and when its rows were last reviewed."""

    name: str
    rows: int
    reviewed: list[str]
    confidence: dict[str, int]


@dataclass
class Excerpt:
    """Up to a limit of a long table's rows, and how many the whole table has."""

    rows: list            # (number in the whole table, from 1; item), in table order
    total: int

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def omitted(self) -> int:
        return self.total - len(self.rows)


def excerpt(items: list, limit: int, rank=None, group=None) -> Excerpt:
    """The rows a reader sees of a long table: up to ``limit``, the worst ``rank`` first, spread evenly
    over the ``group`` s (e.g. controllers) within each rank, kept in table order and numbered as in the
    whole table.

    >>> e = excerpt(list("aAbBcC"), 3, rank=lambda x: x.islower(), group=str.lower)
    >>> e.rows, e.total, e.omitted
    ([(2, 'A'), (4, 'B'), (6, 'C')], 6, 3)
    """
    if len(items) <= limit:
        return Excerpt(list(enumerate(items, start=1)), len(items))
    seen: Counter = Counter()
    keys = []
    for i, x in enumerate(items):
        r = rank(x) if rank else 0
        g = (r, group(x) if group else None)
        keys.append((r, seen[g], i))
        seen[g] += 1
    chosen = sorted(i for _, _, i in heapq.nsmallest(limit, keys))
    return Excerpt([(i + 1, items[i]) for i in chosen], len(items))


@dataclass
class Report:
    """Everything the report shows; renderers only format it."""

    as_of: dt.date
    generated: dt.datetime
    source: str
    fingerprint: str
    controllers: list[str]
    scoped: bool
    rule_pack_version: str
    tool_version: str
    rules: list[Rule]
    findings: list[Finding]
    transfers: list[Transfer]
    unlocated: list[Unlocated]
    records: list[Record]
    reference: list[ReferenceFile]
    not_checked: tuple[str, ...] = NOT_CHECKED
    disclaimer: str = DISCLAIMER
    provenance: Provenance = field(default_factory=Provenance)  # cites evidence by document title, file, place
    diff: object | None = None   # ropa.report.diff.Diff when --diff-against is given

    @property
    def title(self) -> str:
        return "International transfer risk report"

    def transfers_by_verdict(self) -> dict[str, int]:
        """Restricted transfers per verdict (every verdict present, worst first)."""
        c = Counter(t.verdict for t in self.transfers)
        return {v: c[v] for v in VERDICTS}

    def findings_by_severity(self) -> dict[str, int]:
        """Findings per severity, worst first."""
        c = Counter(f.severity for f in self.findings)
        return {s: c[s] for s in reversed(SEVERITIES)}

    def findings_by_rule(self) -> list[tuple[Rule, list[tuple[str, list[Finding]]]]]:
        """Rules that found something (worst first), each with its findings grouped by controller."""
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in self.findings:
            by_rule[f.rule].append(f)
        out = []
        for rule in sorted((r for r in self.rules if r.id in by_rule),
                           key=lambda r: (-max(SEVERITY_RANK[f.severity] for f in by_rule[r.id]), r.id)):
            groups: dict[str, list[Finding]] = defaultdict(list)
            for f in by_rule[rule.id]:
                groups[f.controller or "(not tied to one controller)"].append(f)
            out.append((rule, sorted(groups.items())))
        return out

    def controller_summary(self) -> list[dict]:
        """Per controller: activities, restricted transfers, transfers without a valid basis, findings."""
        activities = Counter(r.controller for r in self.records)
        transfers = Counter(t.controller for t in self.transfers)
        no_basis = Counter(t.controller for t in self.transfers if t.verdict == "no_valid_basis")
        severities = Counter((f.controller, f.severity) for f in self.findings)
        return [{"controller": name, "activities": activities[name], "restricted transfers": transfers[name],
                 "no valid basis": no_basis[name], "high": severities[(name, "high")],
                 "medium": severities[(name, "medium")], "low": severities[(name, "low")]}
                for name in self.controllers]

    # -- what the HTML, PDF and Markdown reports list of the long tables -----------------------

    def register_excerpt(self, limit: int | None = None) -> Excerpt:
        """The register's rows a reader sees: the transfers without a valid basis first, then those
        needing action, ..., spread evenly over the controllers (:data:`REGISTER_LIMIT`)."""
        order = {v: i for i, v in enumerate(VERDICTS)}
        return excerpt(self.transfers, REGISTER_LIMIT if limit is None else limit,
                       rank=lambda t: order[t.verdict], group=lambda t: t.controller)

    def findings_by_rule_excerpt(self, limit: int | None = None) -> list[tuple[Rule, list, int]]:
        """:meth:`findings_by_rule` with up to :data:`RULE_LIMIT` findings per rule, the most severe first,
        spread evenly over the controllers: ``(rule, [(controller, findings shown, findings of the
        controller)], findings of the rule)``."""
        limit = RULE_LIMIT if limit is None else limit
        out = []
        for rule, groups in self.findings_by_rule():
            total = sum(len(items) for _, items in groups)
            if total <= limit:
                out.append((rule, [(c, items, len(items)) for c, items in groups], total))
                continue
            tagged = [(c, f) for c, items in groups for f in items]
            shown = excerpt(tagged, limit, rank=lambda cf: -SEVERITY_RANK[cf[1].severity], group=lambda cf: cf[0])
            kept: dict[str, list[Finding]] = defaultdict(list)
            for _, (c, f) in shown.rows:
                kept[c].append(f)
            out.append((rule, [(c, kept[c], len(items)) for c, items in groups if kept[c]], total))
        return out

    def unlocated_excerpt(self, limit: int | None = None) -> Excerpt:
        return excerpt(self.unlocated, UNLOCATED_LIMIT if limit is None else limit, group=lambda u: u.controller)

    def records_excerpt(self, limit: int | None = None) -> Excerpt:
        """The Art. 30 records the annex shows (:data:`ANNEX_LIMIT`), spread evenly over the controllers."""
        return excerpt(self.records, ANNEX_LIMIT if limit is None else limit, group=lambda a: a.controller)

    def destinations(self) -> dict[str, dict]:
        """Per destination country: its name, the transfers to it and their worst verdict."""
        out: dict[str, dict] = {}
        order = list(VERDICTS)
        for t in self.transfers:
            d = out.setdefault(t.destination, {"name": t.destination_name, "transfers": 0,
                                               "verdicts": Counter(), "worst": "cannot_judge"})
            d["transfers"] += 1
            d["verdicts"][t.verdict] += 1
        for d in out.values():
            d["worst"] = min(d["verdicts"], key=order.index)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["transfers"]))


def load_query(name: str) -> str:
    """The text of a report query in ``ropa/report/queries/``.

    >>> "UNION ALL" in load_query("transfers")
    True
    """
    return (QUERIES_DIR / f"{name}.cypher").read_text(encoding="utf-8")


def build_report(backend, as_of: dt.date | None = None, controllers: list[str] | None = None,
                 source: str = "", since=None, progress=None, findings: list[Finding] | None = None) -> Report:
    """Build the report model from a backend holding a RoPA (see :func:`_build_report`)."""
    with paused_gc():
        report = _build_report(backend, as_of, controllers, source, since, progress, findings)
        promote_young()
    return report


def promote_young() -> None:
    """Move every object the cycle collector tracks into its oldest generation, as if each had survived
    the two young collections (``gc.freeze`` then ``gc.unfreeze``, two list splices; no object is visited).

    The report model is a few million objects (at a million relationships: 303,571 transfers, their paths
    and finding lists, and the rule pack's 585,095 findings when it ran here), all made while the collector
    was paused (:func:`paused_gc`) and all living as long as the report. Left young, the first collection
    after the pause walks every one of them (~1.2 s CPU at 1M), and the next one up walks them again,
    during rendering (~2 s of the HTML report's 4.6 s). Promoted, only a full collection visits them, as
    it would have anyway. A garbage cycle made meanwhile (by a library) is then collected by the next
    full collection rather than the next young one. Nothing is done while anything is frozen
    (``gc.get_freeze_count()``): another caller's frozen objects stay frozen."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _build_report(backend, as_of: dt.date | None = None, controllers: list[str] | None = None,
                  source: str = "", since=None, progress=None, findings: list[Finding] | None = None) -> Report:
    """Build the report model from a backend holding a RoPA.

    ``controllers`` narrows the scope (names, case-insensitive); ``since`` is a
    :class:`ropa.snapshots.Snapshot` to diff against. ``findings``: the rule pack's outcome
    (:func:`ropa.rules.evaluate`) for this very backend state and ``as_of``, when the caller already
    holds it (the explorer): the rule pack is then not run again. The caller answers for its being of
    the same state and date; the findings are read, never changed.

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as store:
    ...     store.replace(example_graph())
    ...     r = build_report(store, dt.date(2026, 11, 22))
    >>> [(t.importer, t.verdict) for t in r.transfers if t.onward]
    [('SMS Relay Inc', 'action_needed')]
    """
    as_of = as_of or dt.date.today()
    check_evaluation_date(as_of)
    # The data fingerprint kept with the stored state when it was written; else one pass over the stored
    # tables gives it and the few columns the records need, without the whole graph in memory (the diff
    # against a snapshot still needs it).
    tables: dict[str, dict[str, list]] = {}
    fingerprint = backend.stored_fingerprint()
    if fingerprint is None:
        fingerprint = fingerprint_of(_keeping(backend.export_tables(), RECORD_COLUMNS, tables))
    else:
        for _ in _keeping(backend.export_tables(only=RECORD_COLUMNS), RECORD_COLUMNS, tables):
            pass
    all_controllers = _controllers(tables)
    scope = _scope(controllers, all_controllers)
    # The store's memory is given back between the big steps once the process has grown enough to be worth
    # a reopen (MemoryGate, as between the rules): the peak stays near the largest step's, not their sum
    # (see EmbeddedBackend.release_memory), and a small store is not reopened for nothing.
    gate = MemoryGate(backend)
    if findings is None:
        gate()
        findings = evaluate(backend, as_of, progress=progress)
    gate()
    transfers = read_transfers(backend, as_of)
    gate()
    unlocated = [_unlocated(r) for r in backend.run(load_query("unlocated"), {"asOf": as_of})]
    records = build_records(tables, transfer_lines(transfers, unlocated))
    del tables

    in_scope = set(scope)
    recipients_in_scope = {t.importer for t in transfers if t.controller in in_scope} | \
                          {u.importer for u in unlocated if u.controller in in_scope}
    findings = [f for f in findings if f.controller in in_scope
                or (not f.controller and f.subject in recipients_in_scope)]
    transfers = [t for t in transfers if t.controller in in_scope]
    unlocated = sorted((u for u in unlocated if u.controller in in_scope),
                       key=lambda u: (u.controller, u.activity, u.importer))
    records = [r for r in records if r.controller in in_scope]
    judge(transfers, findings)
    transfers = sort_worst_first(transfers, presorted=True)  # read_transfers' order, some left out

    report = Report(
        as_of=as_of, generated=dt.datetime.now().replace(microsecond=0), source=source,
        fingerprint=fingerprint[:12], controllers=scope, scoped=controllers is not None and
        bool(controllers), rule_pack_version=rule_pack_version(), tool_version=__version__,
        rules=load_rules(), findings=findings, transfers=transfers, unlocated=unlocated, records=records,
        reference=reference_files(), provenance=read_provenance(backend))
    if since is not None:
        from .diff import diff_against
        report.diff = diff_against(since, backend.export(), findings, scope)
    return report


# -- pieces ----------------------------------------------------------------------

def _controllers(tables: dict[str, dict[str, list]]) -> list[str]:
    return sorted({c for c in tables["Activity"]["controller"] if c}, key=str.casefold)


def _keeping(tables, wanted: dict[str, tuple], kept: dict[str, dict[str, list]]):
    """Pass ``(part, name, columns)`` tables through, keeping the ``wanted`` columns of each in ``kept``."""
    for part, name, columns in tables:
        if name in wanted:
            kept[name] = {c: columns[c] for c in wanted[name]}
        yield part, name, columns


def _scope(wanted: list[str] | None, known: list[str]) -> list[str]:
    """The controllers in scope; a name that matches none is an input error."""
    if not wanted:
        return known
    by_key = {k.casefold(): k for k in known}
    out, problems = [], []
    for name in wanted:
        hit = by_key.get(name.strip().casefold())
        if hit is None:
            problems.append(Problem(None, None, "--controller", name,
                                    "no such controller; known: " + ", ".join(known)))
        elif hit not in out:
            out.append(hit)
    if problems:
        raise InputError(problems)
    return out


def _name(v) -> str:
    if isinstance(v, dict):
        return str(v.get("name") or v.get("id") or "")
    return "" if v is None else str(v)


def _unlocated(r: dict) -> Unlocated:
    return Unlocated(controller=_name(r["controller"]), activity=_name(r["activity"]),
                     exporter=_name(r["exporter"]), importer=_name(r["importer"]), role=_name(r.get("role")),
                     mechanism=_name(r.get("mechanism_raw") or r.get("mechanism")),
                     evidence=_name(r.get("evidence")), source=_name(r.get("source")),
                     row=int(r["row"]) if r.get("row") is not None else None)


def reference_files(directory: Path = REFERENCE_DIR) -> list[ReferenceFile]:
    """Each reference-data file with its row count, review dates and confidence counts.

    >>> [f.name for f in reference_files()][:2]
    ['adequacy.csv', 'countries.csv']
    """
    out = []
    for path in sorted(directory.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fp:
            rows = list(csv.DictReader(fp))
        reviewed = sorted({r.get("reviewed") or "" for r in rows} - {""})
        confidence = Counter(r["confidence"] for r in rows if r.get("confidence"))
        out.append(ReferenceFile(path.name, len(rows), reviewed, dict(sorted(confidence.items()))))
    return out
