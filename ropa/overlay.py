"""Findings laid on the network, and findings as people read them (labels, a table, the world map).

:func:`annotate` lays the rule pack's findings on the hop, activity or organisation each
concerns, with each hop's verdict from the register (:mod:`ropa.transfers`, the only place a
verdict is decided); :class:`FindingIndex` finds the few findings that may land on a part of a
large RoPA (:func:`ropa.browse.neighbourhood.neighbourhood`). Then the names, labels and table rows
of findings the pages show.
"""
from __future__ import annotations

from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .network import NameIndex, finding_dict, finding_field, key_id, places, worst_severity
from .palette import EEA_COLOUR, OK_COLOUR, SEVERITY_COLOURS
from .schema import HOP_TYPES
from .transfers import edge_verdict


def annotate(g: nx.MultiDiGraph, findings: Iterable,
             activities: dict[tuple[str, str], str] | None = None,
             verdicts: dict[tuple[str, str, str], str] | None = None) -> nx.MultiDiGraph:
    """A copy of ``g`` with each finding laid on the hop, activity or organisation it concerns.

    Nodes and edges get ``findings`` (finding dicts) and ``severity`` (worst);
    hop edges get ``verdict``: that of the register (``verdicts``, by (activity id,
    exporter id, importer id), :func:`ropa.transfers.hop_verdicts`), or ``none``
    when the hop is no restricted transfer (see :func:`ropa.transfers.edge_verdict`
    for a graph read without a store). A finding about an organisation alone
    (``unknown_country``) also marks the hops into it: their transfers cannot be judged.

    ``activities`` marks ``g`` as a part of a larger RoPA (a neighbourhood read
    from the store): it maps (controller, activity name) to the activity's key
    for the activities of the hops in ``g`` that ``g`` does not hold; a finding
    then lands only where it would land in the whole network.

    >>> from ropa.network import build_network
    >>> from ropa.samples import example_graph
    >>> g = build_network(example_graph())
    >>> f = {"rule": "safe_harbor_reliance", "severity": "high", "controller": "Voorbeeld Zorg BV",
    ...      "activity": "Newsletter",
    ...      "exporter": "Voorbeeld Zorg BV", "importer": "Mail Blast LLC"}
    >>> a = annotate(g, [f])
    >>> [d["verdict"] for u, v, d in a.edges(data=True) if v == "Organisation:mail blast llc"]
    ['no_valid_basis']
    """
    g = g.copy()
    for _, d in g.nodes(data=True):
        d["findings"], d["severity"] = [], None
    for *_, d in g.edges(data=True):
        d["findings"], d["severity"] = [], None
    idx = NameIndex(g)
    into: dict[tuple[str, str], list[dict]] = {}  # the hops into an importer for an activity
    for _, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            into.setdefault((v, d.get("activity")), []).append(d)
    partial = activities is not None
    for k, v in (activities or {}).items():
        idx.activity.setdefault(k, v)
    for finding in findings:
        f = finding_dict(finding)
        act = idx.activity_key(f)
        imp = idx.org_key(finding_field(f, "importer"))
        exp = idx.org_key(finding_field(f, "exporter"))
        if partial and (finding_field(f, "importer") and imp is None or finding_field(f, "activity") and act is None):
            if imp is not None:  # its activity lies outside: none of its hops are here
                g.nodes[imp]["findings"].append(f)
            continue  # its importer lies outside
        if act and imp:
            for d in into.get((imp, act), ()):
                if exp is None or d.get("exporter") == exp:
                    d["findings"].append(f)
            g.nodes[imp]["findings"].append(f)
        elif act:
            if act in g:
                g.nodes[act]["findings"].append(f)
        elif imp or idx.org_key(finding_field(f, "subject")):
            org = imp or idx.org_key(finding_field(f, "subject"))
            g.nodes[org]["findings"].append(f)
            for *_, d in g.in_edges(org, data=True):
                if d["type"] in HOP_TYPES:
                    d["findings"].append(f)
    for _, d in g.nodes(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for *_, d in g.edges(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for u, v, d in g.edges(data=True):
        if d["type"] in HOP_TYPES:
            hop = (key_id(d.get("activity")), key_id(d.get("exporter")), key_id(v))
            d["verdict"] = edge_verdict(d.get("transfer", False), d["findings"], hop, verdicts)
    return g


class FindingIndex:
    """Findings looked up by the organisation or activity they name: build it once per evaluation
    (the explorer caches it) and :func:`ropa.browse.neighbourhood.neighbourhood` picks the few that may land on a part of the
    RoPA without walking every finding of a large RoPA each time. ``activities`` (rows of id,
    name, controller name, e.g. the explorer's catalogue) spare that function reading the
    names of the activities whose hops it draws.

    >>> fi = FindingIndex([{"rule": "r", "severity": "low", "importer": "Acme"},
    ...                    {"rule": "s", "severity": "low", "controller": "C", "activity": "A"}])
    >>> len(fi), [f["rule"] for f in fi.naming(["ACME"], [("C", "A")])]
    (2, ['r', 's'])
    """

    def __init__(self, findings: Iterable, activities: Iterable[tuple[str, str, str]] | None = None):
        self.findings = [f if type(f) is dict else finding_dict(f) for f in findings]
        self.by_org: dict[str, list[int]] = {}
        self.by_activity: dict[tuple[str, str], list[int]] = {}
        for n, f in enumerate(self.findings):
            imp = f.get("importer")
            if imp:
                self.by_org.setdefault(str(imp).casefold(), []).append(n)
            elif (f.get("controller") or "", f.get("activity") or "") != ("", ""):
                self.by_activity.setdefault((f.get("controller") or "", f.get("activity") or ""), []).append(n)
            elif f.get("subject"):
                self.by_org.setdefault(str(f["subject"]).casefold(), []).append(n)
        self.activities: dict[str, tuple[str, str]] | None = None  # id -> (controller name, name)
        # The register's verdict of each hop (ropa.transfers.hop_verdicts), set by the caller that has one.
        self.verdicts: dict[tuple[str, str, str], str] | None = None
        if activities is not None:
            self.activities = {str(i): (str(c or ""), str(n or "")) for i, n, c in activities}

    def __len__(self) -> int:
        return len(self.findings)

    def naming(self, organisations: Iterable[str], activities: Iterable[tuple[str, str]]) -> list[dict]:
        """The findings naming one of these organisations (by name, in any case) as importer (or, with
        no importer and no activity, as subject), or one of these (controller, activity) names without
        an importer; in their original order."""
        picked: set[int] = set()
        for name in {str(o).casefold() for o in organisations}:
            picked.update(self.by_org.get(name, ()))
        for pair in set(activities):
            picked.update(self.by_activity.get(pair, ()))
        return [self.findings[n] for n in sorted(picked)]

    def relevant(self, g: nx.MultiDiGraph) -> list[dict]:
        """The findings that may land on a part ``g`` of the RoPA (a first cut, so that a big RoPA's
        findings are not all laid one by one): those naming one of its organisations as importer or
        subject, and those about one of its activities that name no importer."""
        orgs = [d["name"] for _, d in g.nodes(data=True) if d["label"] == "Organisation"]
        return self.naming(orgs, NameIndex(g).activity)



def mechanism_text(hop: dict) -> str:
    """A hop's safeguard as the record states it: the wording as written, else the mechanism's label.

    >>> mechanism_text({"mechanism": "privacy_shield", "mechanism_raw": "Privacy-Shield-zertifiziert"})
    'Privacy-Shield-zertifiziert'
    >>> mechanism_text({"mechanism": "privacy_shield", "mechanism_raw": "privacy_shield"})
    'EU-US Privacy Shield (invalidated)'
    >>> mechanism_text({})
    'no safeguard recorded'
    """
    from .reference import mechanism_labels
    canonical, raw = hop.get("mechanism"), hop.get("mechanism_raw")
    if raw and raw != canonical:
        return raw
    return mechanism_labels().get(canonical) or canonical or "no safeguard recorded"



def finding_label(f) -> str:
    """A one-line name for a finding (for pickers): its rule's title (the id when it has none).

    >>> finding_label({"rule": "privacy_shield_reliance", "title": "Transfer relies on the invalidated Privacy Shield",
    ...                "severity": "high", "controller": "A", "subject": "B", "activity": "Newsletter"})
    'HIGH · Transfer relies on the invalidated Privacy Shield · A → B (Newsletter)'
    """
    who = " → ".join(x for x in (finding_field(f, "controller"), finding_field(f, "subject")) if x)
    act = f" ({finding_field(f, 'activity')})" if finding_field(f, "activity") else ""
    return f"{str(finding_field(f, 'severity')).upper()} · {finding_field(f, 'title') or finding_field(f, 'rule')} · {who}{act}"


def finding_identity(f) -> tuple:
    """What identifies a finding across reruns (same fields as Finding.identity)."""
    return tuple(finding_field(f, k) for k in ("rule", "controller", "activity", "exporter", "subject", "destination", "reason"))



FINDING_TABLE_COLUMNS = ["severity", "rule", "title", "controller", "activity", "exporter", "importer",
                         "path", "destination", "mechanism", "reason", "legal_source", "remediation", "evidence",
                         "source", "row", "article"]


def findings_table(findings: Iterable) -> pd.DataFrame:
    """Findings as rows (worst first, as given) with the path joined by arrows (a finding has a severity;
    the verdict is a transfer's, :mod:`ropa.transfers`).

    >>> findings_table([{"rule": "r", "severity": "medium", "path": ["A", "B"]}])[["severity", "path"]].iloc[0].tolist()
    ['medium', 'A → B']
    """
    rows = []
    for f in findings:
        d = finding_dict(f)
        d["path"] = " → ".join(d.get("path") or [])
        if d.get("mechanism"):
            d["mechanism"] = mechanism_text({"mechanism": d["mechanism"]})
        rows.append({c: d.get(c) for c in FINDING_TABLE_COLUMNS})
    return pd.DataFrame(rows, columns=FINDING_TABLE_COLUMNS)


def map_layers(g: nx.MultiDiGraph) -> dict[str, Any]:
    """What the world map shows, from an annotated network.

    Every country where a recipient processes data: outside the EEA coloured
    by the worst finding on the transfers there (green when none), inside the
    EEA light blue. Returns ``fill`` and ``labels`` for
    :func:`ropa.worldmap.world_svg`, the ``legend``, and ``unplaced``: places
    outside the EEA that are not a country on the map (unresolved names).
    """
    per_country: dict[str, list[dict]] = {}
    transfers: dict[str, int] = {}
    inside: dict[str, set] = {}
    for u, v, d in g.edges(data=True):
        if d["type"] not in HOP_TYPES:
            continue
        for c in places(g, v, ("PROCESSES_IN",)):
            cd = g.nodes[c]
            if cd.get("eea"):
                inside.setdefault(cd["id"], set()).add(g.nodes[v]["name"])
            else:
                per_country.setdefault(cd["id"], []).extend(d.get("findings", []))
                transfers[cd["id"]] = transfers.get(cd["id"], 0) + 1
    names = {d["id"]: d["name"] for _, d in g.nodes(data=True) if d["label"] == "Country"}
    fill, labels, unplaced = {}, {}, []
    from .worldmap import drawable_codes
    drawable = drawable_codes()
    for code, fs in per_country.items():
        worst = worst_severity(f["severity"] for f in fs)
        by_rule: dict[str, int] = {}
        for f in fs:
            name = f.get("title") or f["rule"]  # people read the rule's title
            by_rule[name] = by_rule.get(name, 0) + 1
        rules = ", ".join(f"{r} ×{n}" for r, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        text = (f"{names.get(code, code)}: {transfers[code]} restricted transfer(s); "
                + (f"worst finding {worst} ({rules})" if worst else "no finding"))
        if code in drawable:
            fill[code] = SEVERITY_COLOURS[worst] if worst else OK_COLOUR
            labels[code] = text
        else:
            unplaced.append(text)
    for code, orgs in inside.items():
        if code in drawable and code not in fill:
            fill[code] = EEA_COLOUR
            labels[code] = f"{names.get(code, code)} (EEA): {len(orgs)} recipient(s) process data here"
    legend = [(SEVERITY_COLOURS["high"], "transfers with a high finding"),
              (SEVERITY_COLOURS["medium"], "worst finding medium"),
              (SEVERITY_COLOURS["low"], "worst finding low"),
              (OK_COLOUR, "transfers without finding"),
              (EEA_COLOUR, "inside the EEA")]
    return {"fill": fill, "labels": labels, "legend": legend, "unplaced": sorted(unplaced)}
