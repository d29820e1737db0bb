"""Graph formats: a CSV bundle (nodes + relationships), GraphML and node-link JSON.

All three carry the same thing: every node with its label and properties,
every relationship with its type, ends and properties, so a round trip keeps
everything. GraphML and node-link go through networkx.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from typing import BinaryIO

import networkx as nx

from .. import reference
from ..errors import FormatError, Problem, ValidationError
from ..model import RopaGraph, coerce
from ..schema import NODE_TYPES, REFERENCE_LABELS, REL_TYPES
from .checks import subprocessor_cycles
from .text import XML_ILLEGAL, escape_xml_text, neutralise, read_table, read_zip_member, unescape_xml_text, unneutralise

NODE_FILE, REL_FILE = "nodes.csv", "relationships.csv"
NODE_HEADINGS = ("label", "id")                                   # without these a bundle file says nothing
REL_HEADINGS = ("type", "src_label", "src", "dst_label", "dst")
MAX_GRAPHML_BYTES = 200 * 1024 * 1024


def with_countries(graph: RopaGraph) -> RopaGraph:
    """Add the reference Country nodes the graph points at, so a file stands alone."""
    used = set()
    for rt in ("ESTABLISHED_IN", "PROCESSES_IN"):
        used |= set(graph.rels[rt]["dst"])
    have = set(graph.nodes["Country"]["id"])
    rows = [{"id": r["code"], "name": r["name"], "eea": bool(r["eea"]), "resolved": True}
            for r in reference.load_countries().to_dict("records") if r["code"] in used - have]
    return graph.merge(RopaGraph.from_records({"Country": rows}, {}))


def to_networkx(graph: RopaGraph) -> nx.MultiDiGraph:
    """The RoPA as a networkx MultiDiGraph; node keys are ``Label:id``.

    >>> from ropa.samples import example_graph
    >>> G = to_networkx(example_graph())
    >>> G.nodes["Organisation:sms relay inc"]["name"]
    'SMS Relay Inc'
    """
    G = nx.MultiDiGraph()
    for label, df in graph.nodes.items():
        for rec in df.to_dict("records"):
            G.add_node(f"{label}:{rec['id']}", label=label, **_attrs(rec))
    for rt, df in graph.rels.items():
        for rec in df.to_dict("records"):
            props = {k: v for k, v in rec.items() if k not in ("src", "dst", "src_label", "dst_label")}
            key = f"{rt}:{rec['activity']}" if rec.get("activity") else rt
            G.add_edge(f"{rec['src_label']}:{rec['src']}", f"{rec['dst_label']}:{rec['dst']}", key=key,
                       type=rt, **_attrs(props))
    return G


def _attrs(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if v is None:
            continue
        out[k] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def from_networkx(G: nx.Graph, name: str) -> RopaGraph:
    """Read a networkx graph written by :func:`to_networkx` (or shaped like it)."""
    problems: list[Problem] = []
    nodes: dict[str, list[dict]] = {k: [] for k in NODE_TYPES}
    keys: dict[object, tuple[str, str]] = {}
    for i, (key, attrs) in enumerate(G.nodes(data=True), start=1):
        if not attrs:  # GraphML: an edge to an undeclared node makes networkx add it bare
            problems.append(Problem(name, i, "id", _short(key), "a relationship points at this node, but the "
                                    "file does not declare it (no label, no properties)"))
            continue
        label = attrs.get("label")
        if not isinstance(label, str) or label not in NODE_TYPES:
            problems.append(Problem(name, i, "label", _shown(label), f"node {_short(key)!r}: unknown node label; "
                                    "expected one of " + ", ".join(NODE_TYPES)))
            continue
        rec = _typed(attrs, NODE_TYPES[label].properties, name, i, problems)
        if rec.get("id") is None:
            rec["id"] = str(key).split(":", 1)[1] if str(key).startswith(label + ":") else str(key)
        if not rec["id"]:
            problems.append(Problem(name, i, "id", "", "every node needs an id"))
            continue
        _check_name(label, rec, name, i, problems)
        keys[key] = (label, rec["id"])
        nodes[label].append(rec)
    rels: dict[str, list[dict]] = {k: [] for k in REL_TYPES}
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else ((u, v, None, d) for u, v, d in G.edges(data=True))
    for j, (u, v, k, attrs) in enumerate(edges, start=1):
        rt = attrs.get("type") or str(k).split(":", 1)[0]
        if not isinstance(rt, str) or rt not in REL_TYPES:
            problems.append(Problem(name, j, "type", _shown(rt), f"edge {_short(u)!r}->{_short(v)!r}: unknown "
                                    "relationship type"))
            continue
        if u not in keys or v not in keys:
            problems.append(Problem(name, j, "source" if u not in keys else "target", u if u not in keys else v,
                                    "relationship points at a node that is not in the file"))
            continue
        rec = _typed(attrs, REL_TYPES[rt].properties, name, j, problems)
        rec.update(src=keys[u][1], dst=keys[v][1], src_label=keys[u][0], dst_label=keys[v][0])
        rels[rt].append(rec)
    return _finish(nodes, rels, name, problems)


def _short(key) -> str:
    text = str(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _typed(attrs: dict, props, name: str, row: int, problems: list[Problem]) -> dict:
    rec = {}
    for p, kind in props:
        try:
            rec[p] = coerce(attrs.get(p), kind)
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(Problem(name, row, p, _shown(attrs.get(p)), f"not a valid {kind.lower()} ({exc})"))
    return rec


# Nodes that rules, reports and the explorer name by their name: a file must give one. Without it a finding's
# reason would read 'The transfer of "" data to  in India' on the embedded store and be empty on Neo4j (LadybugDB
# reads a null text in `+` as '', Neo4j makes the whole text null), and an organisation without a name would
# break the sub-processor chains stored on the hops (docs/neo4j.md, "Where the two engines differ").
NAMED_LABELS = ("Organisation", "Activity", "DataCategory", "DataSubject")


def _check_name(label: str, rec: dict, file: str, row: int, problems: list[Problem]) -> None:
    """A problem when a node that is read by its name has none (missing, empty or blank), or when an
    organisation's name holds the separator of the stored sub-processor chains."""
    from ..schema import CHAIN_SEPARATOR
    if label not in NAMED_LABELS and not (label == "Country" and str(rec.get("id") or "").startswith("?:")):
        return
    value = rec.get("name")
    if value is None or not str(value).strip():
        what = "place" if label == "Country" else label
        problems.append(Problem(file, row, "name", value, f"{what} {rec['id']!r} has no name: every {what} needs "
                                "one (findings, reports and the explorer name it); give it a name"))
    elif label == "Organisation" and CHAIN_SEPARATOR in str(value):
        problems.append(Problem(file, row, "name", value, "the organisation name holds the control character U+001F "
                                "(unit separator), which the store uses between the names of a sub-processor "
                                "chain: remove it"))


