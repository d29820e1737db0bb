"""The register of restricted transfers: one verdict per transfer, decided once, here.

Every surface that shows a transfer's verdict (the explorer's Transfers page and
Graph colouring, every report format, ``ropa transfers``) reads it from this
module; none decides one itself.

* :func:`read_transfers` reads every restricted transfer from a store with the report query
  ``ropa/report/queries/transfers.cypher``: one per (hop, processing country outside the
  EEA, or a place that cannot be resolved), with the whole path of an onward transfer
  (the sub-processor chain stored on the hop), the mechanism recorded and the adequacy
  decision in force on the evaluation date.
* :func:`judge` lays the rule pack's findings on them. Only the rules whose header says
  ``judges: transfer`` decide a verdict; a rule that says ``judges: place``
  (``unknown_country``) says why an unresolved destination cannot be judged; the others
  (``judges: contract``, ``judges: record``) are reported under their rule and colour no
  transfer. The verdict follows the worst deciding finding (:func:`verdict_of`).
* :func:`build_register` does both and sorts the register worst first;
  :func:`register_rows` gives its rows in the columns of the report's CSV
  (:data:`REGISTER_COLUMNS`), which ``ropa transfers`` prints.

The vocabulary is :data:`VERDICTS` (id -> label, worst first), everywhere.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Iterable

from .findings import SEVERITY_RANK, Finding
from .palette import VERDICT_LABELS as _LABELS, VERDICTS as _PALETTE_VERDICTS

QUERY = Path(__file__).resolve().parent / "report" / "queries" / "transfers.cypher"
LOOKUPS_QUERY = QUERY.with_name("transfer_lookups.cypher")  # what the hops name by id, once each
DATA_QUERY = QUERY.with_name("transfer_data.cypher")  # the data categories and subjects of the activities

# Verdict id -> label, worst first. A transfer that cannot be judged ranks above one whose basis is recorded:
# a DPO must look at it.
VERDICTS = {v: _LABELS[v] for v in _PALETTE_VERDICTS if v != "none"}
VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}
VERDICT_HELP = {
    "no_valid_basis": "a high finding: the transfer rests on nothing valid on the evaluation date.",
    "action_needed": "a medium or low finding: the basis is there, something around it is missing.",
    "cannot_judge": "the destination cannot be resolved to a country, so the basis cannot be checked.",
    "basis_recorded": "no finding: the register records a basis that is valid on the evaluation date.",
}
NOT_A_TRANSFER = "none"  # a hop whose importer processes data inside the EEA only (the graph draws it too)
NOT_A_TRANSFER_LABEL = _LABELS["none"]

# What a rule's ``judges`` header may say.
JUDGES = ("transfer", "place", "contract", "record")


def transfer_rules(rules=None) -> frozenset[str]:
    """Ids of the rules whose findings decide a transfer's verdict (header ``judges: transfer``).

    >>> sorted(transfer_rules())[:2]
    ['adequacy_out_of_scope', 'onward_transfer_chain']
    """
    if rules is None:
        from .rules import load_rules
        rules = load_rules()
    return frozenset(r.id for r in rules if r.judges == "transfer")


def place_rules(rules=None) -> frozenset[str]:
    """Ids of the rules that say why a place cannot be resolved (header ``judges: place``)."""
    if rules is None:
        from .rules import load_rules
        rules = load_rules()
    return frozenset(r.id for r in rules if r.judges == "place")


def verdict_of(findings: Iterable[Finding], resolved: bool = True) -> str:
    """The verdict of one transfer from the deciding findings on it (those of the transfer rules, and
    for an unresolved destination those of the place rules).

    >>> f = Finding("outdated_scc", "high", "X")
    >>> verdict_of([f]), verdict_of([]), verdict_of([], resolved=False), verdict_of([f], resolved=False)
    ('no_valid_basis', 'basis_recorded', 'cannot_judge', 'no_valid_basis')
    """
    deciding = _transfer_rules()
    worst = max((_get(f, "severity") for f in findings if _get(f, "rule") in deciding), key=SEVERITY_RANK.get,
                default="")
    return _verdict(worst, resolved)


def _verdict(worst: str, resolved: bool) -> str:
    """The verdict from the worst severity among the deciding findings ("" for none)."""
    if worst == "high":
        return "no_valid_basis"
    if not resolved:
        return "cannot_judge"
    return "action_needed" if worst else "basis_recorded"


def _get(f, key: str):
    return f.get(key) if isinstance(f, dict) else getattr(f, key)


def edge_verdict(transfer: bool, findings: Iterable = (), hop: tuple | None = None,
                 verdicts: dict | None = None) -> str:
    """The verdict a drawn hop shows: ``none`` when it is no restricted transfer; else the register's
    (``verdicts``, :func:`hop_verdicts`, by (activity id, exporter id, importer id)) when given; else, for a
    graph read without a store, :func:`verdict_of` its findings (a place-rule finding on it - its
    destination cannot be resolved - makes it "cannot be judged", as :func:`judge` does).

    >>> edge_verdict(False), edge_verdict(True, [{"rule": "unknown_country", "severity": "low"}])
    ('none', 'cannot_judge')
    >>> edge_verdict(True, [], ("a", "x", "i"), {("a", "x", "i"): "no_valid_basis"})
    'no_valid_basis'
    """
    if not transfer:
        return NOT_A_TRANSFER
    if verdicts is not None and hop in verdicts:
        return verdicts[hop]
    findings = list(findings)
    places = _place_rules()
    return verdict_of(findings, resolved=not any(_get(f, "rule") in places for f in findings))


def worst_verdict(verdicts: Iterable[str]) -> str:
    """The worst of some verdicts (``none`` when there is none: not a restricted transfer).

    >>> worst_verdict(["basis_recorded", "cannot_judge"]), worst_verdict([])
    ('cannot_judge', 'none')
    """
    return min(verdicts, key=VERDICT_ORDER.get, default=NOT_A_TRANSFER)


def verdict_label(verdict: str) -> str:
    """The words for a verdict id (or for ``none``)."""
    return VERDICTS.get(verdict, NOT_A_TRANSFER_LABEL)


_RULES_CACHE: dict[str, frozenset[str]] = {}


def _transfer_rules() -> frozenset[str]:
    if "t" not in _RULES_CACHE:
        _RULES_CACHE["t"] = transfer_rules()
    return _RULES_CACHE["t"]


def _place_rules() -> frozenset[str]:
    if "p" not in _RULES_CACHE:
        _RULES_CACHE["p"] = place_rules()
    return _RULES_CACHE["p"]


@dataclass(slots=True)
class Transfer:
    """One restricted transfer: a hop whose importer processes data outside the EEA (one row per
    such country, or per place that cannot be resolved)."""

    controller: str
    activity: str
    exporter: str
    importer: str
    role: str
    path: list[str]
    destination: str
    destination_name: str
    resolved: bool
    mechanism: str
    mechanism_label: str
    mechanism_raw: str
    mechanism_date: dt.date | None
    tia: bool | None
    requires_tia: bool
    adequacy: str
    adequacy_scope: str
    basis_legal_source: str
    evidence: str
    source: str
    row: int | None
    activity_id: str = ""
    exporter_id: str = ""
    importer_id: str = ""
    hop_type: str = ""
    src_id: str = ""
    findings: list[Finding] = field(default_factory=list)
    verdict: str = "basis_recorded"
    data_categories: list[str] = field(default_factory=list)  # of the activity (the register records them there)
    data_subjects: list[str] = field(default_factory=list)
    evidence_at: str = ""         # where the quote stands in its document (section, line, characters)
    source_name: str = ""         # the document as a reader names it: “title” (file or URL), else its id

    @property
    def hop(self) -> tuple[str, str, str, str]:
        """(controller, activity, exporter, importer): the hop this transfer is on (as findings name it)."""
        return (self.controller, self.activity, self.exporter, self.importer)

    @property
    def onward(self) -> bool:
        """True for a hop further down a sub-processor chain."""
        return len(self.path) > 2

    @property
    def severity(self) -> str:
        """The worst severity among the findings on this transfer, or ``""``."""
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.get, default="")

    @property
    def verdict_label(self) -> str:
        return VERDICTS[self.verdict]

    @property
    def legal_source(self) -> str:
        """The law the verdict rests on: the findings' sources, else the basis's own."""
        sources = _unique(f.legal_source for f in self.findings)
        return "; ".join(sources) if sources else self.basis_legal_source

    @property
    def remediation(self) -> str:
        return " ".join(_unique(f.remediation for f in self.findings))

    @property
    def reasons(self) -> list[str]:
        return _unique(f.reason for f in self.findings)

    @property
    def rules_text(self) -> str:
        """The rules that found something here, by title (id in brackets), worst first."""
        return "; ".join(_unique(f"{f.title or f.rule} ({f.rule})" for f in self.findings))

    @property
    def mechanism_text(self) -> str:
        """The mechanism as a reader wants it: label, date, TIA."""
        return mechanism_summary(self.mechanism, self.mechanism_label, self.mechanism_date, self.requires_tia,
                                 self.tia)

    @property
    def source_ref(self) -> str:
        """Where the row came from: the document (its title and file or URL when known, else its id) and the
        quote's place in it, else the row number (:meth:`ropa.provenance.Provenance.cite`)."""
        if not self.source:
            return ""
        where = self.evidence_at or (f"row {self.row}" if self.row is not None else "")
        return ", ".join(x for x in (self.source_name or self.source, where) if x)


