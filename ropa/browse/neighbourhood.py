"""A neighbourhood read from the store: the nodes within a few hops of one node, for a node too
connected to draw with all its activities (a vendor with 20,000 hops).

Read with the parameterised queries in ``ropa/browse/queries/neighbourhood/`` (never the whole
RoPA, never a value formatted into Cypher), drawn as :func:`ropa.views.collapse` would draw the same
part of the network: one edge per (source, target, type) with how many there are.
"""
from __future__ import annotations

import heapq
from typing import Any, Iterable

import networkx as nx

from ..findings import SEVERITY_RANK, paused_gc
from ..narrow import DOWNSTREAM, UPSTREAM
from ..network import GRAPH_LABELS, GRAPH_RELS, NameIndex, has_value, node_key, worst_severity
from ..overlay import FindingIndex
from ..schema import HOP_TYPES, REL_TYPES
from ..transfers import edge_verdict, worst_verdict
from ..views import HOP_SAMPLE, NODE_CAP, hop_entry
from .cypher import run


def _run(store, name: str, **params: Any) -> list[dict]:
    return run(store, f"neighbourhood/{name}", **params)


NEIGHBOUR_LABELS = GRAPH_LABELS + ("Country",)
DETAIL_RELS = ("PROCESSES", "CONCERNS")
EDGE_ROWS = 20_000  # rows read per query for the relationships that are not hops (one per pair in practice)


def _edge_queries(details: bool) -> list[tuple[str, str, str, str, str]]:
    """(rel type, src label, dst label, side, query name) for every way an edge can touch a node."""
    out = []
    for rt in GRAPH_RELS:
        if rt in DETAIL_RELS and not details:
            continue
        for a, b in REL_TYPES[rt].pairs:
            out.append((rt, a, b, "src", f"out_{rt.lower()}"))
            out.append((rt, a, b, "dst", f"in_{rt.lower()}"))
    return out


def neighbourhood(store, node: str, depth: int = 2, findings: Iterable | FindingIndex = (), cap: int = NODE_CAP,
                  details: bool = False, flow: bool = False) -> tuple[nx.MultiDiGraph, str | None]:
    """The nodes within ``depth`` hops of ``node`` (either direction; with ``flow``, what the data flows
    through ``node`` reach, in their direction, as :func:`ropa.narrow.flow_focus` picks them: downstream
    of an activity without its siblings, upstream of a recipient), read from ``store`` with
    parameterised queries (never the whole RoPA), as ``views.collapse(narrow.focus(overlay.annotate(network.build_network(...))))``
    would draw them: one edge per (source, target, type) carrying how many there are (see
    :func:`ropa.views.collapse`; the store counts them), at most ``cap`` nodes, nearest first, with a sentence
    saying what was left out. Without ``details`` data categories and subjects are not nodes (each
    activity lists them, as :func:`ropa.views.without_details` leaves them). ``findings`` may be a
    :class:`FindingIndex` (built once for many calls).

    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     g, note = neighbourhood(s, "Country:US", 1)
    >>> sorted(g.nodes), note
    (['Country:US', 'Organisation:mail blast llc', 'Organisation:sms relay inc'], None)
    >>> with EmbeddedBackend() as s:
    ...     s.replace(example_graph())
    ...     g, note = neighbourhood(s, "Activity:voorbeeld zorg bv::newsletter", flow=True)
    >>> sorted(g.nodes)  # doctest: +NORMALIZE_WHITESPACE
    ['Activity:voorbeeld zorg bv::newsletter', 'Country:NL', 'Country:US', 'Organisation:mail blast llc',
     'Organisation:voorbeeld zorg bv']
    """
    with paused_gc():  # next to a RoPA's findings held in memory, a collection would walk them all
        return _neighbourhood(store, node, depth, findings, cap, details, flow)


# The ways a flow focus walks (ropa.narrow.flow_focus): relationship types and direction.
_WALKS = {"down": (DOWNSTREAM, True), "up": (UPSTREAM, False),
          "own": (("ENGAGES", "PROCESSES_IN", "ESTABLISHED_IN"), True)}
FLOW_RINGS = 16  # how far a flow focus reads (chains are at most 7 sub-processors long)


