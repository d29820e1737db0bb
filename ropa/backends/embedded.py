"""The embedded store: LadybugDB, in-process, on disk or in memory.

Bulk loads go through LadybugDB's ``COPY ... FROM`` an Arrow table (measured
~30x faster than batched MERGE). An import into an on-disk store writes a fresh
database beside it and renames it into place (in memory: one transaction), so
it lands whole or not at all and the file does not grow with every import. An
on-disk store can be opened by one process at a time; a second one gets
:class:`StoreLockedError` with the way out.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import ladybug as lb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BackendError, ReadOnlyError, StoreLockedError
from ..model import RopaGraph, derived_properties
from ..reference_graph import reference_graph
from ..schema import BOOLEAN, DATE, INT64, NODE_TYPES, REL_TYPES, ROPA_LABELS, STRING_LIST
from .base import Backend, Progress
from .dialect import to_ladybug

ARROW_TYPES = {"STRING": pa.string(), BOOLEAN: pa.bool_(), DATE: pa.date32(), INT64: pa.int64(),
               STRING_LIST: pa.list_(pa.string())}
DEFAULT_STORE = Path(".ropa") / "ropa.lbdb"


def default_store_path() -> Path:
    """``$ROPA_STORE`` if set, else ``.ropa/ropa.lbdb`` under the working directory."""
    return Path(os.environ.get("ROPA_STORE") or DEFAULT_STORE)


class EmbeddedBackend(Backend):
    """LadybugDB store. ``path=None`` or ``":memory:"`` keeps it in memory.

    >>> from ropa.model import RopaGraph
    >>> with EmbeddedBackend(":memory:") as store:
    ...     store.replace(RopaGraph.empty())
    ...     store.run("MATCH (m:Mechanism {id: 'safe_harbor'}) RETURN m.invalid_from AS d")[0]["d"]
    datetime.date(2015, 10, 6)
    """

    kind = "embedded"

    def __init__(self, path: str | Path | None = None, read_only: bool = False):
        self.path = ":memory:" if path in (None, ":memory:") else str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = lb.Database(self.path, read_only=read_only)
        except RuntimeError as exc:
            raise _translate(exc, self.path) from exc
        self.conn = lb.Connection(self.db)
        self._unseeded = False  # a new store whose reference data are not written yet (see ensure_schema)
        if not read_only:
            self.ensure_schema()
        elif self._missing_derived():
            self._upgrade_from_read_only()

    def describe(self) -> str:
        return "embedded (in memory)" if self.path == ":memory:" else f"embedded ({self.path})"

    # -- schema ---------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the tables; a new store gets the reference data with its first write (every
        :meth:`replace` writes them), else before its first query, else when it is closed: so a first
        import writes the store once, not the reference data and then everything again."""
        with self._lock:
            missing = self._missing_derived()
            self._create_schema()
            if missing:
                self._upgrade(missing)
            self._unseeded = not self._exec("MATCH (m:Mechanism) RETURN count(m)")[0][0]

    def _seed(self) -> None:
        if self._unseeded:
            self.replace(RopaGraph.empty())

    def _missing_derived(self) -> list[tuple[str, str, str]]:
        """(type, property, kind) of every derived property (``schema.HOP_DERIVED``) that the tables
        of a store written by an older version lack. Empty for a new or current store."""
        tables = {r[0] for r in self._exec("CALL show_tables() RETURN name")}
        out = []
        for t in REL_TYPES.values():
            if t.derived and t.type in tables:
                have = {r[0] for r in self._exec(f"CALL table_info('{t.type}') RETURN name")}
                out += [(t.type, n, ty) for n, ty in t.derived if n not in have]
        return out

    def _upgrade(self, missing: list[tuple[str, str, str]]) -> None:
        """Bring a store written by an older version up to date: add the derived properties and
        compute them over the stored RoPA, in one transaction (DDL included: a failed upgrade leaves
        the store as it was, to be upgraded at the next open, never with the property half there)."""
        full = _with_reference(self.export())
        self._replace_in_transaction(full, None, [f"ALTER TABLE {rel_type} ADD {name} {kind}"
                                                  for rel_type, name, kind in missing])

    def _upgrade_from_read_only(self) -> None:
        """An older store opened read-only: upgrade it through a brief writable handle, then read on."""
        self.conn.close()
        self.db.close()
        try:
            EmbeddedBackend(self.path).close()  # ensure_schema upgrades it
        except StoreLockedError as exc:
            raise StoreLockedError(
                f"the store {self.path} was written by an older version and must be upgraded once "
                f"(its hops lack the sub-processor chain the rules read), which needs it to itself: {exc}") from exc
        self.db = lb.Database(self.path, read_only=True)
        self.conn = lb.Connection(self.db)

    def _create_schema(self) -> None:
        for t in NODE_TYPES.values():
            props = ", ".join(f"{n} {ty}" for n, ty in t.properties)
            self._exec(f"CREATE NODE TABLE IF NOT EXISTS {t.label}({props}, PRIMARY KEY(id))")
        for t in REL_TYPES.values():
            pairs = ", ".join(f"FROM {a} TO {b}" for a, b in t.pairs)
            props = "".join(f", {n} {ty}" for n, ty in t.stored)
            self._exec(f"CREATE REL TABLE IF NOT EXISTS {t.type}({pairs}{props})")

    # -- writing --------------------------------------------------------------
    def replace(self, graph: RopaGraph, progress: Progress | None = None) -> None:
        """Make the store hold exactly ``graph`` plus the reference data; all or nothing (one transaction).

        Tried and dropped: writing a fresh database beside the store and renaming it into
        place (no file growth, fresh-store speed). The rename takes the file from under
        LadybugDB's lock: a second process could open the new file while we still held the
        old one, and our closing handle wrote its WAL/shadow next to the new file, which
        the next open refused ("pending checkpoint bundle owned by another database";
        tests/test_workspace.py's two-writer test caught it). One transaction keeps the
        store's own lock serialising writers.
        """
        if self.read_only:
            raise ReadOnlyError("the store was opened read-only")
        full = _with_reference(graph)
        with self._lock:
            self._replace_in_transaction(full, progress)
            self._unseeded = False
        if progress:
            progress(1.0, "done")

    def _load_all(self, full: RopaGraph, progress: Progress | None) -> None:
        steps = [("node", k) for k in NODE_TYPES] + [("rel", k) for k in REL_TYPES]
        for i, (kind, name) in enumerate(steps):
            if progress:
                progress(i / len(steps), f"loading {name}")
            if kind == "node":
                self._copy_nodes(name, full)
            else:
                self._copy_rels(name, full)

    def _replace_in_transaction(self, full: RopaGraph, progress: Progress | None, ddl: list[str] = ()) -> None:
        self._exec("BEGIN TRANSACTION")
        try:
            for statement in ddl:
                self._exec(statement)
            for label in NODE_TYPES:
                self._exec(f"MATCH (n:{label}) DETACH DELETE n")
            self._load_all(full, progress)
            self._exec("COMMIT")
        except BaseException:
            self._exec("ROLLBACK")
            raise

    def _copy_nodes(self, label: str, graph: RopaGraph) -> None:
        df = graph.nodes[label]
        if not len(df):
            return
        t = NODE_TYPES[label]
        rows = pa.table({n: _arrow(df[n], ARROW_TYPES[ty]) for n, ty in t.properties})
        self._exec(f"COPY {label} FROM $rows", {"rows": rows})

    def _copy_rels(self, rel_type: str, graph: RopaGraph) -> None:
        df = graph.rels[rel_type]
        if not len(df):
            return
        t = REL_TYPES[rel_type]
        derived = derived_properties(graph, rel_type)  # the hops' chains, over the whole graph
        for src_label, dst_label in t.pairs:
            mask = None
            if len(t.pairs) > 1:
                mask = ((df["src_label"] == src_label) & (df["dst_label"] == dst_label)).to_numpy()
            part = df if mask is None else df[mask]
            if not len(part):
                continue
            cols = {"from": _arrow(part["src"], pa.string()), "to": _arrow(part["dst"], pa.string())}
            cols.update({n: _arrow(part[n], ARROW_TYPES[ty]) for n, ty in t.properties})
            for n, ty in t.derived:
                cols[n] = (derived[n] if mask is None else derived[n].filter(pa.array(mask))).cast(ARROW_TYPES[ty])
            option = f" (from='{src_label}', to='{dst_label}')" if len(t.pairs) > 1 else ""
            self._exec(f"COPY {rel_type} FROM $rows{option}", {"rows": pa.table(cols)})

    # -- reading --------------------------------------------------------------
    def export(self) -> RopaGraph:
        # No _seed(): the export leaves the reference data out, so a new store exports empty either way.
        nodes: dict[str, list[dict]] = {}
        for label in ROPA_LABELS + ["Country"]:
            cols = NODE_TYPES[label].columns
            where = " WHERE n.resolved = false" if label == "Country" else ""
            rows = self._exec(f"MATCH (n:{label}){where} RETURN " + ", ".join(f"n.{c}" for c in cols))
            nodes[label] = [dict(zip(cols, r)) for r in rows]
        rels: dict[str, list[dict]] = {}
        for t in REL_TYPES.values():
            if t.reference:
                continue
            out = []
            for a, b in t.pairs:
                ret = ", ".join(["s.id", "d.id"] + [f"r.{c}" for c in t.columns])
                for r in self._exec(f"MATCH (s:{a})-[r:{t.type}]->(d:{b}) RETURN {ret}"):
                    out.append({"src": r[0], "dst": r[1], "src_label": a, "dst_label": b,
                                **dict(zip(t.columns, r[2:]))})
            rels[t.type] = out
        return RopaGraph.from_records(nodes, rels)

    def export_tables(self):
        """:meth:`export` a table at a time, each read column by column through Arrow (see
        :meth:`Backend.export_tables`): no dict per row, each table's texts shared by its rows."""
        for label in sorted(NODE_TYPES):
            cols = NODE_TYPES[label].columns
            if label not in ROPA_LABELS and label != "Country":
                yield "nodes", label, {c: [] for c in cols}
                continue
            where = " WHERE n.resolved = false" if label == "Country" else ""
            ret = ", ".join(f"n.{c} AS c{i}" for i, c in enumerate(cols))
            yield "nodes", label, self._arrow_columns(f"MATCH (n:{label}){where} RETURN {ret}", cols)
        for rt in sorted(REL_TYPES):
            t = REL_TYPES[rt]
            names = ["src", "dst"] + t.columns
            out: dict[str, list] = {c: [] for c in ["src", "dst", "src_label", "dst_label"] + t.columns}
            for a, b in ([] if t.reference else t.pairs):
                ret = ", ".join(f"{v} AS c{i}" for i, v in enumerate(["s.id", "d.id"] + [f"r.{c}" for c in t.columns]))
                part = self._arrow_columns(f"MATCH (s:{a})-[r:{t.type}]->(d:{b}) RETURN {ret}", names)
                n = len(part["src"])
                part["src_label"], part["dst_label"] = [a] * n, [b] * n
                for c, values in part.items():
                    out[c] += values
                del part
            yield "rels", rt, out

    def _arrow_columns(self, query: str, names: list[str]) -> dict[str, list]:
        """A read query's result as name -> list, the values :meth:`_exec` gives, through Arrow."""
        with self._lock:
            result = self._execute(query, None)
            try:
                table = result.get_as_arrow(0)
            finally:
                result.close()
        return {n: _column(table.column(i)) for i, n in enumerate(names)}

    def release_memory(self) -> None:
        """Give back the memory of the queries run so far: LadybugDB keeps in its buffer pool every
        page a query's intermediate results took, until the database closes (gigabytes after the rule
        pack at a million relationships), so a read-only store on disk is closed and opened again.
        A writable or in-memory store keeps it (closing an in-memory store would lose its data).
        Raises :class:`BackendError` if the store was replaced meanwhile (an import renames a new
        database into place): the caller would otherwise mix two versions of the data."""
        if not self.read_only or self.path == ":memory:":
            return
        with self._lock:
            self.conn.close()
            self.db.close()
            try:
                self.db = lb.Database(self.path, read_only=True)
            except RuntimeError as exc:
                raise _translate(exc, self.path) from exc
            self.conn = lb.Connection(self.db)
            if self._timeout_ms:
                self.conn.set_query_timeout(self._timeout_ms)
            now = _identity(self.path)
            if self._read_from is not None and now != self._read_from:
                raise BackendError(f"the store {self.path} changed while it was being read (an import?); "
                                   "run the command again")
            self._read_from = now

    _timeout_ms = 0

    def set_query_timeout(self, ms: int) -> None:
        """Stop a query that runs longer than ``ms`` milliseconds (0: no limit); kept when
        :meth:`release_memory` reopens the store (a caller holding ``conn`` itself would lose it)."""
        with self._lock:
            self._timeout_ms = ms
            self.conn.set_query_timeout(ms)

    def interrupt(self) -> None:
        """Stop the running query, from another thread (on the connection open now)."""
        self.conn.interrupt()

    # The identity (_identity) of the read-only store's file when it was first read: release_memory
    # reopens the store and must find the same file there.
    _read_from: tuple | None = None

    def _note_read(self) -> None:
        if self._read_from is None and self.read_only and self.path != ":memory:":
            self._read_from = _identity(self.path)

    def _execute(self, query: str, params: dict[str, Any] | None):
        self._note_read()
        try:
            query = to_ladybug(query)
            # LadybugDB refuses parameters a query does not use; every rule gets $asOf.
            used = {k: v for k, v in (params or {}).items() if re.search(r"\$" + k + r"\b", query)}
            return self.conn.execute(query, used)
        except RuntimeError as exc:
            raise _translate(exc, self.path) from exc

    def run_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, list]:
        """Columns through Arrow: strings, lists of strings and integers are converted a column at a
        time, each distinct string made once and shared by every row that holds it (a rule's controller,
        activity, country... repeat across its findings); other types as :meth:`run` gives them."""
        with self._lock:
            self._seed()
            result = self._execute(query, params)
            names = result.get_column_names()
            types = result.get_column_data_types()
            if not all(t in _ARROW_PLAIN for t in types):
                rows = result.get_all()
                return {n: [_plain(r[i]) if type(r[i]) in _NESTED else r[i] for r in rows]
                        for i, n in enumerate(names)}
            table = result.get_as_arrow(0)
        return {n: _column(table.column(i)) for i, n in enumerate(names)}

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            self._seed()
            result = self._execute(query, params)
            names = result.get_column_names()
            # get_all() fetches in one call; only nodes, relationships and lists need _plain
            # (a rule's findings are mostly strings: this loop is most of a big rule's Python time).
            return [{n: (_plain(v) if type(v) in _NESTED else v) for n, v in zip(names, row)}
                    for row in result.get_all()]

    def _exec(self, query: str, params: dict | None = None) -> list[list]:
        try:
            result = self.conn.execute(query, params or {})
        except RuntimeError as exc:
            raise _translate(exc, self.path) from exc
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return rows

    def close(self) -> None:
        with self._lock:
            try:
                if self.path != ":memory:":
                    self._seed()  # a new store on disk closed unwritten still holds the reference data
            finally:
                self._unseeded = False
                try:
                    self.conn.close()
                finally:
                    self.db.close()