def mechanism_summary(mechanism: str | None, label: str | None, date, requires_tia: bool, tia) -> str:
    """A transfer's mechanism as a reader wants it: label, date, TIA (the register's and the Art. 30 record's words).

    >>> mechanism_summary("scc_2021", "SCC 2021", dt.date(2023, 4, 1), True, False)
    'SCC 2021, dated 2023-04-01; no TIA recorded'
    >>> mechanism_summary("none", "", None, False, None)
    'None recorded'
    """
    if not mechanism or mechanism == "none":
        text = "None recorded"
    else:
        text = label or mechanism
    if date:
        text += f", dated {date.isoformat() if hasattr(date, 'isoformat') else str(date)[:10]}"
    if requires_tia or tia:
        text += "; TIA recorded" if tia else "; no TIA recorded"
    return text


def _unique(values) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def _name(v) -> str:
    if isinstance(v, dict):
        return str(v.get("name") or v.get("id") or "")
    return "" if v is None else str(v)


def _columns(backend, query: str, params: dict) -> dict[str, list]:
    """A query's result column by column: through the backend's ``run_columns`` where it has one
    (no dict per row: the transfer query gives some 320,000 rows at 1M relationships), else from ``run``."""
    run_columns = getattr(backend, "run_columns", None)
    if run_columns is not None:
        return run_columns(query, params)
    rows = backend.run(query, params)
    return {name: [row[name] for row in rows] for name in (rows[0] if rows else ())}