def _without_reference(nodes, rels, name, problems) -> None:
    """Drop what a file says about the legal reference data (countries, adequacy, mechanisms).

    Those come from data/reference/ only: a file that marks the US as an EEA
    country or moves the date Privacy Shield fell must not change a verdict.
    Countries the file could not resolve (``resolved`` false, id ``?:…``) are
    the file's own and are kept; a reference code is kept as a pointer only.
    """
    countries = reference.load_countries()
    ref_eea = dict(zip(countries["code"], countries["eea"].astype(bool)))
    dropped: dict[str, int] = {}
    for label in REFERENCE_LABELS:
        keep = []
        for rec in nodes.get(label, []):
            cid = rec.get("id")
            if label == "Country" and cid not in ref_eea and str(cid or "").startswith("?:"):
                keep.append({**rec, "resolved": False, "eea": False})
                continue
            if label != "Country" or cid not in ref_eea or (rec.get("eea") is not None
                                                             and rec["eea"] != ref_eea[cid]):
                dropped[label] = dropped.get(label, 0) + 1
        nodes[label] = keep
    for rt, t in REL_TYPES.items():
        if t.reference and rels.get(rt):
            dropped[rt] = len(rels[rt])
            rels[rt] = []
    changed = dropped
    if changed:
        problems.append(Problem(name, None, None, None, "the file's legal reference data ("
                                + ", ".join(f"{n} {k}" for k, n in sorted(changed.items()))
                                + ") are ignored: they come from data/reference/ only", "warning"))


