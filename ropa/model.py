"""``RopaGraph``: the in-memory form of a RoPA, as typed tables.

A RopaGraph holds one pandas DataFrame per node label (columns as in
:mod:`ropa.schema`) and one per relationship type (``src``, ``dst``,
``src_label``, ``dst_label`` and the type's properties). Importers produce one,
backends load it with their bulk path, exporters write it. Tables rather than
a networkx graph because a large group's RoPA has a million relationships;
:func:`to_networkx` gives the graph view when one is wanted.
"""
from __future__ import annotations

import ctypes
import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import Problem
from .schema import BOOLEAN, DATE, HOP_TYPES, INT64, NODE_TYPES, REL_TYPES, STRING

REL_KEY_COLUMNS = ["src", "dst", "src_label", "dst_label"]


def empty_nodes(label: str) -> pd.DataFrame:
    """An empty node table with the schema's columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in NODE_TYPES[label].columns})


def empty_rels(rel_type: str) -> pd.DataFrame:
    """An empty relationship table with the schema's columns."""
    cols = REL_KEY_COLUMNS + REL_TYPES[rel_type].columns
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def rel_key(rel_type: str) -> list[str]:
    """Columns that identify one relationship: hops are per activity."""
    return REL_KEY_COLUMNS + (["activity"] if rel_type in HOP_TYPES else [])


