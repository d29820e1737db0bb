"""The rule pack: ``queries/<rule_id>.cypher`` files and their evaluation.

A rule file starts with a header of ``// key: value`` lines (title, severity,
article, legal_source, remediation, judges) and holds one read-only Cypher query that
takes ``$asOf`` (a date) and returns one row per finding with the columns
``rule, severity, subject, path, reason, legal_source, evidence`` and
optionally ``controller, activity, exporter, importer, destination,
mechanism, remediation, source, row``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import RuleError
from .findings import SEVERITIES, Finding, finalise, paused_gc

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
HEADER_FIELDS = ("title", "severity", "article", "legal_source", "remediation", "judges")
# What a rule's findings are about (header ``judges``): ``transfer`` - they decide the verdict of the
# transfer they name (see ropa.transfers); ``place`` - why a destination cannot be resolved (an
# unresolved transfer cannot be judged); ``contract`` (Art. 28) and ``record`` (Art. 30) - reported under
# their rule, they decide no transfer's verdict.
JUDGES = ("transfer", "place", "contract", "record")
REQUIRED_COLUMNS = ("rule", "severity", "subject", "path", "reason", "legal_source", "evidence")
HEADER_LINE = re.compile(r"^//\s*([a-z_]+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Rule:
    """One rule file: its header and its query text."""

    id: str
    title: str
    severity: str
    article: str
    legal_source: str
    remediation: str
    query: str
    path: Path
    judges: str = "transfer"


def parse_rule(path: Path) -> Rule:
    """Read a rule file and check its header.

    >>> parse_rule(QUERIES_DIR / "safe_harbor_reliance.cypher").severity
    'high'
    """
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        m = HEADER_LINE.match(line)
        if m and m.group(1) in HEADER_FIELDS:
            key = m.group(1)
            header[key] = m.group(2).strip()
        elif key and line.startswith("//  ") and line[2:].strip():  # an indented line continues the field
            header[key] += " " + line[2:].strip()
        else:  # any other comment is the query's own: the header has ended
            break
    missing = [f for f in HEADER_FIELDS if not header.get(f)]
    if missing:
        raise RuleError(f"{path.name}: header lacks {', '.join(missing)}")
    sev = header["severity"].split("/")[0].strip()
    if sev not in SEVERITIES:
        raise RuleError(f"{path.name}: severity {header['severity']!r} is not one of {', '.join(SEVERITIES)}")
    if header["judges"] not in JUDGES:
        raise RuleError(f"{path.name}: judges {header['judges']!r} is not one of {', '.join(JUDGES)}")
    return Rule(path.stem, header["title"], sev, header["article"], header["legal_source"],
                header["remediation"], text, path, header["judges"])


@lru_cache(maxsize=1)
def _load(directory: str) -> tuple[Rule, ...]:
    return tuple(parse_rule(p) for p in sorted(Path(directory).glob("*.cypher")))


def load_rules(directory: Path | None = None) -> list[Rule]:
    """Every rule of the pack, sorted by id."""
    return list(_load(str(directory or QUERIES_DIR)))


def rule_pack_version(directory: Path | None = None) -> str:
    """A short content hash of the rule pack, printed in reports."""
    import hashlib
    h = hashlib.sha256()
    for r in load_rules(directory):
        h.update(r.id.encode() + b"\0" + r.query.encode())
    return h.hexdigest()[:12]


def run_rule(backend, rule: Rule, as_of: dt.date) -> list[Finding]:
    """Run one rule on a backend; each row becomes a Finding."""
    columns = backend.run_columns(rule.query, {"asOf": as_of})
    if columns:
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise RuleError(f"{rule.id}: result lacks column(s) {', '.join(missing)}")
    return Finding.from_columns(columns, rule)


def evaluate(backend, as_of: dt.date | None = None, rules: list[Rule] | None = None,
             progress=None) -> list[Finding]:
    """Run the rule pack as of a date; findings sorted worst first.

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as store:
    ...     store.replace(example_graph())
    ...     sorted({f.rule for f in evaluate(store, dt.date(2026, 11, 22))})[:2]
    ['incomplete_record', 'onward_transfer_chain']
    """
    as_of = as_of or dt.date.today()
    from .reference import check_evaluation_date
    check_evaluation_date(as_of)
    rules = rules if rules is not None else load_rules()
    findings: list[Finding] = []
    # Hundreds of thousands of small acyclic objects: the cyclic garbage collector would
    # rescan them again and again while they are made.
    with paused_gc():
        # The store may give back each rule's working memory (a read-only LadybugDB store: the peak is
        # then the largest rule's, not the pack's; see EmbeddedBackend.release_memory).
        release = getattr(backend, "release_memory", None)
        for i, rule in enumerate(rules):
            if progress:
                progress(i / max(1, len(rules)), rule.id)
            findings.extend(run_rule(backend, rule, as_of))
            if release is not None and i + 1 < len(rules):
                release()
        return finalise(findings)