FIELDS = ("controller", "activity", "exporter", "importer", "role", "path", "destination",
          "destination_name", "resolved", "mechanism", "mechanism_raw", "mechanism_date", "mechanism_label",
          "mechanism_kind", "mechanism_legal_source", "requires_tia", "tia", "adequacy", "adequacy_scope",
          "adequacy_legal_source", "evidence", "source", "row", "activity_id", "exporter_id", "importer_id",
          "hop_type", "src_id", "mechanism_invalid_from", "evidence_at")


# The lookups' rows (transfer_lookups.cypher, by ``kind``) and the hops' columns they fill.
_MECHANISM_COLUMNS = ("mechanism_label", "mechanism_kind", "mechanism_legal_source", "requires_tia",
                      "mechanism_invalid_from")
_MECHANISM_LOOKUP = ("name", "mechanism_kind", "legal_source", "requires_tia", "invalid_from")
_ADEQUACY_COLUMNS = ("adequacy", "adequacy_scope", "adequacy_legal_source")
_ADEQUACY_LOOKUP = ("name", "scope", "legal_source")
_NOBODY = object()


def transfer_columns(backend, as_of: dt.date) -> dict[str, list]:
    """Every restricted transfer's row (:data:`FIELDS`), column by column: the hops of the transfers query with
    what its lookups query gives laid on them (:func:`_joined`)."""
    return _joined(_columns(backend, QUERY.read_text(encoding="utf-8"), {"asOf": as_of}),
                   _columns(backend, LOOKUPS_QUERY.read_text(encoding="utf-8"), {"asOf": as_of}))


