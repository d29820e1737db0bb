"""'Changes since': the difference between a snapshot and the RoPA reported on now.

Two kinds of change:

* **findings**: new, resolved, and changed (the same finding with another
  severity or reason). A finding is "the same" when rule, controller,
  activity, exporter, subject and destination agree; where several findings
  share those (one per missing Art. 30 field, say) the reason tells them apart;
* **the RoPA**: recipients added or removed (a hop: exporter -> importer for one
  activity), mechanisms changed on a hop that stayed, and countries changed for
  an organisation present in both.

Every change carries its evidence, like a finding: a hop's quote and source (a removed hop's from the
snapshot, the others' from now), an organisation's quote for a country change; :meth:`Diff.cite` names the
document and the quote's place from both RoPAs' documents (a removed recipient's document may be gone now).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..findings import Finding
from ..model import RopaGraph
from ..provenance import Provenance, cell_text, graph_provenance
from ..reference import mechanism_labels
from ..schema import HOP_TYPES
from ..transfers import mechanism_summary
from .content import HopParties


@dataclass(frozen=True)
class Hop(HopParties):
    """One recipient link of one activity, with what the report shows about it."""

    countries: str
    evidence: str = ""       # the hop's quote
    source: str = ""         # its document's id
    row: int | None = None   # its row in that document
    at: str = ""             # the quote's place in it (section, line, characters), when known


@dataclass(frozen=True)
class MechanismChange:
    hop: Hop
    before: str
    after: str


@dataclass(frozen=True)
class CountryChange:
    organisation: str
    before: str
    after: str
    evidence: str = ""       # the organisation's quote (what the RoPA took it from), now
    source: str = ""
    row: int | None = None


@dataclass
class Diff:
    """What changed between a snapshot and now."""

    name: str
    as_of: str
    created: str
    rule_pack_version: str
    fingerprint: str
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    changed: list[tuple[Finding, Finding]] = field(default_factory=list)
    recipients_added: list[Hop] = field(default_factory=list)
    recipients_removed: list[Hop] = field(default_factory=list)
    mechanisms_changed: list[MechanismChange] = field(default_factory=list)
    countries_changed: list[CountryChange] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)  # both RoPAs' documents and quote places

    def cite(self, source: str | None, row=None, at: str | None = None) -> str:
        """A change's source as a reader follows it: the document's title, file or URL and the quote's place."""
        return self.provenance.cite(source, row, at or None)

    @property
    def empty(self) -> bool:
        return not (self.new or self.resolved or self.changed or self.recipients_added
                    or self.recipients_removed or self.mechanisms_changed or self.countries_changed)

    def counts(self) -> dict[str, int]:
        """How many changes of each kind."""
        return {"new findings": len(self.new), "resolved findings": len(self.resolved),
                "changed findings": len(self.changed), "recipients added": len(self.recipients_added),
                "recipients removed": len(self.recipients_removed),
                "mechanisms changed": len(self.mechanisms_changed),
                "countries changed": len(self.countries_changed)}


def _key(f: Finding) -> tuple:
    return (f.rule, f.controller, f.activity, f.exporter, f.subject, f.destination)


def diff_findings(before: list[Finding], after: list[Finding]):
    """(new, resolved, changed) between two lists of findings.

    >>> a = Finding("scc_without_tia", "medium", "X", controller="C", reason="no TIA")
    >>> b = Finding("scc_without_tia", "high", "X", controller="C", reason="no TIA")
    >>> new, gone, changed = diff_findings([a], [b])
    >>> (len(new), len(gone), [(o.severity, n.severity) for o, n in changed])
    (0, 0, [('medium', 'high')])
    """
    old_by, new_by = defaultdict(list), defaultdict(list)
    for f in before:
        old_by[_key(f)].append(f)
    for f in after:
        new_by[_key(f)].append(f)
    new, resolved, changed = [], [], []
    for k in set(old_by) | set(new_by):
        olds, news = old_by.get(k, []), new_by.get(k, [])
        if len(olds) == 1 and len(news) == 1:
            o, n = olds[0], news[0]
            if (o.severity, o.reason) != (n.severity, n.reason):
                changed.append((o, n))
            continue
        old_reasons = {f.reason for f in olds}
        new_reasons = {f.reason for f in news}
        new += [f for f in news if f.reason not in old_reasons]
        resolved += [f for f in olds if f.reason not in new_reasons]
    order = lambda f: (f.controller, f.rule, f.subject, f.reason)
    return sorted(new, key=order), sorted(resolved, key=order), sorted(changed, key=lambda p: order(p[1]))


def _mechanism_text(r: dict, labels: dict[str, str]) -> str:
    """A hop's mechanism and its date, in the words of the register and the Art. 30 record."""
    m = r.get("mechanism")
    return mechanism_summary(m, labels.get(m), r.get("mechanism_date"), False, None)