def _flow_walk(store, label: str, seed: str, details: bool, cap: int) -> tuple[dict[str, int], bool]:
    """The nodes :func:`ropa.narrow.flow_focus` keeps for ``label:seed``, with the ring each was reached
    in (at most ``cap``, nearest first), read ring by ring; and whether the cap cut them."""
    node = node_key(label, seed)
    controller = label == "Organisation" and bool(_run(store, "controllers", ids=[seed]))
    fed = label == "Organisation" and any(_run(store, f"in_{rt.lower()}", ids=[seed], limit=1) for rt in HOP_TYPES)
    if label == "Activity" or controller and not fed:
        starts = {"down": [node]}
    else:
        starts = {"up": [node], **({"own": [node]} if label == "Organisation" else {})}
    level = {node: 0}
    seen = {mode: set(keys) for mode, keys in starts.items()}
    frontier = {mode: list(keys) for mode, keys in starts.items()}
    truncated = False
    skip = () if details else DETAIL_RELS

    def add(found: dict[str, int], ring: int) -> None:
        nonlocal truncated
        new = sorted((k for k in found if k not in level), key=lambda k: (-found[k], k))
        if len(new) > cap - len(level):
            truncated = True
            new = new[:max(cap - len(level), 0)]
        for k in new:
            level[k] = ring

    for ring in range(1, FLOW_RINGS + 1):
        joined: dict[str, int] = {}
        reached: dict[str, list[str]] = {}
        for mode, keys in frontier.items():
            types, forward = _WALKS[mode]
            by_label: dict[str, list[str]] = {}
            for k in keys:
                lab, _, id_ = k.partition(":")
                by_label.setdefault(lab, []).append(id_)
            for rt in types:
                if rt in skip:
                    continue
                for a, b in REL_TYPES[rt].pairs:
                    ids = by_label.get(a if forward else b)
                    if not ids:
                        continue
                    limit = 4 * cap + len(level)
                    rows = _run(store, f"{'out' if forward else 'in'}_{rt.lower()}", ids=ids, limit=limit)
                    truncated |= len(rows) >= limit
                    for r in rows:
                        k = node_key(b, r["dst"]) if forward else node_key(a, r["src"])
                        if k not in seen[mode]:
                            seen[mode].add(k)
                            joined[k] = joined.get(k, 0) + r["n"]
                            reached.setdefault(mode, []).append(k)
        add(joined, ring)
        frontier = {mode: [k for k in keys if k in level] for mode, keys in reached.items()}
        if not any(frontier.values()) or len(level) >= cap:
            break
    extra: dict[str, int] = {}
    if label == "Activity":  # its controller, not the controller's other activities
        for r in _run(store, "in_controls", ids=[seed], limit=cap):
            extra[node_key("Organisation", r["src"])] = r["n"]
    add(extra, 1)
    orgs = [k.partition(":")[2] for k in level if k.startswith("Organisation:")]
    ctrls = [r["id"] for r in _run(store, "controllers", ids=orgs)] if orgs else []
    extra = {}
    for r in _run(store, "out_established_in", ids=ctrls, limit=4 * cap) if ctrls else ():
        extra[node_key("Country", r["dst"])] = r["n"]
    if details:  # an activity upstream of a recipient brings its data categories and subjects
        acts = [k.partition(":")[2] for k in level if k.startswith("Activity:")]
        for rt in DETAIL_RELS:
            for r in _run(store, f"out_{rt.lower()}", ids=acts, limit=4 * cap) if acts else ():
                (b,), = [(b,) for _, b in REL_TYPES[rt].pairs]
                extra[node_key(b, r["dst"])] = r["n"]
    add(extra, FLOW_RINGS + 1)
    return level, truncated


