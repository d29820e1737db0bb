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
        # The store may give back its working memory between rules (a read-only LadybugDB store: see
        # EmbeddedBackend.release_memory), once it has grown enough to be worth a reopen (MemoryGate).
        gate = MemoryGate(backend)
        for i, rule in enumerate(rules):
            if progress:
                progress(i / max(1, len(rules)), rule.id)
            findings.extend(run_rule(backend, rule, as_of))
            if i + 1 < len(rules):
                gate()
        return finalise(findings)


# How much the process may grow between two rules of the pack before the store gives its memory back.
RELEASE_ABOVE_MB = 512


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


try:
    import os as _os
    _PAGE = _os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # pragma: no cover - not a POSIX system
    _PAGE = 4096


class MemoryGate:
    """Calls the store's ``release_memory`` between rules only once the process has grown by more than
    ``above_mb`` (default :data:`RELEASE_ABOVE_MB`) since the gate was made or last released.

    A reopen costs 40-90 ms and throws away the pages the next rule would read again (the rules scan the
    same relationship columns): releasing after every rule cost ~0.8-1 s of the pack's ~14 s CPU at a
    million relationships and ~0.6 s of 2.2 s at 100k (docs/scale.md). Releasing only after growth keeps
    the peak near what it was (the largest rule's working memory plus at most ``above_mb``) and skips the
    reopens that would free little.
    Where the resident memory cannot be read, it releases every time (as before).
    """

    def __init__(self, backend, above_mb: int | None = None):
        self._release = getattr(backend, "release_memory", None)
        self._above = (RELEASE_ABOVE_MB if above_mb is None else above_mb) << 20
        self._mark = resident_bytes()

    def __call__(self) -> bool:
        """Release if grown enough; True when it did."""
        if self._release is None:
            return False
        now = resident_bytes()
        if now is not None and self._mark is not None and now - self._mark <= self._above:
            return False
        self._release()
        self._mark = resident_bytes()
        return True