_NESTED = (dict, list)
# LadybugDB column types that Arrow carries as plain values (no node/relationship structs): for each,
# get_as_arrow(...).to_pylist() was checked to equal get_all() value for value and type for type
# (datetime.date, datetime.datetime, timedelta, None; ladybug 0.22; tests/test_store.py checks it).
# Anything else (nodes, relationships, paths, maps, structs) takes the row path.
_ARROW_PLAIN = {"STRING", "STRING[]", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8",
                "BOOL", "DOUBLE", "FLOAT", "DATE", "TIMESTAMP", "INTERVAL",
                "INT64[]", "DOUBLE[]", "BOOL[]", "DATE[]"}


def _identity(path: str) -> tuple:
    """What tells one database file from another at a path: (inode, size, modification time)."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def _column(col: pa.ChunkedArray) -> list:
    """One Arrow column as a Python list, the values :meth:`EmbeddedBackend.run` would give."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return _strings(arr)
    if pa.types.is_list(arr.type) and pa.types.is_string(arr.type.value_type):
        values = _strings(arr.values)
        offsets = arr.offsets.to_pylist()
        lists = [values[a:b] for a, b in zip(offsets, offsets[1:])]
        if arr.null_count:
            lists = [v if ok else None for v, ok in zip(lists, arr.is_valid().to_pylist())]
        return lists
    return arr.to_pylist()