def _joined(hops: dict[str, list], lookups: dict[str, list]) -> dict[str, list]:
    """The transfers query's hops with their exporter's name, mechanism, adequacy decisions in force and path
    laid on them from the lookups query's rows (see the queries' headers), as joins in the query would lay them:

    * ``MATCH (exp:Organisation) WHERE exp.id = h.exporter``: a hop whose exporter is no organisation is left
      out; one row per organisation of that id (one: ids are keys);
    * ``OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism``: its label, kind, legal source, TIA and
      invalidity, or nulls;
    * ``OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(k) WHERE <in force>``: one row per decision in force for the
      destination (none, or one, on the reference data), or one row of nulls;
    * the path: ``[c.name, imp.name]`` of a DISCLOSES_TO hop, ``[c.name] + split(h.via, sep) + [imp.name]`` of
      an ENGAGES hop, the chain split by the store (its own ``split``) once per distinct ``via``.

    Column by column (a dict lookup per hop and column) when every id stands for one row, which is the rule;
    row by row otherwise. The hops' ``via`` is not kept."""
    if not hops or not hops["hop_type"]:
        return {f: [] for f in FIELDS} if hops else hops
    found: dict[str, dict] = {k: defaultdict(list) for k in ("Organisation", "Mechanism", "Adequacy")}
    chains: dict = {}
    kinds, ids = lookups.get("kind", ()), lookups.get("id", ())
    for i, (kind, key) in enumerate(zip(kinds, ids)):
        if kind == "Organisation":
            found[kind][key].append(lookups["name"][i])
        elif kind == "Mechanism":
            found[kind][key].append(tuple(lookups[f][i] for f in _MECHANISM_LOOKUP))
        elif kind == "Adequacy":
            found[kind][key].append(tuple(lookups[f][i] for f in _ADEQUACY_LOOKUP))
        elif kind == "Chain":
            chains[key] = lookups["chain"][i]
    names, mechanisms, decisions = found["Organisation"], found["Mechanism"], found["Adequacy"]
    out = {f: col for f, col in hops.items() if f != "via"}
    out["path"] = [[c, i] if t == "DISCLOSES_TO" else [c, *chains[v], i]
                   for c, v, i, t in zip(hops["controller"], hops["via"], hops["importer"], hops["hop_type"])]
    if all(len(v) == 1 for d in (names, mechanisms, decisions) for v in d.values()):
        name = {k: v[0] for k, v in names.items()}
        exporter = [name.get(x, _NOBODY) for x in out["exporter_id"]]
        if any(v is _NOBODY for v in exporter):
            kept = [i for i, v in enumerate(exporter) if v is not _NOBODY]
            out = {f: _take(col, kept) for f, col in out.items()}
            exporter = _take(exporter, kept)
        out["exporter"] = exporter
        for j, f in enumerate(_MECHANISM_COLUMNS):
            value = {k: v[0][j] for k, v in mechanisms.items()}
            out[f] = [value.get(x) for x in out["mechanism"]]
        for j, f in enumerate(_ADEQUACY_COLUMNS):
            value = {k: v[0][j] for k, v in decisions.items()}
            out[f] = [value.get(x) for x in out["destination"]]
        return out
    rows, exporters, mechanism_rows, adequacy_rows = [], [], [], []
    none_m, none_a = (None,) * len(_MECHANISM_COLUMNS), (None,) * len(_ADEQUACY_COLUMNS)
    for i, (exporter_id, mechanism, destination) in enumerate(zip(out["exporter_id"], out["mechanism"],
                                                                   out["destination"])):
        for exporter in names.get(exporter_id, ()):
            for m in mechanisms.get(mechanism) or (none_m,):
                for a in decisions.get(destination) or (none_a,):
                    rows.append(i)
                    exporters.append(exporter)
                    mechanism_rows.append(m)
                    adequacy_rows.append(a)
    paths = out["path"]
    out = {f: _take(col, rows) for f, col in out.items()}
    # a hop on several rows (two decisions in force): a path of its own on each, as the query gave
    out["path"] = [list(paths[i]) for i in rows]
    out["exporter"] = exporters
    for j, f in enumerate(_MECHANISM_COLUMNS):
        out[f] = [m[j] for m in mechanism_rows]
    for j, f in enumerate(_ADEQUACY_COLUMNS):
        out[f] = [a[j] for a in adequacy_rows]
    return out


def _take(column: list, rows: list[int]) -> list:
    """The values of ``column`` at ``rows``, in that order."""
    if len(rows) > 1:
        return list(itemgetter(*rows)(column))
    return [column[i] for i in rows]


def read_transfers(backend, as_of: dt.date) -> list[Transfer]:
    """Every restricted transfer in a store (not yet judged: see :func:`judge`), in a fixed order, with the
    data categories and subjects of its activity."""
    transfers = _transfers(transfer_columns(backend, as_of), as_of)
    _lay_data(backend, transfers)
    return transfers


