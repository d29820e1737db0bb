"""The catalogue: what the store holds as small tables, read once per store version, and the
rule pack's findings laid on it (:class:`Evaluation`), once per store version and evaluation date.

At a million relationships the explorer cannot export the store into pandas, build one networkx
graph of it and lay every finding on it for each page: :func:`read_catalogue` reads one row per hop
(controller, activity, exporter, importer, mechanism, evidence), where each recipient processes
data, the organisations and activities by name, and the counts; :func:`lay_findings` lays the findings on
it with the same matching as :func:`ropa.overlay.annotate`, and gives each hop's severity and
verdict (read from the register of :mod:`ropa.transfers`, never decided here), the
restricted-transfer table (:func:`ropa.transfers.register_frame`), the world map (through
:func:`ropa.overlay.map_layers` on a graph of hops and countries only) and the overview counts.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import pandas as pd

from .. import transfers as register
from ..network import by_name, name_lookup, node_key, worst_severity
from ..overlay import findings_table, map_layers
from .cypher import run

PAGE_SIZE = 50
TRANSFER_COLUMNS = register.EXPLORER_COLUMNS


@dataclass
class Catalogue:
    """What the store holds, as small tables: enough to lay findings on hops without the graph."""

    hops: pd.DataFrame          # one row per hop, the columns of hops.cypher
    places: pd.DataFrame        # org, country, name, eea, processing
    organisations: pd.DataFrame  # id, name
    activities: pd.DataFrame    # id, name, controller_id, controller
    counts: dict[str, int] = field(default_factory=dict)
    _folded: dict = field(default_factory=dict, repr=False, compare=False)

    def folded(self, table: str, column: str) -> pd.Series:
        """A name column of ``organisations`` or ``activities`` as :func:`fold` makes it, made once."""
        key = (table, column)
        if key not in self._folded:
            self._folded[key] = getattr(self, table)[column].map(fold)
        return self._folded[key]

    def org_key(self) -> dict[str, str]:
        """Organisation id by name (read it with :func:`ropa.network.by_name`): the lookup
        :class:`ropa.network.NameIndex` keeps for a network."""
        return name_lookup(zip(self.organisations["id"], self.organisations["name"]))


def fold(text) -> str:
    """A name as the explorer's search compares it: case folded (``str.casefold``: 'ΑΘΗΝΑΣ' and 'αθηνας', 'STRASSE'
    and 'Straße' alike) and without accents or other combining marks ('İzmir' and 'izmir', 'Müller' and 'muller')."""
    return "".join(c for c in unicodedata.normalize("NFKD", str(text).casefold()) if not unicodedata.combining(c))


def read_catalogue(store) -> Catalogue:
    """Read the catalogue from a backend (see :class:`Catalogue`).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     c = read_catalogue(s)
    >>> len(c.hops), c.counts["activities"], sorted(set(c.places["country"]))
    (4, 3, ['DE', 'NL', 'US'])
    """
    def frame(name: str, columns: list[str]) -> pd.DataFrame:
        # object columns: the rows are walked in Python, and pandas' Arrow strings are slow to iterate
        return pd.DataFrame.from_records(run(store, name), columns=columns).astype(object)

    hops = frame("hops", ["type", "src_id", "controller_id", "controller", "activity_id", "activity", "exporter_id",
                          "exporter", "importer_id", "importer", "role", "mechanism", "mechanism_raw", "mechanism_date",
                          "evidence", "source", "row"])
    places = frame("places", ["org", "country", "name", "eea", "processing"])
    orgs = frame("organisations", ["id", "name"])
    acts = frame("activities", ["id", "name", "controller_id", "controller"])
    counts = run(store, "counts")[0]
    return Catalogue(hops, places, orgs, acts, {k: int(v) for k, v in counts.items()})


# --------------------------------------------------------------------------- findings on the catalogue

class Evaluation:
    """The catalogue with the findings of one evaluation date laid on it.

    ``findings`` (dicts, worst first), ``hop_findings`` (per hop row: indices into findings),
    ``activity_findings`` (findings about an activity's own record, by activity id),
    ``hop_severity``, ``counts`` (controllers, activities, recipients, countries, restricted transfers) and ``map`` (as
    :func:`ropa.map_layers`) are computed at once; ``table`` (:func:`ropa.findings_table`)
    and ``transfers`` (the restricted-transfer table) when first asked for.
    """

    def __init__(self, cat: Catalogue, findings: list[dict], transfers: list | None = None):
        self.catalogue = cat
        self.findings = findings
        self.register = list(transfers or [])  # ropa.transfers.Transfer, judged, worst first
        self.verdicts = register.hop_verdicts(self.register)  # what the graph colours each hop with
        self.hop_findings, self.activity_findings = _lay(cat, findings)
        self.hop_severity = [worst_severity(findings[n]["severity"] for n in fs) for fs in self.hop_findings]
        self.abroad = _abroad_by_org(cat)
        hops = cat.hops
        self.transfer_rows = [i for i, imp in enumerate(hops["importer_id"].tolist()) if self.abroad.get(imp)]
        recipients = set(hops["importer_id"])
        proc = cat.places[cat.places["processing"].astype(bool)]
        self.counts = {
            "controllers": cat.counts.get("controllers", 0),
            "activities": cat.counts.get("activities", 0),
            "recipients": len(recipients),
            "countries": proc[proc["org"].isin(recipients)]["country"].nunique(),
            "restricted_transfers": len(self.transfer_rows),
        }
        self.map = map_layers(_map_graph(cat, findings, self.hop_findings))

    @cached_property
    def table(self) -> pd.DataFrame:
        return findings_table(self.findings)

    @cached_property
    def transfers(self) -> pd.DataFrame:
        """The register of restricted transfers (:func:`ropa.transfers.register_frame`), worst first."""
        return register.register_frame(self.register)


def _abroad_by_org(cat: Catalogue) -> dict[str, list[tuple[str, str]]]:
    """(country id, name) outside the EEA where each recipient processes data, sorted by id."""
    p = cat.places[cat.places["processing"].astype(bool) & ~cat.places["eea"].fillna(False).astype(bool)]
    out: dict[str, list[tuple[str, str]]] = {}
    for org, code, name in sorted(zip(p["org"], p["country"], p["name"]), key=lambda t: (t[0], t[1])):
        out.setdefault(org, []).append((code, name if name is not None else code))
    return out


def _lay(cat: Catalogue, findings: list[dict]) -> tuple[list[list[int]], dict[str, list[int]]]:
    """Which findings sit on which hop (as :func:`ropa.annotate` lays them)."""
    org_key = cat.org_key()

    def org(name) -> str | None:
        return by_name(org_key, name)

    act_of = {(c, a): i for i, a, c in zip(cat.activities["id"], cat.activities["name"],
                                             cat.activities["controller"])}
    by_act_imp: dict[tuple[str, str], list[int]] = {}
    into: dict[str, list[int]] = {}
    for i, (act, imp) in enumerate(zip(cat.hops["activity_id"], cat.hops["importer_id"])):
        by_act_imp.setdefault((act, imp), []).append(i)
        into.setdefault(imp, []).append(i)
    exporters = list(cat.hops["exporter_id"])
    on_hop: list[list[int]] = [[] for _ in range(len(cat.hops))]
    on_act: dict[str, list[int]] = {}
    for n, f in enumerate(findings):
        act = act_of.get((f.get("controller") or "", f.get("activity") or ""))
        imp, exp = org(f.get("importer")), org(f.get("exporter"))
        if act and imp:
            for i in by_act_imp.get((act, imp), ()):
                if exp is None or exporters[i] == exp:
                    on_hop[i].append(n)
        elif act:
            on_act.setdefault(act, []).append(n)
        else:
            target = imp or org(f.get("subject"))
            for i in into.get(target, ()) if target else ():
                on_hop[i].append(n)
    return on_hop, on_act


def lay_findings(cat: Catalogue, findings: list[dict], transfers: list | None = None) -> Evaluation:
    """Lay ``findings`` (dicts, worst first, as :func:`ropa.rules.evaluate` gives them) on the catalogue,
    with the register of restricted transfers judged from them (:func:`ropa.transfers.build_register`),
    which gives the transfer table and each hop's verdict.

    >>> import datetime as dt
    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.rules import evaluate as rule_pack
    >>> from ropa.samples import example_graph
    >>> from ropa.transfers import build_register
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     c = read_catalogue(s)
    ...     found = rule_pack(s, dt.date(2026, 11, 22))
    ...     reg = build_register(s, dt.date(2026, 11, 22), found)
    >>> e = lay_findings(c, [f.to_dict() for f in found], reg)
    >>> e.counts["restricted_transfers"], e.transfers["verdict"].tolist()
    (2, ['No valid basis', 'Action needed'])
    """
    return Evaluation(cat, findings, transfers)


def _map_graph(cat: Catalogue, findings: list[dict], on_hop: list[list[int]]) -> nx.MultiDiGraph:
    """Hops (with their findings) into recipients and the recipients' countries: all that
    :func:`ropa.map_layers` reads, without the rest of the graph."""
    g = nx.MultiDiGraph()
    names = dict(zip(cat.organisations["id"], cat.organisations["name"]))
    proc = cat.places[cat.places["processing"].astype(bool)]
    for org, code, name, eea in zip(proc["org"], proc["country"], proc["name"], proc["eea"]):
        k = node_key("Country", code)
        g.add_node(k, label="Country", id=code, name=str(name if name is not None else code), eea=bool(eea))
        o = node_key("Organisation", org)
        g.add_node(o, label="Organisation", id=org, name=str(names.get(org, org)))
        g.add_edge(o, k, type="PROCESSES_IN")
    for i, (imp, t) in enumerate(zip(cat.hops["importer_id"].tolist(), cat.hops["type"].tolist())):
        o = node_key("Organisation", imp)
        if o not in g:
            g.add_node(o, label="Organisation", id=imp, name=str(names.get(imp, imp)))
        g.add_edge("hop", o, type=t, findings=[findings[n] for n in on_hop[i]])
    if "hop" in g:
        g.nodes["hop"].update(label="Activity", id="", name="")
    return g



def page_of(df: pd.DataFrame, page: int, size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int, int]:
    """Rows of page ``page`` (1-based, clamped), the page and the number of pages.

    >>> part, page, pages = page_of(pd.DataFrame({"n": range(120)}), 3)
    >>> part["n"].tolist()[:2], page, pages
    ([100, 101], 3, 3)
    """
    pages = max(1, -(-len(df) // size))
    page = min(max(1, int(page)), pages)
    return df.iloc[(page - 1) * size: page * size], page, pages