def _strings(arr: pa.Array) -> list:
    """A string array as a list in which equal strings are one shared object (nulls as None)."""
    enc = pc.dictionary_encode(arr)
    uniques = enc.dictionary.to_pylist()
    indices = enc.indices
    if enc.null_count:
        indices = pc.fill_null(indices, len(uniques))
        uniques.append(None)
    lookup = np.empty(len(uniques), dtype=object)
    lookup[:] = uniques
    return lookup[indices.to_numpy()].tolist()


def _arrow(values, type_: pa.DataType) -> pa.Array:
    """A column as an Arrow array of the schema's type (None and NaN become null)."""
    return pa.array(values.to_numpy(dtype=object), type=type_, from_pandas=True)


def _with_reference(graph: RopaGraph) -> RopaGraph:
    """The graph plus the legal reference data; the reference data win: a file never redefines them."""
    return graph.merge(reference_graph())


def _plain(value):
    """Node and relationship values as plain property dicts (``_label`` kept)."""
    if isinstance(value, dict) and "_LABEL" in value:
        out = {k: v for k, v in value.items() if not k.startswith("_")}
        out["_label"] = value["_LABEL"]
        return out
    if isinstance(value, list):
        return [_plain(v) if type(v) in _NESTED else v for v in value]
    return value


LOCK_RE = re.compile(r"Could not set lock on file.*?(?:PID\D*(\d+))?", re.S)


def _translate(exc: RuntimeError, path: str) -> Exception:
    msg = str(exc)
    if "lock" in msg.lower():
        pid = re.search(r"PID\D*(\d+)", msg)
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreLockedError(
            f"the store {path} is in use by another program{who}, probably a running explorer; "
            "stop it, or point this command at another store with --store PATH")
    return BackendError(f"embedded store: {msg.splitlines()[0] if msg else type(exc).__name__}")