def _lay_data(backend, transfers: list[Transfer]) -> None:
    """Give each transfer its activity's data categories and subjects (sorted, each once: one query for every
    activity's, those without a transfer left aside) and its document's name as a reader knows it (:mod:`ropa.provenance`)."""
    if not transfers:
        return
    cols = _columns(backend, DATA_QUERY.read_text(encoding="utf-8"), {})
    ids = {t.activity_id for t in transfers}
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for act, kind, name in zip(cols.get("activity_id", ()), cols.get("kind", ()), cols.get("name", ())):
        if name and act in ids:
            found[(act, kind)].add(str(name))
    from .provenance import read_provenance
    prov = read_provenance(backend)
    names = {s: prov.document(s) for s in {t.source for t in transfers}}  # a few documents, many transfers
    for t in transfers:
        t.source_name = names[t.source]
    cats = {a: sorted(v, key=str.casefold) for (a, k), v in found.items() if k == "category"}
    subjects = {a: sorted(v, key=str.casefold) for (a, k), v in found.items() if k == "subject"}
    for t in transfers:
        t.data_categories = cats.get(t.activity_id, [])
        t.data_subjects = subjects.get(t.activity_id, [])


@lru_cache(maxsize=1)
def _instruments() -> dict[str, str]:
    """Mechanism id -> the instrument alone (its legal source up to the first ';': without what befell it later)."""
    from .reference import load_mechanisms
    m = load_mechanisms()
    return {i: str(src).split(";")[0].strip() for i, src in zip(m["id"], m["legal_source"])}


def _names(column) -> list[str]:
    """:func:`_name` of every value of a column. Most columns hold only texts, or texts and nulls: the
    column itself, or one pass without a call per value, for those."""
    kinds = set(map(type, column))
    if kinds <= {str}:
        return column
    if kinds <= {str, type(None)}:
        return [v or "" for v in column]
    return [v if type(v) is str else _name(v) for v in column]


def _paths(column) -> list[list[str]]:
    """Every row's path as a list of names (:func:`_name` of each; none for a null path): the lists as
    given when every name is a text, which is the rule."""
    if set(map(type, column)) <= {list} and set(map(type, chain.from_iterable(column))) <= {str}:
        return column
    return [[p if type(p) is str else _name(p) for p in (path or ())] for path in column]


_BY_MECHANISM = frozenset(("art46", "derogation", "invalidated"))  # kinds whose basis is the mechanism itself