def _neighbourhood(store, node: str, depth: int, findings: Iterable | FindingIndex, cap: int,
                   details: bool, flow: bool = False) -> tuple[nx.MultiDiGraph, str | None]:
    label, _, seed = node.partition(":")
    if label not in NEIGHBOUR_LABELS or not seed:
        return nx.MultiDiGraph(), None
    queries = _edge_queries(details)
    level = {node: 0}
    frontier = {label: [seed]}
    truncated = False
    if flow:
        level, truncated = _flow_walk(store, label, seed, details, cap)
    for hop in range(1, 0 if flow else depth + 1):
        # This ring's new nodes with how many edges join each to the one before; when the cap cuts
        # the ring, the most joined are kept (then by key), the same ones on every run.
        joined: dict[tuple[str, str], int] = {}
        for rt, a, b, side, query in queries:
            ids = frontier.get(a if side == "src" else b)
            if not ids:
                continue
            # Enough pairs to fill the cap (a vendor with 20k hops in need not send them all).
            limit = 4 * cap + len(level)
            rows = _run(store, query, ids=ids, limit=limit)
            truncated |= len(rows) >= limit
            for r in rows:
                other = (b, r["dst"]) if side == "src" else (a, r["src"])
                if node_key(*other) not in level:
                    joined[other] = joined.get(other, 0) + r["n"]
        found = sorted(joined, key=lambda o: (-joined[o], node_key(*o)))
        if len(found) > cap - len(level):
            truncated = True
            found = found[:max(cap - len(level), 0)]
        for other in found:
            level[node_key(*other)] = hop
        frontier = {}
        for lab, id_ in found:
            frontier.setdefault(lab, []).append(id_)
        if not frontier or len(level) >= cap:  # nothing further, or no room for it
            truncated |= bool(frontier) and hop < depth
            break
    g = _neighbourhood_nodes(store, level)
    kept: dict[str, list[str]] = {}
    for key in g:
        lab, _, id_ = key.partition(":")
        kept.setdefault(lab, []).append(id_)
    # Every edge between two kept nodes (focus() keeps them all), one per pair and type.
    hops: dict[tuple[str, str, str], list[dict]] = {}  # (type, src, dst) -> hops (a, x, m, w, row)
    for rt, a, b, side, _ in queries:
        if side != "src" or not kept.get(a) or not kept.get(b):
            continue
        if rt in HOP_TYPES:
            for r in _run(store, f"between_{rt.lower()}", src=kept[a], dst=kept[b]):
                hops.setdefault((rt, node_key(a, r["src"]), node_key(b, r["dst"])), []).extend(r["hops"])
            continue
        rows = _run(store, f"between_{rt.lower()}", src=kept[a], dst=kept[b], limit=EDGE_ROWS)
        truncated |= len(rows) >= EDGE_ROWS
        for r in rows:
            props = {c: r[c] for c in REL_TYPES[rt].columns if has_value(r.get(c))}
            src, dst = node_key(a, r["src"]), node_key(b, r["dst"])
            if g.has_edge(src, dst, rt):
                g.edges[src, dst, rt]["count"] += 1
            else:
                g.add_edge(src, dst, key=rt, type=rt, count=1, props=props, findings=[], severity=None,
                           highlight=False)
    _neighbourhood_details(store, g, kept)
    index = findings if isinstance(findings, FindingIndex) else FindingIndex(findings)
    _lay_on_pairs(store, g, hops, index)
    note = None
    if truncated and flow:
        note = (f"The data flows through this node reach more than the {cap} nodes drawn at once: the nearest "
                "are shown. Focus on a node further down the flow to see the rest.")
    elif truncated:
        note = (f"The {depth}-hop neighbourhood has more than the {cap} nodes drawn at once: the nearest are shown. "
                "Focus on a node further out, or filter by controller or activity, to see the rest.")
    return g, note


def _neighbourhood_nodes(store, level: dict[str, int]) -> nx.MultiDiGraph:
    """The nodes (keys) with the attributes :func:`build_network` gives them."""
    by_label: dict[str, list[str]] = {}
    for key in level:
        lab, _, id_ = key.partition(":")
        by_label.setdefault(lab, []).append(id_)
    g = nx.MultiDiGraph()
    for lab, ids in by_label.items():
        for rec in _run(store, f"nodes_{lab.lower()}", ids=ids):
            props = {k: v for k, v in rec.items() if has_value(v)}
            attrs: dict[str, Any] = {"label": lab, "id": rec["id"], "name": str(rec.get("name") or rec["id"]),
                                     "props": props, "findings": [], "severity": None}
            if lab == "Country":
                attrs.update(eea=bool(rec.get("eea")), resolved=bool(rec.get("resolved")))
                attrs["props"] = {"id": rec["id"], "name": attrs["name"], "eea": attrs["eea"],
                                  "resolved": attrs["resolved"]}
            g.add_node(node_key(lab, rec["id"]), **attrs)
    return g