def _finish(nodes, rels, name, problems) -> RopaGraph:
    _without_reference(nodes, rels, name, problems)
    seen: dict[tuple[str, str], int] = {}
    for label, recs in nodes.items():
        for i, rec in enumerate(recs):
            k = (label, rec["id"])
            if k in seen:
                problems.append(Problem(name, None, "id", rec["id"], f"duplicate {label} id"))
            seen[k] = i
    known = set(seen) | {("Country", c) for c in reference.load_countries()["code"]}
    for rt, recs in rels.items():
        pairs = set(REL_TYPES[rt].pairs)
        for rec in recs:
            if (rec["src_label"], rec["dst_label"]) not in pairs:
                problems.append(Problem(name, rec.get("row"), "type", rt,
                                        f"{rt} cannot go from {rec['src_label']} to {rec['dst_label']}"))
            for end in ("src", "dst"):
                if (rec[end + "_label"], rec[end]) not in known:
                    problems.append(Problem(name, None, end, rec[end],
                                            f"{rt} points at a {rec[end + '_label']} that is not in the file"))
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    problems += subprocessor_cycles(rels.get("ENGAGES", []),
                                    {r["id"]: r.get("name") or r["id"] for r in nodes.get("Organisation", [])}, name)
    return RopaGraph.from_records(nodes, rels, problems)


# -- GraphML -----------------------------------------------------------------

def read_graphml(fp: BinaryIO, name: str = "graph.graphml") -> RopaGraph:
    """Read GraphML; DTDs and entities (XXE, billion laughs) are refused."""
    data = fp.read()
    if _has_doctype(data):
        raise FormatError(Problem(name, None, None, None,
                                  "GraphML with a DOCTYPE or ENTITY declaration is refused (XXE / entity expansion)"))
    if len(data) > MAX_GRAPHML_BYTES:
        raise FormatError(Problem(name, None, None, None, "file too large for GraphML import"))
    try:
        G = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    except Exception as exc:  # lxml/ElementTree raise many kinds
        raise FormatError(Problem(name, None, None, None, f"not valid GraphML ({exc})")) from exc
    if b"_x" in data:
        G = _with_strings(G, unescape_xml_text)
    return from_networkx(G, name)


def _with_strings(G: nx.MultiDiGraph, f) -> nx.MultiDiGraph:
    """``G`` with ``f`` applied to every text: node keys, edge keys and attribute values."""
    def text(v):
        return f(v) if isinstance(v, str) else v
    H = nx.MultiDiGraph()
    for n, attrs in G.nodes(data=True):
        H.add_node(text(n), **{k: text(v) for k, v in attrs.items()})
    for u, v, k, attrs in G.edges(keys=True, data=True):
        H.add_edge(text(u), text(v), key=text(k), **{a: text(x) for a, x in attrs.items()})
    return H


class _Prolog(Exception):
    """Raised inside expat to stop at the first DOCTYPE or at the root element."""


def _has_doctype(data: bytes) -> bool:
    """True when the XML declares a DOCTYPE (the only place entities can be declared).

    Asked of expat itself, so the encoding (UTF-16, a declared legacy encoding)
    cannot hide it from a byte search; parsing stops at the root element.
    """
    from xml.parsers import expat

    def doctype(*_):
        raise _Prolog("doctype")

    def root(*_):
        raise _Prolog("root")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _Prolog as stop:
        return str(stop) == "doctype"
    except (expat.ExpatError, ValueError, LookupError):  # not XML, or an encoding expat cannot read:
        return b"<!doctype" in data[:4096].lower() or b"<!entity" in data[:65536].lower()  # the parse fails anyway
    return False


def write_graphml(graph: RopaGraph, fp: BinaryIO) -> None:
    """Write GraphML (readable by Gephi, yEd, Neo4j's apoc.import.graphml).

    Characters XML 1.0 cannot hold (ESC and other control characters) are written as
    SpreadsheetML escapes them (``_x001B_``; see :func:`ropa.formats.text.escape_xml_text`),
    so the file is well-formed and :func:`read_graphml` gives them back.
    """
    G = to_networkx(with_countries(graph))
    if _any_text(G, lambda v: "_x" in v or XML_ILLEGAL.search(v)):  # mostly none: no copy of the graph
        G = _with_strings(G, escape_xml_text)
    nx.write_graphml(G, fp, named_key_ids=True)


def _any_text(G: nx.MultiDiGraph, test) -> bool:
    """True when ``test`` holds for a text of ``G`` (a node key, an edge key, an attribute value)."""
    for n, attrs in G.nodes(data=True):
        if (isinstance(n, str) and test(n)) or any(isinstance(v, str) and test(v) for v in attrs.values()):
            return True
    for _, _, k, attrs in G.edges(keys=True, data=True):
        if (isinstance(k, str) and test(k)) or any(isinstance(v, str) and test(v) for v in attrs.values()):
            return True
    return False