def _transfers(cols: dict[str, list], as_of: dt.date | None = None) -> list[Transfer]:
    """Transfers from the query's columns; a hop found by several chains keeps its shortest path.

    A column at a time: the texts (:func:`_names`), each row's basis, its key; a rank (the tie-break
    between rows of the same key, and the last of the sort key) only for the rows that need one; the
    order by integer codes of the casefolded texts; one :class:`Transfer` per kept row."""
    if not cols or not cols["controller"]:
        return []
    n = len(cols["controller"])
    text = {f: _names(cols[f]) for f in ("controller", "activity", "exporter", "importer", "role", "destination",
                                          "destination_name", "mechanism", "mechanism_label", "mechanism_raw",
                                          "adequacy", "adequacy_scope", "evidence", "source", "activity_id",
                                          "exporter_id", "importer_id", "hop_type", "src_id", "evidence_at")}
    kinds = cols["mechanism_kind"]
    instruments = _instruments() if "invalidated" in kinds else {}
    mechanism = text["mechanism"]
    bases = [
        # still valid on the date (the Privacy Shield on 2020-07-01): cite the instrument, not its later fall
        (instruments.get(m, "") or ml or "")
        if kind == "invalidated" and as_of is not None and inv is not None and as_of < inv
        else (ml or "") if kind in _BY_MECHANISM
        else (al or "")  # adequacy, DPF or nothing recorded: the decision in force is the basis, if any
        for kind, m, ml, al, inv in zip(kinds, mechanism, cols["mechanism_legal_source"],
                                        cols["adequacy_legal_source"], cols["mechanism_invalid_from"])]
    paths = _paths(cols["path"])
    resolved = cols["resolved"]
    destination, destination_name = text["destination"], text["destination_name"]
    if not all(resolved):  # an unresolved place: named as written, in both columns
        destination_name = [d if ok else (d or k) for k, d, ok in zip(destination, destination_name, resolved)]
        destination = [k if ok else d for k, d, ok in zip(destination, destination_name, resolved)]
    controller, activity, exporter, importer = (text[f] for f in ("controller", "activity", "exporter", "importer"))
    rows, activity_id, exporter_id, src_id, importer_id = (
        cols["row"], text["activity_id"], text["exporter_id"], text["src_id"], text["importer_id"])

    def rank(i: int) -> tuple:
        # ties between same-named organisations or activities go to the smallest ids: the same row whatever
        # order the engine returned them in
        return (len(paths[i]), paths[i], -1 if rows[i] is None else rows[i], activity_id[i], exporter_id[i],
                src_id[i], importer_id[i])

    keys = list(zip(controller, activity, exporter, importer, destination))
    first: dict[tuple, int] = {}   # a repeated key's first row: rows of the same rank keep that order
    if len(set(keys)) == n:
        kept = range(n)
    else:  # a hop found by several chains: its row of the smallest rank, the first of equal ones
        count = Counter(keys)
        best: dict[tuple, tuple] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
            if count[key] > 1:
                r = rank(i)
                old = best.get(key)
                if old is None or r < old[0]:
                    best[key] = (r, i)
        kept = [i for i, key in enumerate(keys) if count[key] == 1 or best[key][1] == i]

    # The register's order: controller, activity, chain length, importer, destination, exporter (texts
    # casefolded), then the rank. Each text column as integer codes in its order, sorted by numpy.
    import numpy as np

    def codes(column, fold=True):
        values = sorted({v.casefold() for v in column} if fold else set(column))
        code = {v: c for c, v in enumerate(values)}
        if fold:
            folded = {v: code[v.casefold()] for v in set(column)}
            return np.fromiter(map(folded.__getitem__, column), dtype=np.int64, count=len(column))
        return np.fromiter(map(code.__getitem__, column), dtype=np.int64, count=len(column))

    kept = np.asarray(kept, dtype=np.int64)
    sort_keys = [codes(controller), codes(activity), np.fromiter(map(len, paths), dtype=np.int64, count=n),
                 codes(importer), codes(destination, fold=False), codes(exporter)]
    sort_keys = [k[kept] for k in sort_keys]
    order = np.lexsort(sort_keys[::-1])
    perm = kept[order].tolist()
    # rows equal in all six (same names up to case): by their rank
    same = np.ones(len(perm) - 1, dtype=bool)
    for k in sort_keys:
        k = k[order]
        same &= k[1:] == k[:-1]
    for lo, hi in _runs(same):
        perm[lo:hi] = sorted(perm[lo:hi], key=lambda i: (rank(i), first.get(keys[i], i)))

    def take(column):
        return _take(column, perm)

    m = len(perm)
    return list(map(
        Transfer, take(controller), take(activity), take(exporter), take(importer), take(text["role"]),
        take(paths), take(destination), take(destination_name), [bool(v) for v in take(resolved)],
        take(mechanism), take(text["mechanism_label"]), take(text["mechanism_raw"]), take(cols["mechanism_date"]),
        take(cols["tia"]), [bool(v) for v in take(cols["requires_tia"])], take(text["adequacy"]),
        take(text["adequacy_scope"]), take(bases), take(text["evidence"]), take(text["source"]),
        [None if v is None else int(v) for v in take(rows)], take(activity_id), take(exporter_id),
        take(importer_id), take(text["hop_type"]), take(src_id),
        [[] for _ in range(m)], repeat("basis_recorded", m), [[] for _ in range(m)], [[] for _ in range(m)],
        take(text["evidence_at"]), repeat("", m)))


def _runs(same) -> list[tuple[int, int]]:
    """(start, stop) of each run of rows equal to their next (``same[i]``: row i equals row i + 1).

    >>> import numpy as np
    >>> _runs(np.array([False, True, True, False, True]))
    [(1, 4), (4, 6)]
    """
    import numpy as np
    at = np.flatnonzero(same)
    if not len(at):
        return []
    breaks = np.flatnonzero(np.diff(at) != 1) + 1
    return [(int(run[0]), int(run[-1]) + 2) for run in np.split(at, breaks)]


_hop_key = attrgetter("controller", "activity", "exporter", "importer")  # of a finding, as Transfer.hop
_row_key = attrgetter("controller", "activity", "exporter", "importer", "destination")  # a transfer's own
_rule_of, _severity_of, _resolved_of = attrgetter("rule"), attrgetter("severity"), attrgetter("resolved")