@dataclass
class RopaGraph:
    """A RoPA as node and relationship tables, plus warnings from its import.

    >>> g = RopaGraph.empty()
    >>> g.count()
    0
    """

    nodes: dict[str, pd.DataFrame] = field(default_factory=dict)
    rels: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        for label in NODE_TYPES:
            df = self.nodes.get(label)
            self.nodes[label] = empty_nodes(label) if df is None else _conform(df, NODE_TYPES[label].columns)
        for rt in REL_TYPES:
            df = self.rels.get(rt)
            cols = REL_KEY_COLUMNS + REL_TYPES[rt].columns
            self.rels[rt] = empty_rels(rt) if df is None else _conform(df, cols)

    @classmethod
    def empty(cls) -> "RopaGraph":
        return cls()

    @classmethod
    def from_records(cls, nodes: dict[str, list[dict]], rels: dict[str, list[dict]],
                     warnings: list[Problem] | None = None) -> "RopaGraph":
        """Build from lists of dicts (missing properties become null)."""
        return cls(
            {k: pd.DataFrame.from_records(v, columns=NODE_TYPES[k].columns) for k, v in nodes.items()},
            {k: pd.DataFrame.from_records(v, columns=REL_KEY_COLUMNS + REL_TYPES[k].columns)
             for k, v in rels.items()},
            list(warnings or []),
        )

    def count(self) -> int:
        """Number of nodes plus relationships."""
        return sum(len(df) for df in self.nodes.values()) + sum(len(df) for df in self.rels.values())

    def counts(self) -> dict[str, int]:
        out = {k: len(v) for k, v in self.nodes.items()}
        out.update({k: len(v) for k, v in self.rels.items()})
        return out

    def without(self, labels: list[str]) -> "RopaGraph":
        """A copy without the given node labels and any relationship touching them."""
        drop = set(labels)
        nodes = {k: v.copy() for k, v in self.nodes.items() if k not in drop}
        rels = {}
        for k, v in self.rels.items():
            keep = ~(v["src_label"].isin(drop) | v["dst_label"].isin(drop))
            rels[k] = v[keep].reset_index(drop=True)
        return RopaGraph(nodes, rels, list(self.warnings))

    def merge(self, other: "RopaGraph") -> "RopaGraph":
        """Union of two graphs; where both have a node or relationship, ``other`` wins."""
        nodes = {label: _union(self.nodes[label], other.nodes[label], ["id"]) for label in NODE_TYPES}
        rels = {rt: _union(self.rels[rt], other.rels[rt], rel_key(rt)) for rt in REL_TYPES}
        return RopaGraph._of_conformed(nodes, rels, self.warnings + other.warnings)

    @classmethod
    def _of_conformed(cls, nodes: dict[str, pd.DataFrame], rels: dict[str, pd.DataFrame],
                      warnings: list[Problem]) -> "RopaGraph":
        """Wrap tables that already have the schema's columns and plain values (no copy, no check)."""
        g = cls.__new__(cls)
        g.nodes, g.rels, g.warnings = nodes, rels, warnings
        return g

    def canonical(self) -> dict:
        """A plain, sorted, JSON-able form: equal graphs give equal canonical forms."""
        out: dict = {"nodes": {}, "rels": {}}
        for label, df in self.nodes.items():
            recs = [_hashable_record(r) for r in df.to_dict("records")]
            out["nodes"][label] = sorted(recs, key=lambda r: str(r.get("id")))
        for rt, df in self.rels.items():
            recs = [_hashable_record(r) for r in df.to_dict("records")]
            out["rels"][rt] = sorted(recs, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        return out

    def fingerprint(self) -> str:
        """A content hash, to prove that a store or graph did not change: :func:`fingerprint_of`
        its tables (a store's: :meth:`Backend.export_tables`, without making the graph)."""
        return fingerprint_of(self.tables())

    def tables(self):
        """``(part, name, columns)`` for each table, nodes then relationships, each in name order, as
        :func:`fingerprint_of` reads them: ``columns`` maps each column's name to its values (a list)."""
        for part, tables in (("nodes", self.nodes), ("rels", self.rels)):
            for name in sorted(tables):
                df = tables[name]
                yield part, name, _FrameColumns(df)


class _FrameColumns(dict):
    """A table's columns as lists, made when read (one at a time, not the whole table at once)."""

    def __init__(self, df: pd.DataFrame):
        super().__init__((c, None) for c in df.columns)
        self.df = df

    def __getitem__(self, column: str) -> list:
        return self.df[column].tolist()


def fingerprint_of(tables) -> str:
    """The data fingerprint of a graph given as its tables (``(part, name, columns)`` as
    :meth:`RopaGraph.tables` or :meth:`Backend.export_tables` give them): :func:`fingerprint_of_rows`
    of each table's :func:`row_hashes`. Only the values count, not how a table holds them (lists,
    pandas columns, Arrow arrays; an INT64 column that pandas widened to floats hashes as its ints)
    nor the order of its rows.
    """
    return fingerprint_of_rows((part, name, row_hashes(part, name, columns)) for part, name, columns in tables)


#: What the fingerprint is (its version), hashed first: a change of its definition changes every fingerprint.
FINGERPRINT_FORM = b"ropa data fingerprint 2: sha256 of each table's sorted 64-bit row hashes\n"


def fingerprint_of_rows(parts) -> str:
    """The SHA-256 over every non-empty table, in (part, name) order: its part, name and row count, then
    its rows' 64-bit hashes (:func:`row_hashes`) sorted, as little-endian bytes. ``parts`` yields
    ``(part, name, hashes)``, a table maybe in several pieces (the store writes one relationship type
    a pair of labels at a time): the pieces of one table are hashed as one.

    Sorted hashes make it a function of each table's rows as a multiset (their order in a file or a
    store does not count, a repeated row does); 64 bits per row tell ~10^9 distinct rows apart with
    a chance of a collision below 10^-1, and a change of any value changes its row's hash."""
    pieces: dict[tuple[str, str], list[np.ndarray]] = {}
    for part, name, hashes in parts:
        if len(hashes):
            pieces.setdefault((part, name), []).append(hashes)
    h = hashlib.sha256(FINGERPRINT_FORM)
    for part, name in sorted(pieces):
        rows = np.sort(np.concatenate(pieces[(part, name)]))
        h.update(f"{part} {name} {len(rows)}\n".encode())
        h.update(rows.astype("<u8", copy=False).tobytes())
    return h.hexdigest()


_NULL = np.uint64(0x6A09E667F3BCC908)   # the hash of a null, whatever the column's type
_STEP = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise (wrapping uint64 arithmetic): every input bit moves every output bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _column_kinds(part: str, name: str) -> dict[str, str]:
    """The schema's columns of a table and their types (a relationship's ends as text)."""
    if part == "nodes":
        return dict(NODE_TYPES[name].properties)
    return {"src": STRING, "dst": STRING, "src_label": STRING, "dst_label": STRING, **dict(REL_TYPES[name].properties)}


_ARROW = {STRING: pa.string(), INT64: pa.int64(), BOOLEAN: pa.bool_(), DATE: pa.date32()}


def typed_column(values, kind: str) -> pa.Array:
    """A column (a list, a pandas column or an Arrow array) as an Arrow array of its schema type (or a
    dictionary array of it)."""
    want = _ARROW[kind]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        if values.type == want or (pa.types.is_dictionary(values.type) and values.type.value_type == want):
            return values
        return values.cast(want)
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    try:
        return pa.array(values, type=want, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        plain = [None if v is None or (isinstance(v, float) and pd.isna(v)) else
                 str(v.item() if hasattr(v, "item") else v) if kind == STRING else coerce(v, kind) for v in values]
        return pa.array(plain, type=want)


def _column_hashes(arr: pa.Array) -> np.ndarray:
    """A 64-bit hash of each value of a typed column (:func:`typed_column`): a text's is the first 8
    bytes of its BLAKE2b (each distinct text hashed once), a number's, date's (days) or boolean's is
    :func:`_mix` of it; a null's is one constant."""
    if pa.types.is_string(arr.type) or pa.types.is_dictionary(arr.type):
        enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
        texts = enc.dictionary.to_pylist()
        table = np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                            "little") for t in texts), dtype=np.uint64, count=len(texts))
        table = np.append(table, _NULL)
        return table[enc.indices.fill_null(len(texts)).to_numpy(zero_copy_only=False)]
    if pa.types.is_floating(arr.type):  # no schema column is one today; its bits, not its truncation to an int
        ints = pa.array(arr.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False).view(np.int64))
        ints = pc.if_else(arr.is_null(), None, ints)
    elif pa.types.is_boolean(arr.type):
        ints = pc.if_else(arr, 2, 1)
    elif pa.types.is_date(arr.type):
        ints = arr.cast(pa.int32()).cast(pa.int64())
    else:
        ints = arr
    out = _mix(ints.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64) + np.uint64(1))
    if arr.null_count:
        out[arr.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return out


def row_hashes(part: str, name: str, columns) -> np.ndarray:
    """A 64-bit hash of each row of a table (``columns``: name -> values, see :func:`typed_column`), from
    the schema's columns in name order, each value typed as the schema types it (a column the table
    lacks reads as nulls). Equal rows give equal hashes, whatever holds them.

    >>> a = row_hashes("nodes", "DataSubject", {"id": ["s1", "s2"], "name": ["Staff", None]})
    >>> b = row_hashes("nodes", "DataSubject", {"id": pa.array(["s2", "s1"]), "name": pa.array([None, "Staff"])})
    >>> sorted(a) == sorted(b), len(set(a))
    (True, 2)
    """
    kinds = _column_kinds(part, name)
    present = [k for k in kinds if k in columns]
    n = len(columns[present[0]]) if present else 0
    if not n:
        return np.zeros(0, np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for key in sorted(kinds):
        col = _column_hashes(typed_column(columns[key], kinds[key])) if key in columns else np.full(n, _NULL)
        h = _mix(h * _STEP + col)
    return h


def _union(mine: pd.DataFrame, theirs: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows of both conformed tables, one per key; theirs win. Without concatenating an empty side."""
    if not len(mine) or not len(theirs):
        both = (theirs if len(theirs) else mine).copy()  # the merged graph shares no table with its parts
    else:
        both = pd.concat([mine, theirs], ignore_index=True)
    dup = both.duplicated(subset=key, keep="last")
    if dup.any():
        return both[~dup.to_numpy()].reset_index(drop=True)
    return both if both.index.equals(pd.RangeIndex(len(both))) else both.reset_index(drop=True)


def _conform(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    df = df[[c for c in columns if c in df.columns]]  # a new frame (copy on write): the caller's stays as it was
    for c in columns:
        if c not in df.columns:
            df[c] = None
    df = df[columns].astype(object)
    return df.where(pd.notna(df), None)


def _hashable_record(rec: dict) -> dict:
    """A table row with every value as :func:`_hashable_value` gives it (what the fingerprint hashes)."""
    return {k: _hashable_value(v) for k, v in rec.items()}


def _hashable_value(v):
    """A cell as the fingerprint hashes it: None for NaN, dates as ISO text, numpy scalars as Python."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10]
    v = v.item() if hasattr(v, "item") else v
    # The schema has no float column: a float is an INT64 that pandas widened because the
    # column also holds nulls (3.0 for 3). Without this, equal graphs could hash differently.
    return int(v) if isinstance(v, float) and v.is_integer() else v


_json_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


def _json_records(columns) -> tuple[list[str], list]:
    """Each row of a table (``columns``: name -> list of values) as ``json.dumps(_hashable_record(row),
    sort_keys=True, default=str)`` would write it, and the rows' plain ``id`` values (None without
    that column). A column's texts are encoded once each and shared by the rows that hold them."""
    keys = sorted(columns)
    encoded, ids, n = [], None, 0
    for key in keys:
        strings: dict[str, str] = {}  # a column repeats its texts: encode each once
        column = []
        values = columns[key]
        n = len(values)
        for v in values:
            t = type(v)
            if t is str:
                e = strings.get(v)
                if e is None:
                    e = strings[v] = _json_string(v)
            elif v is None:
                e = "null"
            elif t is int:
                e = int.__repr__(v)
            elif t is bool:
                e = "true" if v else "false"
            else:
                e = json.dumps(_hashable_value(v), sort_keys=True, default=str)
            column.append(e)
        if key == "id":
            ids = [_hashable_value(v) for v in values]
        encoded.append(column)
        del values
    if not keys:
        return [], []
    # one format per table: '{"a": %s, "b": %s}' (a JSON-encoded key holds no %, but be sure)
    template = "{" + ", ".join(_json_string(str(k)).replace("%", "%%") + ": %s" for k in keys) + "}"
    return [template % row for row in zip(*encoded)], ids if ids is not None else [None] * n


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=False)``, faster for the object arrays the importer makes.

    A column here is a few distinct Python objects repeated (``uniques[codes]``), so the
    objects are first told apart by identity (their addresses, as integers: a hash table of
    int64, much faster than hashing strings), and only the few distinct objects are then
    compared by value. Same codes, same order of first appearance, as factorizing by value.
    """
    values = np.asarray(values)
    if values.dtype != object or len(values) < 1024:
        return pd.factorize(values, use_na_sentinel=False)
    values = np.ascontiguousarray(values)
    addresses = np.ctypeslib.as_array(ctypes.cast(values.ctypes.data, ctypes.POINTER(ctypes.c_int64)),
                                      (len(values),))
    # ``values`` stays alive meanwhile (``addresses`` is a view of its pointers). Every object is at least
    # 16 bytes long (its header), so two live ones start 16 bytes apart or more: address >> 4 still tells
    # them apart, and without the (mostly zero) low bits they hash better.
    by_id, _ = pd.factorize(addresses >> 4)
    # the distinct objects, in order of first appearance, then told apart by value
    firsts = np.flatnonzero(~pd.Series(by_id).duplicated().to_numpy())
    by_value, uniques = pd.factorize(values[firsts], use_na_sentinel=False)
    return by_value[by_id], uniques


INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def coerce(value, kind: str):
    """Convert a stored value (maybe a string from GraphML/CSV/JSON) to the schema type.

    Raises ValueError for a value the store could not hold: a list or object
    where text belongs, text with a lone surrogate (not encodable), a number
    outside INT64, a date with trailing junk.

    >>> coerce("2020-01-31T00:00:00", DATE), coerce("7", INT64), coerce(True, BOOLEAN)
    (datetime.date(2020, 1, 31), 7, True)
    >>> coerce(2 ** 70, INT64)
    Traceback (most recent call last):
    ...
    ValueError: number out of range: 1180591620717411303424
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, (list, dict, tuple, set)):
        raise ValueError(f"expected a single value, not a {type(value).__name__}")
    if kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in ("true", "1", "yes"):
            return True
        if s in ("false", "0", "no"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    if kind == DATE:
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        s = str(value).strip()
        if len(s) > 10 and s[10] not in "T ":  # "2020-01-31T00:00:00" yes, "2020-01-31junk" no
            raise ValueError(f"not a date: {value!r}")
        return _dt.date.fromisoformat(s[:10])
    if kind == INT64:
        if isinstance(value, bool):
            raise ValueError(f"not a whole number: {value!r}")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"not a whole number: {value!r}")
            value = int(value)
        n = int(value)
        if not INT64_MIN <= n <= INT64_MAX:
            raise ValueError(f"number out of range: {n}")
        return n
    s = str(value)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text with an invalid character (a lone UTF-16 surrogate)") from None
    return s


# -- derived properties: the sub-processor chain of every hop -------------------------------------------

CHAIN_LIMIT = 7  # organisations in a chain, the controller's recipient first: the rule pack's reach


def derived_properties(graph: RopaGraph, rel_type: str) -> dict[str, pa.Array]:
    """The store-only properties of a relationship type (``schema.HOP_DERIVED`` for the hops), one
    value per row of ``graph.rels[rel_type]``: what every writer of a store adds to the rows it writes.

    ``via`` of an ENGAGES hop z -> y for activity a is its :func:`engagement_chains` as one text, the
    names joined by ``schema.CHAIN_SEPARATOR``; of a DISCLOSES_TO hop it is ``''``: nobody stands
    between the controller and its recipient. ``via IS NOT NULL`` reads "the activity's data reach
    this hop" for both kinds (null: they never do). A name that holds the separator is refused
    (:class:`ropa.errors.ValidationError`): its chain could not be read back.

    >>> from ropa.samples import example_graph
    >>> derived_properties(example_graph(), "ENGAGES")["via"].to_pylist()
    ['Agenda Cloud GmbH']
    """
    if rel_type == "ENGAGES":
        chains = engagement_chains(graph)
        names = chains.values
        if names.null_count or (len(names) and pc.any(pc.equal(names, "")).as_py()):
            _refuse_unnamed(graph)
        return {"via": chain_texts(chains)}
    if rel_type == "DISCLOSES_TO":
        return {"via": pa.array([""] * len(graph.rels["DISCLOSES_TO"]), pa.string())}
    return {}


def _refuse_unnamed(graph: RopaGraph) -> None:
    """Refuse a RoPA with an organisation without a name on a sub-processor chain: its chain could not be
    stored (a null name makes the whole ``via`` null, as if the data never reached the hop, and an empty one
    an empty piece, which LadybugDB's ``string_split`` drops and Neo4j's ``split`` keeps). The importers
    refuse such names with the file and row; this is the wall for whatever else writes a store."""
    from .errors import ValidationError
    orgs = graph.nodes["Organisation"]
    blank = orgs["name"].isna() | (orgs["name"].astype(str).str.strip() == "")
    ids = sorted(map(str, orgs["id"][blank]))
    known = set(orgs["id"])
    eng = graph.rels["ENGAGES"]
    ids += sorted({str(i) for i in pd.concat([eng["src"], eng["dst"]]) if i not in known})
    shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    raise ValidationError(f"the organisation(s) {shown} on a sub-processor chain have no name: every organisation "
                          "needs one (findings and the stored chains name it); name it and write again (nothing "
                          "was written)")


def chain_texts(chains: pa.ListArray) -> pa.Array:
    """Each chain (a list of names, or null) as the one text a store keeps (``schema.HOP_DERIVED``)."""
    from .schema import CHAIN_SEPARATOR
    if len(chains.values) and pc.any(pc.match_substring(chains.values, CHAIN_SEPARATOR)).as_py():
        from .errors import ValidationError
        bad = pc.filter(chains.values, pc.match_substring(chains.values, CHAIN_SEPARATOR))[0].as_py()
        raise ValidationError(f"the organisation name {bad!r} holds the control character U+001F (unit separator), "
                              "which the store uses between the names of a sub-processor chain: remove it "
                              "from the name and import again (nothing was written)")
    return pc.binary_join(chains, CHAIN_SEPARATOR)


def chain_of(text: str | None) -> list[str] | None:
    """A hop's stored ``via`` as the list of names it joins (None stays None).

    >>> chain_of("A\x1fB"), chain_of(""), chain_of(None)
    (['A', 'B'], [], None)
    """
    from .schema import CHAIN_SEPARATOR
    if text is None:
        return None
    return text.split(CHAIN_SEPARATOR) if text else []


def hop_chains(graph: RopaGraph, rel_type: str) -> list[list[str] | None]:
    """Each hop row's chain as a list of names (what a store's ``via`` reads back as, by :func:`chain_of`)."""
    if rel_type == "ENGAGES":
        return [None if c is None else list(c) for c in engagement_chains(graph).to_pylist()]
    return [[] for _ in range(len(graph.rels[rel_type]))]


def engagement_chains(graph: RopaGraph) -> pa.ListArray:
    """For each row of ``graph.rels["ENGAGES"]`` (z engages y for activity a), the names of the
    organisations o1..z by which the data of a reach z, or None when they do not.

    o1 is a recipient the activity DISCLOSES_TO; each step follows an ENGAGES hop of the same
    activity; the chain holds no organisation twice, never passes through y and is at most
    :data:`CHAIN_LIMIT` long. Of the chains that qualify, the shortest; of equally short ones,
    the smallest list of names (Python's order, a missing name as ""): the path
    :func:`ropa.findings.finalise` keeps of the rows a hop-by-hop walk of every simple chain gives.

    The work: one breadth-first search for all activities at once, a level at a time, in numpy.
    Each (activity, organisation) reached at level d keeps only its smallest path; paths of one
    level all have d names, so the order of "path of the parent, then own name" is the order of
    (rank of the parent's path in level d-1, rank of the own name), two integers. A hop z -> y
    takes z's path unless y is on it (the hop leads back into its own chain: a cycle); only those
    hops get a search of their activity without y (:func:`_chains_avoiding`).

    >>> g = RopaGraph.from_records(
    ...     {"Organisation": [{"id": i, "name": i.upper()} for i in "pqrs"], "Activity": [{"id": "a"}]},
    ...     {"DISCLOSES_TO": [{"src": "a", "dst": "p", "activity": "a"}, {"src": "a", "dst": "s", "activity": "a"}],
    ...      "ENGAGES": [{"src": "p", "dst": "q", "activity": "a"}, {"src": "q", "dst": "r", "activity": "a"},
    ...                  {"src": "r", "dst": "p", "activity": "a"}, {"src": "s", "dst": "p", "activity": "a"}]})
    >>> engagement_chains(g).to_pylist()  # r -> p closes a cycle: every chain to r passes through p
    [['P'], ['P', 'Q'], None, ['S']]
    """
    eng = graph.rels["ENGAGES"]
    if not len(eng):
        return pa.array([], type=pa.list_(pa.string()))
    dis = graph.rels["DISCLOSES_TO"]
    orgs = graph.nodes["Organisation"]
    # organisations as codes 0..n-1 (ids the hops name without a node get a code too)
    org_ids, codes = pd.factorize(pd.concat([orgs["id"], eng["src"], eng["dst"], dis["dst"]], ignore_index=True),
                                  use_na_sentinel=True)
    n = len(codes)
    names = np.array([None] * n, dtype=object)
    no = len(orgs)
    has_id = org_ids[:no] >= 0
    names[org_ids[:no][has_id][::-1]] = orgs["name"].to_numpy(dtype=object)[has_id][::-1]  # an id's first node wins
    keyed = np.array(["" if v is None or v != v else str(v) for v in names], dtype=object)
    _, name_rank = np.unique(keyed, return_inverse=True)  # the order of names as Python compares them
    name_rank = name_rank.astype(np.int64).reshape(-1)
    zs = org_ids[no:no + len(eng)]
    ys = org_ids[no + len(eng):no + 2 * len(eng)]
    o1 = org_ids[no + 2 * len(eng):]
    acts, _ = pd.factorize(pd.concat([eng["activity"], dis["src"]], ignore_index=True))
    ea = acts[:len(eng)]
    da = acts[len(eng):]
    m = np.int64(n + 1)

    def key(a, v):
        return a.astype(np.int64) * m + v.astype(np.int64)

    ok = (ea >= 0) & (zs >= 0) & (ys >= 0)
    e_key = key(ea[ok], zs[ok])              # hops by (activity, engager)
    e_dst = ys[ok]
    order = np.argsort(e_key, kind="stable")
    e_key, e_dst, e_act = e_key[order], e_dst[order], ea[ok][order]

    # level 1: the recipients
    first = (da >= 0) & (o1 >= 0)
    k1 = key(da[first], o1[first])
    i1 = np.argsort(k1, kind="stable")
    i1 = i1[np.concatenate(([True], k1[i1][1:] != k1[i1][:-1]))] if len(i1) else i1
    k1 = k1[i1]
    level_keys = [k1]                        # per level: sorted keys of the (activity, organisation) reached
    level_paths = [o1[first][i1].reshape(-1, 1)]  # and their smallest paths, as organisation codes
    level_rank = [_dense_rank(name_rank[o1[first][i1]])]
    seen = k1
    for _ in range(1, CHAIN_LIMIT):
        fk, fr, fp = level_keys[-1], level_rank[-1], level_paths[-1]
        lo = np.searchsorted(e_key, fk, side="left")
        hi = np.searchsorted(e_key, fk, side="right")
        counts = hi - lo
        if not counts.sum():
            break
        parent = np.repeat(np.arange(len(fk)), counts)
        idx = _ranges(lo, counts)
        dst = e_dst[idx]
        ck = key(e_act[idx], dst)
        new = ~_contains(seen, ck)
        parent, dst, ck = parent[new], dst[new], ck[new]
        if not len(ck):
            break
        pr = fr[parent]
        nr = name_rank[dst]
        pick = np.lexsort((nr, pr, ck))       # per key, the smallest (parent rank, own name) first
        ck, parent, dst, pr, nr = ck[pick], parent[pick], dst[pick], pr[pick], nr[pick]
        firsts = np.concatenate(([True], ck[1:] != ck[:-1]))
        ck, parent, dst, pr, nr = ck[firsts], parent[firsts], dst[firsts], pr[firsts], nr[firsts]
        rank = _dense_rank(pr * np.int64(len(name_rank) + 1) + nr)
        level_keys.append(ck)
        level_rank.append(rank)
        level_paths.append(np.hstack([fp[parent], dst.reshape(-1, 1)]))
        seen = np.sort(np.concatenate([seen, ck]))

    hop_key = key(ea, zs)
    lengths = np.zeros(len(eng), dtype=np.int64)   # of each hop's chain; 0: null
    found: list[tuple[np.ndarray, np.ndarray]] = []  # (hop rows, their chains as organisation codes)
    redo: list[int] = []
    for paths, keys in zip(level_paths, level_keys):
        if not len(keys):
            continue
        pos = np.minimum(np.searchsorted(keys, hop_key), len(keys) - 1)
        rows = np.flatnonzero(ok & (keys[pos] == hop_key))
        if not len(rows):
            continue
        chosen = paths[pos[rows]]
        cyclic = (chosen == ys[rows].reshape(-1, 1)).any(axis=1)
        lengths[rows[~cyclic]] = chosen.shape[1]
        found.append((rows[~cyclic], chosen[~cyclic]))
        redo.extend(rows[cyclic].tolist())
    again = _chains_avoiding(redo, ea, zs, ys, ok, da, o1, first, keyed) if redo else {}
    for r, p in again.items():
        lengths[r] = len(p)
    offsets = np.zeros(len(eng) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.empty(int(offsets[-1]), dtype=np.int64)
    for rows, chosen in found:
        flat[(offsets[rows].reshape(-1, 1) + np.arange(chosen.shape[1])).ravel()] = chosen.ravel()
    for r, p in again.items():
        flat[offsets[r]:offsets[r] + len(p)] = p
    values = pa.array(names, type=pa.string()).take(pa.array(flat))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, mask=pa.array(lengths == 0))


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """0 for the smallest value, 1 for the next distinct one, ... (by sorting: numpy's hash-based
    ``unique`` is far slower on these columns)."""
    if not len(values):
        return values.astype(np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.cumsum(np.concatenate(([0], ordered[1:] != ordered[:-1])))
    return rank


def _contains(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.isin(values, ordered)`` for a sorted ``ordered``, by binary search."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[pos] == values


def _ranges(lo: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(lo[i], lo[i] + counts[i])`` for every i, without a Python loop."""
    total = int(counts.sum())
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return starts + np.arange(total)


def _chains_avoiding(rows: list[int], ea, zs, ys, ok, da, o1, first, keyed) -> dict[int, tuple]:
    """The chains (organisation codes) of hops z -> y whose smallest chain to z passes through y, found
    by a search of the activity's hops without y; hops left without a chain are left out. Plain
    Python: such hops close a cycle, and cycles are rare."""
    by_act: dict[int, list[int]] = {}
    for r in rows:
        by_act.setdefault(int(ea[r]), []).append(r)
    acts = set(by_act)
    adj: dict[int, dict[int, list[int]]] = {a: {} for a in acts}
    for a, z, y in zip(ea[ok].tolist(), zs[ok].tolist(), ys[ok].tolist()):
        if a in acts:
            adj[a].setdefault(z, []).append(y)
    starts: dict[int, set[int]] = {a: set() for a in acts}
    for a, v in zip(da[first].tolist(), o1[first].tolist()):
        if a in acts:
            starts[a].add(v)
    out: dict[int, tuple] = {}
    for a, hop_rows in by_act.items():
        for y in {int(ys[r]) for r in hop_rows}:
            best = _smallest_paths(adj[a], starts[a] - {y}, y, keyed)
            for r in hop_rows:
                if int(ys[r]) == y and int(zs[r]) in best:
                    out[r] = best[int(zs[r])]
    return out


def _smallest_paths(adj: dict[int, list[int]], starts: set[int], avoid: int, keyed) -> dict[int, tuple]:
    """Breadth-first from ``starts`` over ``adj`` without ``avoid``, at most CHAIN_LIMIT deep: for each
    node reached, the shortest path there with the smallest names (as organisation codes)."""
    best: dict[int, tuple] = {v: (v,) for v in starts}
    level = {v: ((keyed[v],), (v,)) for v in starts}
    for _ in range(1, CHAIN_LIMIT):
        nxt: dict[int, tuple] = {}
        for u, (label, path) in level.items():
            for w in adj.get(u, ()):
                if w == avoid or w in best:
                    continue
                cand = (label + (keyed[w],), path + (w,))
                old = nxt.get(w)
                if old is None or cand[0] < old[0]:
                    nxt[w] = cand
        if not nxt:
            break
        for w, (_, path) in nxt.items():
            best[w] = path
        level = nxt
    return best