# -- node-link JSON ------------------------------------------------------------

def read_node_link(fp: BinaryIO, name: str = "graph.json") -> RopaGraph:
    """Read node-link JSON (networkx's format: ``nodes`` and ``edges``/``links``).

    Every node must be an object with an ``id``, every edge an object with its two
    ends; a problem names the list and the position in it (``row`` = 1 for the first).
    """
    data = fp.read()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except RecursionError as exc:
        raise FormatError(Problem(name, None, None, None, "the JSON is nested too deeply to be a node-link "
                                  "graph")) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(Problem(name, None, None, None, f"not valid JSON ({str(exc)[:120]})")) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise FormatError(Problem(name, None, "nodes", None, "expected a JSON object with a 'nodes' list"))
    edge_key = "edges" if "edges" in doc else "links"
    edges = doc.get(edge_key)
    if edges is None:
        edges = []
    if not isinstance(edges, list):
        raise FormatError(Problem(name, None, edge_key, None, f"expected {edge_key!r} to be a list"))
    # We write endpoints as _source/_target because hops have a `source` property.
    ends = ("_source", "_target") if edges and isinstance(edges[0], dict) and "_source" in edges[0] \
        else ("source", "target")
    problems: list[Problem] = []
    G = nx.MultiDiGraph()
    for i, node in enumerate(doc["nodes"], start=1):
        if not isinstance(node, dict):
            problems.append(Problem(name, i, "nodes", _shown(node), "a node must be a JSON object"))
            continue
        key = node.get("id")
        if not isinstance(key, (str, int)) or isinstance(key, bool) or key == "":
            problems.append(Problem(name, i, "id", _shown(key), "a node needs an id (text or a whole number)"))
            continue
        if key in G:
            problems.append(Problem(name, i, "id", key, "duplicate node id"))
            continue
        G.add_node(key, **{k: v for k, v in node.items() if k != "id"})
    for j, edge in enumerate(edges, start=1):
        if not isinstance(edge, dict):
            problems.append(Problem(name, j, edge_key, _shown(edge), "an edge must be a JSON object"))
            continue
        u, v = edge.get(ends[0]), edge.get(ends[1])
        bad = [(end, x) for end, x in zip(ends, (u, v)) if not isinstance(x, (str, int)) or isinstance(x, bool)]
        if bad:
            problems.append(Problem(name, j, bad[0][0], _shown(bad[0][1]), "an edge needs both ends (node ids)"))
            continue
        missing = [(end, x) for end, x in zip(ends, (u, v)) if x not in G]
        if missing:
            problems.append(Problem(name, j, missing[0][0], missing[0][1],
                                    "relationship points at a node that is not in the file"))
            continue
        attrs = {k: w for k, w in edge.items() if k not in (*ends, "key")}
        key = edge.get("key")
        G.add_edge(u, v, key=key if isinstance(key, (str, int)) and not isinstance(key, bool) else None, **attrs)
    if problems:
        raise ValidationError(problems)
    return from_networkx(G, name)