def judge(transfers: list[Transfer], findings: Iterable[Finding]) -> None:
    """Give each transfer the findings that decide it, worst first (by severity, then rule; of equal ones, in
    the order given), and its verdict (:func:`verdict_of`).

    A deciding finding goes to the transfers of its hop (controller, activity, exporter, importer): to the one
    whose destination it names, else (it names none of the hop's destinations, or no country) to all of them.
    A place finding goes to the unresolved transfers of the recipient it names.

    A column at a time (hundreds of thousands of findings at a million relationships): a finding's transfer
    is one dict lookup, done in C (``map``), by (hop, destination), which is a transfer's key; only the few
    findings that name no destination of their hop, and the place findings, are gone through one by one.
    The (transfer, finding) pairs are ordered by numpy and each transfer's findings are a slice of them."""
    import numpy as np
    findings = findings if isinstance(findings, list) else list(findings)
    n, m = len(transfers), len(findings)
    if not n:
        return
    deciding, places = _transfer_rules(), _place_rules()
    rules = list(map(_rule_of, findings))
    rule_code = {r: c for c, r in enumerate(sorted(set(rules)))}
    codes = np.fromiter(map(rule_code.__getitem__, rules), dtype=np.int64, count=m)
    is_deciding = np.array([r in deciding for r in rule_code], dtype=bool)[codes] if m else np.zeros(0, bool)
    row_of = dict(zip(map(_row_key, transfers), range(n)))  # transfers are unique by it (see _transfers)
    candidates = np.flatnonzero(is_deciding)
    hit = np.fromiter(map(row_of.get, map(_row_key, compress(findings, is_deciding.tolist())), repeat(-1)),
                      dtype=np.int64, count=len(candidates))
    pairs_t, pairs_f = [hit[hit >= 0]], [candidates[hit >= 0]]
    more_t: list[int] = []
    more_f: list[int] = []
    others = candidates[hit < 0].tolist()
    if others:  # a finding that names none of its hop's destinations applies to every one of them
        hops: dict[tuple, list[int]] = {_hop_key(findings[j]): [] for j in others}
        for i, key in enumerate(map(_hop_key, transfers)):
            if key in hops:
                hops[key].append(i)
        for j in others:
            for i in hops[_hop_key(findings[j])]:
                more_t.append(i)
                more_f.append(j)
    place_codes = [c for r, c in rule_code.items() if r in places]
    if place_codes:  # says why an unresolved destination cannot be judged
        unresolved: dict[str, list[int]] = defaultdict(list)
        for i, ok in enumerate(map(_resolved_of, transfers)):
            if not ok:
                unresolved[transfers[i].importer].append(i)
        for j in np.flatnonzero(np.isin(codes, place_codes)).tolist():
            for i in unresolved.get(findings[j].subject, ()):
                more_t.append(i)
                more_f.append(j)
    if more_t:
        pairs_t.append(np.array(more_t, dtype=np.int64))
        pairs_f.append(np.array(more_f, dtype=np.int64))
    t_of, f_of = np.concatenate(pairs_t), np.concatenate(pairs_f)
    rank = np.fromiter(map(SEVERITY_RANK.__getitem__, map(_severity_of, findings)), dtype=np.int64, count=m)
    # by transfer; then worst first, then by rule; equal ones in the order given: one integer key
    width = len(rule_code) * m
    order = np.argsort(t_of * (len(SEVERITY_RANK) * width) + (len(SEVERITY_RANK) - 1 - rank[f_of]) * width
                       + codes[f_of] * m + f_of)
    t_of, f_of = t_of[order], f_of[order]
    ordered = _take(findings, f_of.tolist())
    ends = np.cumsum(np.bincount(t_of, minlength=n)).tolist()
    worst = np.full(n, -1, dtype=np.int64)   # the worst deciding severity on each transfer (-1: none)
    decides = is_deciding[f_of]
    np.maximum.at(worst, t_of[decides], rank[f_of[decides]])
    high = SEVERITY_RANK["high"]
    start = 0
    for t, end, w in zip(transfers, ends, worst.tolist()):
        t.findings = ordered[start:end]
        start = end
        t.verdict = "no_valid_basis" if w == high else (
            ("action_needed" if w >= 0 else "basis_recorded") if t.resolved else "cannot_judge")