def _neighbourhood_details(store, g: nx.MultiDiGraph, kept: dict[str, list[str]]) -> None:
    """Controllers, activities' categories and subjects, as :func:`ropa.network.build_network` sets them."""
    orgs = kept.get("Organisation", [])
    acts = kept.get("Activity", [])
    controllers = {r["id"] for r in _run(store, "controllers", ids=orgs)} if orgs else set()
    listed: dict[tuple[str, str], list[str]] = {}
    if acts:
        for kind in ("categories", "subjects"):
            for r in _run(store, kind, ids=acts):
                listed.setdefault((r["act"], kind), []).append(str(r["name"]))
    for key, d in g.nodes(data=True):
        if d["label"] == "Organisation":
            d["controller"] = d["id"] in controllers
        elif d["label"] == "Activity":
            d["categories"] = sorted(listed.get((d["id"], "categories"), []))
            d["subjects"] = sorted(listed.get((d["id"], "subjects"), []))


def _lay_on_pairs(store, g: nx.MultiDiGraph, hops: dict[tuple[str, str, str], list[dict]],
                  index: FindingIndex) -> None:
    """Add the collapsed hop edges to ``g`` and lay the findings on nodes and hops exactly as
    :func:`ropa.overlay.annotate` lays them on the part of a RoPA (then :func:`ropa.views.collapse` merges them)."""
    findings = index.relevant(g)
    orgs = [d["id"] for _, d in g.nodes(data=True) if d["label"] == "Organisation"]
    abroad = {r["id"] for r in _run(store, "abroad", ids=orgs)} if orgs else set()
    idx = NameIndex(g)
    # Findings name activities by controller and name: those of the hops not drawn as nodes.
    names = {d["id"]: d["name"] for _, d in g.nodes(data=True) if d["label"] == "Activity"}
    outside = {h["a"] for hs in hops.values() for h in hs} - set(names)
    known = index.activities or {}
    missing = sorted(a for a in outside if a not in known)
    if missing:
        known = dict(known)
        for r in _run(store, "activity_names", ids=missing):
            known[r["id"]] = (str(r["controller"] or ""), str(r["name"] or ""))
    for a in outside:
        if a in known:
            idx.activity.setdefault(known[a], node_key("Activity", a))
            names[a] = known[a][1] or a
    # A finding names its exporter: resolve it as the whole network would, also when the exporter
    # (a controller, a processor further up the chain) is not in this part.
    exporters = dict(idx.org)  # a name_lookup, as NameIndex.org
    away = sorted({h["x"] for hs in hops.values() for h in hs if h["x"] and node_key("Organisation", h["x"]) not in g})
    if away:
        for r in _run(store, "organisation_names", ids=away):
            name = str(r["name"] or r["id"])
            exporters.setdefault(name, node_key("Organisation", r["id"]))
            exporters.setdefault(name.casefold(), node_key("Organisation", r["id"]))
    # Each hop of each edge: its findings' worst severity rank (for the hops listed first).
    into: dict[tuple[str, str], list[tuple[tuple, int]]] = {}   # (importer key, activity id) -> (edge, hop)
    into_org: dict[str, list[tuple]] = {}
    hop_rank: dict[tuple, list[int]] = {}
    on_edge: dict[tuple, dict[int, dict]] = {}
    hops_of: dict[tuple, list[dict]] = {}
    for (rt, src, dst), hs in hops.items():
        e = (src, dst, rt)
        hops_of[e] = hs
        hop_rank[e] = [-1] * len(hs)
        on_edge[e] = {}
        into_org.setdefault(dst, []).append(e)
        for i, h in enumerate(hs):
            into.setdefault((dst, h["a"] or ""), []).append((e, i))

    rank_of = SEVERITY_RANK.get
    org_of, act_of, nodes = idx.org.get, idx.activity.get, g.nodes
    cut = len("Organisation:")

    def lands(ctl: str, activity: str, imp_name, name) -> tuple[list | None, list]:
        """Where a finding naming an importer and an activity lands: the importer's findings list
        (None: nowhere here) and the (edge's findings, edge's hop ranks, hop) it lies on. The same
        for every finding with these four names, so worked out once per four names."""
        act = act_of((ctl, activity))
        imp = org_of(imp_name) or org_of(str(imp_name).casefold())
        if imp is None:
            return None, []
        if act is None:  # its activity lies outside: none of its hops are here
            return nodes[imp]["findings"], []
        # An exporter named but not found here is no exporter of these hops (the rule pack names
        # organisations of the store): a sentinel, so that the finding lands on none of them.
        exp = (exporters.get(name) or exporters.get(str(name).casefold()) or "?") if name else None
        exp_id = exp[cut:] if exp else None
        on = into.get((imp, act[9:]), ())  # act is "Activity:<id>"
        return nodes[imp]["findings"], [(on_edge[e], hop_rank[e], i) for e, i in on
                                        if exp is None or (hops_of[e][i]["x"] or "") == exp_id]

    landing: dict[tuple, tuple[list | None, list]] = {}
    for f in findings:
        get = f.get
        imp_name, activity = get("importer"), get("activity")
        if imp_name and activity:  # nearly all of them: a hop's findings
            key = (get("controller") or "", activity, imp_name, get("exporter"))
            where = landing.get(key)
            if where is None:
                where = landing[key] = lands(*key)
            on_node, on_hops = where
            if on_hops:
                r = rank_of(get("severity"), -1)
                for found, ranks, i in on_hops:
                    found.setdefault(id(f), f)
                    if ranks[i] < r:
                        ranks[i] = r
            if on_node is not None:
                on_node.append(f)
            continue
        act = act_of((get("controller") or "", activity or ""))
        imp = (org_of(imp_name) or org_of(str(imp_name).casefold())) if imp_name else None
        if imp_name and imp is None or act is None and activity:
            continue
        if act:
            if act in g:
                nodes[act]["findings"].append(f)
        elif imp or idx.org_key(get("subject")):
            org = imp or idx.org_key(get("subject"))
            nodes[org]["findings"].append(f)
            r = rank_of(get("severity"), -1)
            for e in into_org.get(org, ()):
                on_edge[e].setdefault(id(f), f)
                ranks = hop_rank[e]
                ranks[:] = [max(x, r) for x in ranks]  # in place: lands() holds these lists
    for _, d in g.nodes(data=True):
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    for *_, d in g.edges(data=True):  # the other relationships: findings lie on hops only
        d["severity"] = worst_severity(x["severity"] for x in d["findings"])
    rank_name = {r: s for s, r in SEVERITY_RANK.items()}
    for (rt, src, dst), hs in hops.items():
        e = (src, dst, rt)
        ranks = hop_rank[e]
        found = list(on_edge[e].values())
        severity = rank_name.get(max(ranks, default=-1))
        transfer = g.nodes[dst]["id"] in abroad
        first: list[int] = []  # worst first, then by activity (as collapse() orders them)
        for level in sorted(set(ranks), reverse=True):
            pool = ((hs[i]["a"] or "", str(hs[i]["row"] or ""), i) for i, x in enumerate(ranks) if x == level)
            first += [i for *_, i in heapq.nsmallest(HOP_SAMPLE - len(first), pool)]
            if len(first) >= HOP_SAMPLE:
                break
        listed = []
        for i in first:
            h = hs[i]
            props = {"mechanism": h["m"], "mechanism_raw": h["w"], "row": h["row"]}
            listed.append(hop_entry(names.get(h["a"], h["a"] or ""), node_key("Activity", h["a"] or ""),
                                     {k: v for k, v in props.items() if has_value(v)}, rank_name.get(ranks[i])))
        verdicts = index.verdicts
        imp = g.nodes[dst]["id"]
        if not transfer:
            verdict = "none"
        elif verdicts is not None:
            verdict = worst_verdict(edge_verdict(True, found, (h["a"] or "", h["x"] or "", imp), verdicts) for h in hs)
        else:
            verdict = edge_verdict(True, found)
        g.add_edge(src, dst, key=rt, type=rt, count=len(hs), findings=found, severity=severity,
                   transfer=transfer, verdict=verdict, hops=listed, props={}, highlight=False)