def _shown(value) -> object:
    """A value as a message shows it: short, and never a deep structure."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return value


def write_node_link(graph: RopaGraph, fp: BinaryIO) -> None:
    doc = nx.node_link_data(to_networkx(with_countries(graph)), edges="edges", source="_source", target="_target")
    fp.write(json.dumps(doc, ensure_ascii=False, indent=1, default=str).encode("utf-8"))


# -- CSV bundle ------------------------------------------------------------------

def _all_columns(kinds) -> list[str]:
    cols: list[str] = []
    for t in kinds:
        for c in t.columns:
            if c not in cols:
                cols.append(c)
    return cols


def write_bundle(graph: RopaGraph, fp: BinaryIO) -> None:
    """A zip with ``nodes.csv`` (label, properties) and ``relationships.csv``."""
    graph = with_countries(graph)
    ncols = ["label"] + _all_columns(NODE_TYPES.values())
    rcols = ["type", "src_label", "src", "dst_label", "dst"] + _all_columns(REL_TYPES.values())
    nbuf, rbuf = io.StringIO(), io.StringIO()
    nw = csv.DictWriter(nbuf, fieldnames=ncols, lineterminator="\r\n")
    nw.writeheader()
    for label, df in graph.nodes.items():
        for rec in df.to_dict("records"):
            nw.writerow({"label": label, **{k: _cell(v) for k, v in rec.items()}})
    rw = csv.DictWriter(rbuf, fieldnames=rcols, lineterminator="\r\n")
    rw.writeheader()
    for rt, df in graph.rels.items():
        for rec in df.to_dict("records"):
            rw.writerow({"type": rt, **{k: _cell(v) for k, v in rec.items()}})
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(NODE_FILE, "\ufeff" + nbuf.getvalue())
        z.writestr(REL_FILE, "\ufeff" + rbuf.getvalue())


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():  # an INT64 column with nulls arrives from pandas as float
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return neutralise(str(v))


def read_bundle(fp: BinaryIO, name: str = "bundle.zip") -> RopaGraph:
    """Read a zip holding ``nodes.csv`` and ``relationships.csv``."""
    try:
        with zipfile.ZipFile(fp) as z:
            names = {n.rsplit("/", 1)[-1]: n for n in z.namelist()}
            if NODE_FILE not in names or REL_FILE not in names:
                raise FormatError(Problem(name, None, None, None,
                                          f"a graph bundle needs {NODE_FILE} and {REL_FILE}"))
            ndata = read_zip_member(z, names[NODE_FILE], name)
            rdata = read_zip_member(z, names[REL_FILE], name)
    except zipfile.BadZipFile as exc:
        raise FormatError(Problem(name, None, None, None, f"not a readable zip archive ({exc})")) from exc
    except (zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        # a damaged member (bad deflate data, offsets past the end), encryption, an unknown compression method
        raise FormatError(Problem(name, None, None, None, f"damaged or unsupported zip archive ({exc})")) from exc
    return read_bundle_files(ndata, rdata, name)


def _check_headings(header: list[str], needed: tuple[str, ...], name: str) -> None:
    """Refuse a bundle file whose header lacks the columns it must have (garbage is not "nothing")."""
    have = {h.strip().lstrip("\ufeff") for h in header}
    missing = [h for h in needed if h not in have]
    if missing:
        shown = ", ".join(h for h in header if h.strip())
        raise FormatError(Problem(name, 1, None, shown[:200] or None,
                                  f"not a bundle file: the header lacks {', '.join(missing)} "
                                  f"(expected {', '.join(needed)}, ...)"))


def read_bundle_files(ndata: bytes, rdata: bytes, name: str = "bundle") -> RopaGraph:
    """Read the two CSVs of a bundle given as bytes."""
    problems: list[Problem] = []
    nname, rname = f"{name}/{NODE_FILE}", f"{name}/{REL_FILE}"
    nheader, nrows = read_table(ndata, nname)
    _check_headings(nheader, NODE_HEADINGS, nname)
    nodes: dict[str, list[dict]] = {k: [] for k in NODE_TYPES}
    for rownum, cells in nrows:
        attrs = {h: unneutralise(c) for h, c in zip(nheader, cells)}
        label = attrs.get("label", "")
        if label not in NODE_TYPES:
            problems.append(Problem(nname, rownum, "label", label, "unknown node label"))
            continue
        rec = _typed(attrs, NODE_TYPES[label].properties, nname, rownum, problems)
        if not rec.get("id"):
            problems.append(Problem(nname, rownum, "id", "", "every node needs an id"))
            continue
        _check_name(label, rec, nname, rownum, problems)
        nodes[label].append(rec)
    rheader, rrows = read_table(rdata, rname)
    _check_headings(rheader, REL_HEADINGS, rname)
    rels: dict[str, list[dict]] = {k: [] for k in REL_TYPES}
    for rownum, cells in rrows:
        attrs = {h: unneutralise(c) for h, c in zip(rheader, cells)}
        rt = attrs.get("type", "")
        if rt not in REL_TYPES:
            problems.append(Problem(rname, rownum, "type", rt, "unknown relationship type"))
            continue
        rec = _typed(attrs, REL_TYPES[rt].properties, rname, rownum, problems)
        rec.update(src=attrs.get("src", ""), dst=attrs.get("dst", ""),
                   src_label=attrs.get("src_label", ""), dst_label=attrs.get("dst_label", ""))
        rels[rt].append(rec)
    return _finish(nodes, rels, name, problems)