def sort_worst_first(transfers: list[Transfer], presorted: bool = False) -> list[Transfer]:
    """The register's order: worst verdict first, then controller, activity, chain length, importer.

    Two stable sorts, the same order as one by the whole key: by the rest first, then by the verdict
    alone. ``presorted``: the transfers are in the rest's order already (as :func:`read_transfers` gives
    them, also after leaving some out), so only the verdict's pass is made: a bucket per verdict."""
    if not presorted:
        transfers = sorted(transfers, key=lambda t: (t.controller.casefold(), t.activity.casefold(), len(t.path),
                                                     t.importer.casefold(), t.destination))
    buckets: dict[str, list[Transfer]] = {v: [] for v in VERDICTS}
    for t in transfers:
        buckets[t.verdict].append(t)
    return list(chain.from_iterable(buckets.values()))


def build_register(backend, as_of: dt.date, findings: list[Finding] | None = None) -> list[Transfer]:
    """Every restricted transfer in ``backend`` as of a date, judged, worst first.

    ``findings`` are the rule pack's findings for that date (run here when not given).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as store:
    ...     store.replace(example_graph())
    ...     reg = build_register(store, dt.date(2026, 11, 22))
    >>> [(t.importer, t.verdict) for t in reg]
    [('Mail Blast LLC', 'no_valid_basis'), ('SMS Relay Inc', 'action_needed')]
    """
    from .reference import check_evaluation_date
    check_evaluation_date(as_of)
    if findings is None:
        from .rules import evaluate
        findings = evaluate(backend, as_of)
    transfers = read_transfers(backend, as_of)
    judge(transfers, findings)
    return sort_worst_first(transfers, presorted=True)


def hop_verdicts(transfers: Iterable[Transfer]) -> dict[tuple[str, str, str], str]:
    """The worst verdict of each hop, by (activity id, exporter id, importer id): what the graph draws."""
    out: dict[tuple[str, str, str], str] = {}
    for t in transfers:
        k = (t.activity_id, t.exporter_id, t.importer_id)
        old = out.get(k)
        if old is None or VERDICT_ORDER[t.verdict] < VERDICT_ORDER[old]:
            out[k] = t.verdict
    return out


# -- the register as a table (the report's CSV, `ropa transfers`, the explorer) ------------------------------

REGISTER_COLUMNS = [
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


REGISTER_HEADERS = [human(c) for c in REGISTER_COLUMNS]


def _yes(v) -> str:
    return "" if v is None else ("yes" if v else "no")


def register_rows(transfers: Iterable[Transfer]) -> list[list]:
    """The register, one row per transfer, in :data:`REGISTER_COLUMNS`."""
    rows = []
    for i, t in enumerate(transfers, start=1):
        rows.append([
            i, t.controller, t.activity, t.exporter, t.importer, t.role, " → ".join(t.path), _yes(t.onward),
            t.destination, t.destination_name, t.mechanism_label or t.mechanism or "none recorded", t.mechanism_raw,
            t.mechanism_date, _yes(t.tia), t.adequacy, t.verdict_label, t.severity, t.rules_text,
            " ".join(t.reasons), t.legal_source, t.basis_legal_source, t.remediation, t.evidence, t.source, t.row,
        ])
    return rows


# The explorer's table: the register's columns it shows, plus the hop's ids to find its route in the graph.
EXPLORER_COLUMNS = ["verdict", "severity", "controller", "activity", "exporter", "importer", "path", "destination",
                    "destination_names", "mechanism", "data_categories", "data_subjects", "rules", "reason", "legal_source", "remediation", "evidence",
                    "source", "evidence_at", "row", "activity_id", "type", "src_id", "importer_id"]


def register_frame(transfers: Iterable[Transfer]):
    """The register as the explorer's table (:data:`EXPLORER_COLUMNS`), in the register's order:
    the same verdicts, in the same words, as the report and ``ropa transfers``."""
    import pandas as pd
    rows = [{
        "verdict": t.verdict_label, "severity": t.severity, "controller": t.controller, "activity": t.activity,
        "exporter": t.exporter, "importer": t.importer, "path": " → ".join(t.path), "destination": t.destination,
        "destination_names": t.destination_name, "mechanism": t.mechanism_text,
        "data_categories": "; ".join(t.data_categories), "data_subjects": "; ".join(t.data_subjects),
        "rules": t.rules_text,
        "reason": " ".join(t.reasons), "legal_source": t.legal_source, "remediation": t.remediation,
        "evidence": t.evidence, "source": t.source_name or t.source, "evidence_at": t.evidence_at, "row": t.row,
        "activity_id": t.activity_id,
        "type": t.hop_type, "src_id": t.src_id, "importer_id": t.importer_id,
    } for t in transfers]
    return pd.DataFrame(rows, columns=EXPLORER_COLUMNS)