def _countries(graph: RopaGraph) -> dict[str, str]:
    """Organisation id -> "processing in A, B; established in C"."""
    where: dict[str, dict[str, set]] = defaultdict(lambda: {"PROCESSES_IN": set(), "ESTABLISHED_IN": set()})
    for rt in ("PROCESSES_IN", "ESTABLISHED_IN"):
        for r in graph.rels[rt].to_dict("records"):
            where[r["src"]][rt].add(r["dst"])
    out = {}
    for org, d in where.items():
        parts = []
        if d["PROCESSES_IN"]:
            parts.append("processing in " + ", ".join(sorted(d["PROCESSES_IN"])))
        if d["ESTABLISHED_IN"]:
            parts.append("established in " + ", ".join(sorted(d["ESTABLISHED_IN"])))
        out[org] = "; ".join(parts)
    return out


def _row(v) -> int | None:
    return None if v is None or v != v else int(v)


def _org_evidence(graph: RopaGraph) -> dict[str, tuple[str, str, int | None]]:
    """Organisation id -> (quote, document id, row) it was taken from (the first one with a quote)."""
    out: dict[str, tuple[str, str, int | None]] = {}
    for r in graph.rels["EVIDENCED_BY"].to_dict("records"):
        if r.get("src_label") != "Organisation":
            continue
        known = out.get(r["src"])
        if known is None or (not known[0] and cell_text(r.get("quote"))):
            out[r["src"]] = (cell_text(r.get("quote")), cell_text(r["dst"]), _row(r.get("row")))
    return out


def _hops(graph: RopaGraph, scope: set[str], labels: dict[str, str]) -> tuple[dict[tuple, Hop], dict[tuple, str]]:
    """In-scope hops keyed by (activity id, exporter id, importer id), and their mechanism texts."""
    acts = {r["id"]: r for r in graph.nodes["Activity"].to_dict("records")}
    orgs = {r["id"]: r["name"] for r in graph.nodes["Organisation"].to_dict("records")}
    countries = _countries(graph)
    hops, mechanisms = {}, {}
    for rt in HOP_TYPES:
        for r in graph.rels[rt].to_dict("records"):
            act = acts.get(r["activity"]) or {}
            if act.get("controller") not in scope:
                continue
            key = (r["activity"], r["exporter"], r["dst"])
            mech = _mechanism_text(r, labels)
            hops[key] = Hop(act.get("controller") or "", act.get("name") or r["activity"],
                            orgs.get(r["exporter"], r["exporter"]), orgs.get(r["dst"], r["dst"]),
                            r.get("role") or "", mech, countries.get(r["dst"], "no country recorded"),
                            cell_text(r.get("evidence")), cell_text(r.get("source")), _row(r.get("row")),
                            cell_text(r.get("evidence_at")))
            mechanisms[key] = mech
    return hops, mechanisms


def diff_graphs(before: RopaGraph, after: RopaGraph, scope: list[str]):
    """RoPA changes: (recipients added, removed, mechanisms changed, countries changed)."""
    labels = mechanism_labels()
    s = set(scope)
    old, old_mech = _hops(before, s, labels)
    new, new_mech = _hops(after, s, labels)
    order = lambda h: (h.controller, h.activity, h.exporter, h.importer)
    added = sorted((new[k] for k in new.keys() - old.keys()), key=order)
    removed = sorted((old[k] for k in old.keys() - new.keys()), key=order)
    mechanisms = sorted((MechanismChange(new[k], old_mech[k], new_mech[k])
                         for k in new.keys() & old.keys() if old_mech[k] != new_mech[k]), key=lambda c: order(c.hop))
    involved = {k[2] for k in old} | {k[2] for k in new}
    old_c, new_c = _countries(before), _countries(after)
    names = {r["id"]: r["name"] for r in after.nodes["Organisation"].to_dict("records")}
    old_orgs = set(before.nodes["Organisation"]["id"])
    evidence = _org_evidence(after)
    countries = sorted((CountryChange(names.get(o, o), old_c.get(o, "no country recorded"),
                                      new_c.get(o, "no country recorded"), *evidence.get(o, ("", "", None)))
                        for o in involved & old_orgs & set(names)
                        if old_c.get(o, "") != new_c.get(o, "")), key=lambda c: c.organisation)
    return added, removed, mechanisms, countries


def diff_against(snapshot, graph: RopaGraph, findings: list[Finding], scope: list[str]) -> Diff:
    """The changes from ``snapshot`` to (``graph``, ``findings``), within the controllers in scope."""
    s = set(scope)
    before_graph = snapshot.graph
    labels = mechanism_labels()
    recipients = {h.importer for g in (before_graph, graph) for h in _hops(g, s, labels)[0].values()}
    old = [f for f in snapshot.findings if f.controller in s or (not f.controller and f.subject in recipients)]
    new, resolved, changed = diff_findings(old, findings)
    added, removed, mechanisms, countries = diff_graphs(before_graph, graph, scope)
    return Diff(snapshot.name, snapshot.as_of.isoformat(), snapshot.created, snapshot.rule_pack_version,
                snapshot.fingerprint, new, resolved, changed, added, removed, mechanisms, countries,
                graph_provenance(before_graph).merged(graph_provenance(graph)))
