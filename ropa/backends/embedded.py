"""The embedded store: LadybugDB, in-process, on disk or in memory.

Bulk loads go through LadybugDB's ``COPY ... FROM`` an Arrow table (far faster
than batched MERGE). On disk the store is a directory of whole
states, one of them current (:mod:`ropa.backends.statedir`): a write builds a
new database beside the current one and switches to it by renaming a pointer,
so a kill or a full disk at any instant leaves the old state or the new one,
and the last few states can be restored. An old single-file store is moved
into a store directory by its first write. In memory an import is one
transaction. One process writes a store at a time; a second one gets
:class:`StoreLockedError` with the way out; readers are never locked out.

Why one module over 600 lines: every write path (import, restore, upgrade) shares the handle's state
(the current state, the writer's lock, the connection a write goes to); the file-system part is
already apart (:mod:`ropa.backends.statedir`), and so is the child that writes a state (builder.py).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import ladybug as lb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BackendError, ReadOnlyError, StoreLockedError, StoreOutdatedError
from . import statedir
from ..model import RopaGraph, derived_properties, fingerprint_of_rows, row_hashes
from ..reference_graph import reference_graph
from ..schema import (BOOLEAN, DATE, INT64, NODE_TYPES, REL_TYPES, REVISION, ROPA_LABELS, SCHEMA_VERSION, STRING_LIST,
                      schema_changes_since)
from .base import Backend, Progress
from .dialect import to_ladybug

ARROW_TYPES = {"STRING": pa.string(), BOOLEAN: pa.bool_(), DATE: pa.date32(), INT64: pa.int64(),
               STRING_LIST: pa.list_(pa.string())}


class EmbeddedBackend(Backend):
    """LadybugDB store. ``path=None`` or ``":memory:"`` keeps it in memory.

    An open checks the store's schema stamp (:data:`ropa.schema.SCHEMA_VERSION`) and refuses a store
    of another version with :class:`StoreOutdatedError`, changing nothing; ``upgrade=True`` opens an
    older one anyway, for :meth:`upgrade` (``ropa store upgrade``: a new state) and the store's history.
    A ``read_only`` open writes nothing.

    >>> from ropa.model import RopaGraph
    >>> with EmbeddedBackend(":memory:") as store:
    ...     store.replace(RopaGraph.empty())
    ...     store.run("MATCH (m:Mechanism {id: 'safe_harbor'}) RETURN m.invalid_from AS d")[0]["d"]
    datetime.date(2015, 10, 6)
    """

    kind = "embedded"

    def __init__(self, path: str | Path | None = None, read_only: bool = False, keep: int | None = None,
                 upgrade: bool = False):
        self.path = ":memory:" if path in (None, ":memory:") else str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self.notices: list[str] = []  # what the user must hear about this store (an import rolled back, or found)
        self._dir: statedir.StateDir | None = None  # a store directory (None: in memory, or an old single file)
        self._state: int | None = None  # the state the handle reads, in a store directory
        self._wconn = None  # the connection a write goes to: a new state's (on disk), self.conn (in memory)
        self._origin: str | None = None  # what the next state is made by, for its history entry
        self._absent: set[tuple[str, str]] = set()  # (table, property) an older store lacks, until upgraded
        self._unseeded = False  # a new store whose reference data are not written yet (see ensure_schema)
        self.db = self.conn = None
        if self.path == ":memory:":
            self._connect(":memory:", read_only=False)
        else:
            self._open_on_disk(Path(self.path), keep, upgrade)
        try:
            self._check_schema(upgrade)
            if not read_only:
                self.ensure_schema()
        except BaseException:
            self.close()
            raise

    def _connect(self, where: str, read_only: bool) -> None:
        try:
            self.db = lb.Database(where, read_only=read_only)
        except RuntimeError as exc:
            raise _translate(exc, self.path) from exc
        self.conn = lb.Connection(self.db)

    def _open_on_disk(self, path: Path, keep: int | None, upgrade: bool) -> None:
        """A store directory (made, or moved into from an old single file, when opened for writing);
        an old single-file store opened read-only is read as it is. A writable open checks the old
        file's schema before it moves it: a store the open refuses is left exactly as it was."""
        if self.read_only:
            path = _migration_to_read(path)
        else:
            _finish_migration(path)
        if path.is_file():
            self._connect(str(path), read_only=True)  # read as it is; its first write moves it
            if self.read_only:
                return
            try:
                self._check_schema(upgrade)
            finally:
                self._close_handle()
            _migrate_single_file(path)
        elif not path.exists() and self.read_only:
            raise BackendError(f"there is no store at {path} yet; import a file first")
        self._dir = statedir.StateDir(path, keep)
        if self.read_only:
            self.notices += self._dir.interrupted()  # said, not removed: a read-only open writes nothing
        else:
            self._dir.lock()
            try:
                self.notices += self._dir.recover()
            except BaseException:
                self._dir.unlock()
                raise
        try:
            if self._open_current() is None:
                if self.read_only:
                    raise BackendError(f"there is no store at {path} yet; import a file first")
                self._connect(":memory:", read_only=False)  # nothing stored yet: see ensure_schema
        except BaseException:
            self._dir.unlock()
            raise

    def _open_current(self) -> int | None:
        """Open the current state read-only (a state is never written once current); its number. A state
        that goes away as it is opened (another process switched and pruned meanwhile) is skipped."""
        for _ in range(50):
            n = self._dir.current()
            if n is None:
                return None
            data = self._dir.data_path(n)
            try:
                db = lb.Database(str(data), read_only=True)
            except RuntimeError as exc:
                if self._dir.current() != n or not data.exists():
                    continue
                raise _translate(exc, self.path) from exc
            self.db, self.conn, self._state = db, lb.Connection(db), n
            if self._timeout_ms:
                self.conn.set_query_timeout(self._timeout_ms)
            return n
        raise BackendError(f"the store {self.path} changes too fast to be opened; try again")

    def _close_handle(self) -> None:
        conn, db, self.conn, self.db = self.conn, self.db, None, None
        try:
            if conn is not None:
                conn.close()
        finally:
            if db is not None:
                db.close()

    def describe(self) -> str:
        return "embedded (in memory)" if self.path == ":memory:" else f"embedded ({self.path})"

    # -- schema ---------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the tables; a new store gets the reference data with its first write (every
        :meth:`replace` writes them), else before its first query, else when it is closed: so a first
        import writes the store once, not the reference data and then everything again. A store of
        another schema version never gets here (see :meth:`_check_schema`)."""
        self._refuse_if_read_only("to create its tables")
        with self._lock:
            if self._dir is not None and self._state is None:  # nothing stored yet: an empty schema in memory
                self._create_schema()
                self._unseeded = True
                return
            if self._dir is None:
                self._create_schema()
            self._unseeded = not self._exec("MATCH (m:Mechanism) RETURN count(m)")[0][0]

    def _seed(self) -> None:
        if self._unseeded:
            self._origin = self._origin or "a new store: the reference data"
            self.replace(RopaGraph.empty())

    def _missing_derived(self) -> list[tuple[str, str, str]]:
        """(table, property, kind) of every property of the schema that the tables of a store written by
        an older version lack: a derived one (``schema.HOP_DERIVED``, computed on the upgrade) or one added
        since (e.g. the provenance of evidence: ``Document.title``, the hops' ``evidence_at``; null in the
        upgraded store). Empty for a new or current store."""
        tables = {r[0] for r in self._exec("CALL show_tables() RETURN name")}
        out = []
        for name, props in ([(t.label, t.properties) for t in NODE_TYPES.values()]
                            + [(t.type, t.stored) for t in REL_TYPES.values()]):
            if name in tables:
                have = {r[0] for r in self._exec(f"CALL table_info('{name}') RETURN name")}
                out += [(name, n, ty) for n, ty in props if n not in have]
        self._absent = {(name, n) for name, n, _ in out}
        return out

    def schema_version(self) -> int:
        """The schema version of what the store holds: the stamp of its current state (``state.json``);
        for a state written before the stamps, what its tables show (1: hops without their chain; 2: no
        provenance of evidence, ``Document.title`` and the hops' ``evidence_at``)."""
        if self.path == ":memory:" or (self._dir is not None and self._state is None):
            return SCHEMA_VERSION  # nothing stored: written by this version when it is
        if self._dir is not None:
            stamp = self._dir.meta(self._state).schema
            if stamp is not None:
                return stamp
        missing = {(t, n) for t, n, _ in self._missing_derived()}
        derived = {(t.type, n) for t in REL_TYPES.values() for n, _ in t.derived}
        return 1 if missing & derived else 2 if missing else SCHEMA_VERSION

    def _check_schema(self, upgrade: bool) -> None:
        """Refuse a store of another schema version, or (``upgrade``, a writable open) upgrade an older one."""
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return
        if found > SCHEMA_VERSION:
            raise StoreOutdatedError(
                f"the store {self.path} was written by a newer version of this tool (store schema {found}; this "
                f"one reads {SCHEMA_VERSION}): use that version, or point this one at another store with --store")
        if not upgrade:
            raise StoreOutdatedError(
                f"the store {self.path} was written by an older version of this tool (store schema {found}; this "
                f"one reads {SCHEMA_VERSION}): it lacks {schema_changes_since(found)}. Nothing was "
                f"changed. Run `ropa store upgrade --store {self.path}` once (a new state: the old one stays "
                "restorable), or start afresh with `ropa store reset` and import your register again")
        # upgrade=True: opened anyway, for the store's own commands (upgrade(), history, restore)
        self._missing_derived()  # read what the old tables lack as null meanwhile

    def upgrade(self) -> int:
        """Bring a store written by an older version up to date; the version it had. The derived properties
        are added and computed over the stored RoPA, all or nothing: a new state, stamped, with the new
        tables; the old one stays restorable (an in-memory store is always current)."""
        self._refuse_if_read_only("an upgrade")
        with self._lock:
            found = self.schema_version()
            if found >= SCHEMA_VERSION:
                return found
            added = ", ".join(sorted({f"{t}.{n}" for t, n, _ in self._missing_derived()}))  # sets _absent
            stored = self.export()  # reads null for the properties the old tables lack
            self._origin, self._counts = (f"upgrade of state {self._state} from store schema {found} to "
                                          f"{SCHEMA_VERSION} ({added or 'stamp'} added)"), _counts(stored)
            try:  # a writable open moved an old single file into a store directory: this is a new state
                self._replace_in_transaction(_with_reference(stored), None)
            finally:
                self._origin, self._absent = None, set()
            return found

    def _create_schema(self) -> None:
        for t in NODE_TYPES.values():
            props = ", ".join(f"{n} {ty}" for n, ty in t.properties)
            self._exec(f"CREATE NODE TABLE IF NOT EXISTS {t.label}({props}, PRIMARY KEY(id))", conn=self._target())
        for t in REL_TYPES.values():
            pairs = ", ".join(f"FROM {a} TO {b}" for a, b in t.pairs)
            props = "".join(f", {n} {ty}" for n, ty in t.stored)
            self._exec(f"CREATE REL TABLE IF NOT EXISTS {t.type}({pairs}{props})", conn=self._target())
        label, props = REVISION.label, ", ".join(f"{n} {ty}" for n, ty in REVISION.properties)
        self._exec(f"CREATE NODE TABLE IF NOT EXISTS {label}({props}, PRIMARY KEY(id))", conn=self._target())

    def _target(self):
        """The connection a write goes to."""
        return self._wconn if self._wconn is not None else self.conn

    # -- writing --------------------------------------------------------------
    def replace(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None,
                revision: dict | None = None) -> None:
        """Make the store hold exactly ``graph`` plus the reference data; all or nothing. ``revision``
        (a ``schema.REVISION`` record, :mod:`ropa.revisions`) is added to the store's journal in the same
        write; the journal is kept whatever ``graph`` holds.

        On disk the new graph is written as a new state beside the current one, which is switched to
        only once it is whole (:mod:`ropa.backends.statedir`): the old state survives a kill or a full
        disk at any instant. ``origin`` says what made the state (``ropa store history``). In memory
        it is one transaction.

        Tried and dropped: deleting the stored graph and copying the new one in, in one LadybugDB
        transaction (a kill or a full disk in its commit or checkpoint emptied the store); writing a
        fresh database beside the store file and renaming it over it (the rename took the file from
        under LadybugDB's lock, and the closing handle wrote its WAL beside the new file).
        """
        self._refuse_if_read_only("an import or an edit")
        full = _with_reference(graph)
        with self._lock:
            if origin:
                self._origin = origin
            self._counts = _counts(graph)
            self._revision = revision
            try:
                self._replace_in_transaction(full, progress)
            finally:
                self._origin = self._revision = None
            self._unseeded = False
        if progress:
            progress(1.0, "done")

    def load(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None) -> RopaGraph:
        """Merge ``graph`` into what the store holds; all or nothing. Returns the merged RoPA."""
        self._refuse_if_read_only("an import")
        merged = self.export().merge(graph)
        self.replace(merged, progress, origin)
        return merged

    _counts: dict = {}
    #: whether a new state keeps its data fingerprint (a scratch store that only the rule pack reads does not)
    keeps_fingerprint = True
    _row_hashes: list | None = None  # while a new state is prepared: (part, table, row hashes) of its RoPA
    _written_fingerprint: str | None = None  # the fingerprint of the state being written
    _writes_schema: int | None = SCHEMA_VERSION  # the stamp of the state being written (a restore: the old one's)
    _revision: dict | None = None  # the revision the write under way adds to the journal

    def revisions(self) -> list[dict]:
        """The store's journal (``schema.REVISION`` records), oldest first; [] for a store without one."""
        if self.conn is None or (self._dir is not None and self._state is None):
            return []
        cols, label = REVISION.columns, REVISION.label
        try:
            rows = self._exec(f"MATCH (r:{label}) RETURN " + ", ".join(f"r.{c}" for c in cols)
                              + " ORDER BY r.number")
        except BackendError:
            return []  # a state written before the journal existed
        return [dict(zip(cols, r)) for r in rows]

    def _copy_journal(self) -> None:
        """The journal into the state being written: on disk (a new database) all of it, in memory (the
        journal table is never cleared) the new revision only."""
        rows = (self.revisions() if self._dir is not None else []) + ([self._revision] if self._revision else [])
        if not rows:
            return
        table = pa.table({n: pa.array([r.get(n) for r in rows], type=ARROW_TYPES[ty]) for n, ty in REVISION.properties})
        label = REVISION.label
        self._exec(f"COPY {label} FROM $rows", {"rows": table}, conn=self._target())

    def _load_all(self, full: RopaGraph, progress: Progress | None) -> None:
        steps = [("node", k) for k in NODE_TYPES] + [("rel", k) for k in REL_TYPES]
        for i, (kind, name) in enumerate(steps):
            if progress:
                progress(0.9 * i / len(steps), f"loading {name}")
            if kind == "node":
                self._copy_nodes(name, full)
            else:
                self._copy_rels(name, full)
        self._copy_journal()

    def _replace_in_transaction(self, full: RopaGraph, progress: Progress | None) -> None:
        """The write itself: a new state on disk, one transaction in memory."""
        if self._dir is not None:
            self._write_state(lambda data: self._build(data, full, progress), progress)
            return
        self._exec("BEGIN TRANSACTION")
        try:
            for label in NODE_TYPES:
                self._exec(f"MATCH (n:{label}) DETACH DELETE n")
            self._load_all(full, progress)
            if progress:
                progress(0.95, "committing")
            self._exec("COMMIT")
        except BaseException:
            try:
                self._exec("ROLLBACK")
            except BackendError:
                pass  # a failed COMMIT ends the transaction itself: the error to report is the first one
            raise

    def _build(self, data: Path, full: RopaGraph, progress: Progress | None) -> None:
        """Write ``full`` into a new database at ``data``, checkpointed and closed: one whole file that is
        never written again. The statements and their Arrow tables are prepared here and run by a child
        process (:mod:`ropa.backends.builder`): LadybugDB ends the process that closes a database after a
        failed write on a full disk, and this process must stay to clean up and say why."""
        from .builder import PlanRecorder
        load = data.parent / "load"
        recorder = PlanRecorder(load)
        try:
            self._wconn, self._row_hashes = recorder, ([] if self.keeps_fingerprint else None)
            self._create_schema()
            self._load_all(full, (lambda f, what: progress(f / 2, what)) if progress else None)
            # the data fingerprint of the new state, from the very columns it is written from (its
            # RoPA tables; see fingerprint_of): kept with it, so readers need not hash every table
            if self._row_hashes is not None:
                self._written_fingerprint = fingerprint_of_rows(self._row_hashes)
        finally:
            self._wconn, self._row_hashes = None, None
        recorder.finish()
        steps = len(recorder.steps)
        # run as a script: importing the ropa package would import pandas, for nothing (a second or two)
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("__main__.py")),
                                  str(data.parent.resolve()), str(os.getpid())],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            err: list[str] = []
            drain = threading.Thread(target=lambda: err.extend(child.stderr), daemon=True)
            drain.start()
            for line in child.stdout:
                line = line.strip()
                if progress and line.startswith("step "):
                    progress(0.45 + 0.45 * int(line[5:]) / max(steps, 1), f"writing the new state ({line})")
                elif progress and line == "checkpoint":
                    progress(0.93, "checkpointing the new state")
            code = child.wait()
            drain.join(10)
        except BaseException:
            child.kill()
            child.wait()
            raise
        if code != 0:
            reason = " ".join(x.strip() for x in err if x.strip() and not x.startswith("Fatal Python")) \
                or f"the writing process stopped (exit {code})"
            raise BackendError(_plain_disk_full(reason.replace("what():", "").strip(), data.parent))
        shutil.rmtree(load, ignore_errors=True)
        if Path(str(data) + ".wal").exists():
            raise BackendError(f"the new state of the store {self.path} was not checkpointed when it was closed")

    def _write_state(self, build, progress: Progress | None) -> None:
        """Make a new state with ``build(data_path)`` and switch to it; on any failure or interruption
        before the switch, throw it away and keep the current state (and say why, naming the real cause)."""
        d = self._dir
        n = d.begin(self._origin or "a write", self._counts, self._writes_schema)
        self._written_fingerprint = None
        try:
            build(d.data_path(n))
            if self._written_fingerprint is not None:
                d.note(n, fingerprint=self._written_fingerprint)
            if progress:
                progress(0.96, "switching to the new state")
            self._close_handle()  # every handle closed before the switch
            d.publish(n)
        except BaseException as exc:
            published = _quietly(d.current) == n
            if not published:
                d.discard(n)
            if self.conn is None:
                if _quietly(self._open_current) is None and not published:
                    self._connect(":memory:", read_only=False)  # still nothing stored (a first write failed)
                    self._create_schema()
            if published or not isinstance(exc, (RuntimeError, OSError, BackendError)):
                raise
            before = f"state {self._state}" if self._state is not None else "empty"
            if isinstance(exc, OSError):
                raise statedir.disk_error(exc, self.path, f"nothing was written; the store is unchanged ({before}):"
                                          " could not write the new state of") from exc
            reason = _plain_disk_full(str(_translate(exc, self.path))) if isinstance(exc, RuntimeError) else str(exc)
            raise BackendError(f"nothing was written; the store {self.path} is unchanged ({before}): {reason}") from exc
        self._open_current()
        try:
            d.prune()
        except OSError:
            pass  # an old state left over is removed by the next write

    def state(self, number: int) -> tuple[statedir.StateInfo, RopaGraph]:
        """State ``number`` of the history and the RoPA it holds (read from its own file, read-only).

        ``ropa store restore`` writes that RoPA as a new state and revision through
        :func:`ropa.revisions.restore_state`: the journal of revisions is append-only, so a restore
        brings back the RoPA of an earlier state, never its (shorter) journal."""
        if self._dir is None:
            raise BackendError(f"the store {self.path} keeps no states (it is in memory or a single file; "
                               "its history starts with its next write)")
        with self._lock:
            states = {s.number: s for s in self._dir.history()}
            if number not in states:
                have = ", ".join(str(n) for n in states) or "none"
                raise BackendError(f"the store {self.path} has no state {number}; it keeps the last "
                                   f"{self._dir.keep} states: {have} (see `ropa store history`)")
            if number == self._state:
                return states[number], self.export()
            try:
                db = lb.Database(str(self._dir.data_path(number)), read_only=True)
            except RuntimeError as exc:
                raise _translate(exc, self.path) from exc
            saved = self.db, self.conn, self._absent
            self.db, self.conn = db, lb.Connection(db)
            try:
                self._missing_derived()  # an older state's tables may lack properties: read them as null
                return states[number], self.export()
            finally:
                conn, self.db, self.conn, self._absent = self.conn, *saved
                conn.close()
                db.close()

    @property
    def keep(self) -> int:
        """How many states this store keeps."""
        return self._dir.keep if self._dir is not None else statedir.keep_from_env()

    def rolled_back(self) -> list[dict]:
        """The interrupted writes found and rolled back so far, oldest first."""
        return self._dir.journal() if self._dir is not None else []

    def history(self) -> list[statedir.StateInfo]:
        """The states this store keeps, oldest first (one entry for an old single-file store)."""
        if self._dir is None:
            return [statedir.StateInfo(1, what="a single-file store (its history starts with its next write)",
                                       current=True)] if self.path != ":memory:" else []
        return self._dir.history()

    def _copy_nodes(self, label: str, graph: RopaGraph) -> None:
        df = graph.nodes[label]
        if not len(df):
            return
        t = NODE_TYPES[label]
        rows = pa.table({n: _arrow(df[n], ARROW_TYPES[ty]) for n, ty in t.properties})
        if self._row_hashes is not None and (label in ROPA_LABELS or label == "Country"):
            ropa = rows.filter(pc.invert(rows.column("resolved").fill_null(True))) if label == "Country" else rows
            self._row_hashes.append(("nodes", label, row_hashes("nodes", label, {n: ropa.column(n) for n in t.columns})))
        self._exec(f"COPY {label} FROM $rows", {"rows": rows}, conn=self._target())

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
            if self._row_hashes is not None and not t.reference:
                ends = {"src": cols["from"], "dst": cols["to"], "src_label": pa.array([src_label], pa.string()),
                        "dst_label": pa.array([dst_label], pa.string())}
                ends["src_label"], ends["dst_label"] = (pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(len(part), np.int32)), e) for e in (ends["src_label"], ends["dst_label"]))
                self._row_hashes.append(("rels", rel_type, row_hashes(
                    "rels", rel_type, {**{n: cols[n] for n in t.columns}, **ends})))
            for n, ty in t.derived:
                cols[n] = (derived[n] if mask is None else derived[n].filter(pa.array(mask))).cast(ARROW_TYPES[ty])
            option = f" (from='{src_label}', to='{dst_label}')" if len(t.pairs) > 1 else ""
            self._exec(f"COPY {rel_type} FROM $rows{option}", {"rows": pa.table(cols)}, conn=self._target())

    # -- reading --------------------------------------------------------------
    def export(self) -> RopaGraph:
        # No _seed(): the export leaves the reference data out, so a new store exports empty either way.
        nodes: dict[str, list[dict]] = {}
        for label in ROPA_LABELS + ["Country"]:
            cols = NODE_TYPES[label].columns
            where = " WHERE n.resolved = false" if label == "Country" else ""
            rows = self._exec(f"MATCH (n:{label}){where} RETURN " + ", ".join(self._prop("n", label, c) for c in cols))
            nodes[label] = [dict(zip(cols, r)) for r in rows]
        rels: dict[str, list[dict]] = {}
        for t in REL_TYPES.values():
            if t.reference:
                continue
            out = []
            for a, b in t.pairs:
                ret = ", ".join(["s.id", "d.id"] + [self._prop("r", t.type, c) for c in t.columns])
                for r in self._exec(f"MATCH (s:{a})-[r:{t.type}]->(d:{b}) RETURN {ret}"):
                    out.append({"src": r[0], "dst": r[1], "src_label": a, "dst_label": b,
                                **dict(zip(t.columns, r[2:]))})
            rels[t.type] = out
        return RopaGraph.from_records(nodes, rels)

    def _prop(self, var: str, table: str, name: str) -> str:
        """``var.name`` in a RETURN, or null for a property an older store's table lacks (read before an upgrade)."""
        return "NULL" if (table, name) in getattr(self, "_absent", ()) else f"{var}.{name}"

    def export_tables(self, only: dict[str, tuple] | None = None):
        """:meth:`export` a table at a time, each read column by column through Arrow (see
        :meth:`Backend.export_tables`): no dict per row, each table's texts shared by its rows."""
        for label in sorted(NODE_TYPES):
            if only is not None and label not in only:
                continue
            cols = list(only[label]) if only is not None else NODE_TYPES[label].columns
            if label not in ROPA_LABELS and label != "Country":
                yield "nodes", label, {c: [] for c in cols}
                continue
            where = " WHERE n.resolved = false" if label == "Country" else ""
            ret = ", ".join(f"n.{c} AS c{i}" for i, c in enumerate(cols))
            yield "nodes", label, self._arrow_columns(f"MATCH (n:{label}){where} RETURN {ret}", cols)
        for rt in sorted(REL_TYPES):
            if only is not None and rt not in only:
                continue
            t = REL_TYPES[rt]
            props = [c for c in t.columns if only is None or c in only[rt]]
            names = ["src", "dst"] + props
            out: dict[str, list] = {c: [] for c in ["src", "dst", "src_label", "dst_label"] + props}
            for a, b in ([] if t.reference else t.pairs):
                ret = ", ".join(f"{v} AS c{i}" for i, v in enumerate(["s.id", "d.id"] + [f"r.{c}" for c in props]))
                part = self._arrow_columns(f"MATCH (s:{a})-[r:{t.type}]->(d:{b}) RETURN {ret}", names)
                n = len(part["src"])
                part["src_label"], part["dst_label"] = [a] * n, [b] * n
                for c, values in part.items():
                    out[c] += values
                del part
            yield "rels", rt, out if only is None else {c: out[c] for c in only[rt]}

    def stored_fingerprint(self) -> str | None:
        """The fingerprint written with the current state (``state.json``, see :meth:`_build`): a state
        is never written again once it is whole, so it stays true. None in memory, for an old single
        file, or for a state written before fingerprints were kept."""
        if self._dir is None or self._state is None:
            return None
        return self._dir.meta(self._state).fingerprint

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
        In a store directory the same state is opened again, whatever was imported meanwhile (a state
        is never written once current), so a long read goes on reading one whole state; only when that
        state is gone (pruned after ``keep`` newer ones) :class:`BackendError` is raised. An old
        single-file store raises it when the file was replaced meanwhile: the caller would otherwise
        mix two versions of the data."""
        if not self.read_only or self.path == ":memory:":
            return
        with self._lock:
            self._close_handle()
            where = str(self._dir.data_path(self._state)) if self._dir is not None else self.path
            try:
                self._connect(where, read_only=True)
            except BackendError as exc:
                if self._dir is not None and not Path(where).exists():
                    raise BackendError(f"the store {self.path} changed while it was being read (state "
                                       f"{self._state} was removed after newer imports); run the command "
                                       "again") from exc
                raise
            if self._timeout_ms:
                self.conn.set_query_timeout(self._timeout_ms)
            if self._dir is not None:
                return
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
        if self._read_from is None and self.read_only and self._dir is None and self.path != ":memory:":
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

    def _exec(self, query: str, params: dict | None = None, conn=None) -> list[list]:
        try:
            result = (conn or self.conn).execute(query, params or {})
        except RuntimeError as exc:
            raise _translate(exc, self.path) from exc
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return rows

    def close(self) -> None:
        with self._lock:
            try:
                if self.path != ":memory:" and not self.read_only:
                    self._seed()  # a new store on disk closed unwritten still holds the reference data
            finally:
                self._unseeded = False
                try:
                    self._close_handle()
                finally:
                    if self._dir is not None:
                        self._dir.unlock()


_NESTED = (dict, list)
# LadybugDB column types that Arrow carries as plain values (no node/relationship structs): for each,
# get_as_arrow(...).to_pylist() was checked to equal get_all() value for value and type for type
# (datetime.date, datetime.datetime, timedelta, None; ladybug 0.22; tests/test_store.py checks it).
# Anything else (nodes, relationships, paths, maps, structs) takes the row path.
_ARROW_PLAIN = {"STRING", "STRING[]", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8",
                "BOOL", "DOUBLE", "FLOAT", "DATE", "TIMESTAMP", "INTERVAL",
                "INT64[]", "DOUBLE[]", "BOOL[]", "DATE[]"}


def _counts(graph: RopaGraph) -> dict:
    """What a state's history entry counts: activities, organisations and relationships of the RoPA."""
    return {"activities": len(graph.nodes["Activity"]), "organisations": len(graph.nodes["Organisation"]),
            "relationships": sum(len(graph.rels[t]) for t in REL_TYPES if not REL_TYPES[t].reference)}


def _quietly(fn):
    """``fn()``, or None when it fails: for the clean-up after a failed write, which must not hide its cause."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - the first error is the one reported
        return None


def _plain_disk_full(reason: str, where: Path | None = None) -> str:
    """LadybugDB's message for a failed write, with the likely cause said first. It reports a full disk
    as "No space left on device", or only as a short write or read ("Cannot write to file",
    "Cannot read from file", with an unrelated errno text): then the space left on the file system
    (measured before the failed state is removed) tells."""
    if reason.startswith("the disk is"):
        return reason
    if re.search(r"No space left|ENOSPC|errno[ =:]*28|File too large|EFBIG|Disk quota", reason, re.I):
        return f"the disk is full ({reason})"
    if where is not None and "IO exception" in reason:
        try:
            free = shutil.disk_usage(where).free
        except OSError:
            return reason
        if free < 64 << 20:
            return f"the disk is probably full ({free:,} bytes left on its file system; LadybugDB said: {reason})"
        return f"{reason} ({free:,} bytes left on its file system)"
    return reason


def _copy_whole(src: Path, dst: Path) -> None:
    """Copy a closed database file (a state) to a new state's place."""
    shutil.copyfile(src, dst)


def _finish_migration(path: Path) -> None:
    """Complete or undo a move of a single-file store into a directory that was interrupted."""
    staged, old = path.with_name(path.name + ".migrating"), path.with_name(path.name + ".single-file")
    if not path.exists() and staged.is_dir() and (staged / "current").is_file() and old.exists():
        os.rename(staged, path)  # the directory was whole; only the second rename was missing
        statedir.fsync_path(path.parent)
    if path.is_dir():
        for leftover in (old, Path(str(old) + ".wal"), path.with_name(path.name + ".migrate-lock")):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
        if staged.is_dir():
            shutil.rmtree(staged, ignore_errors=True)


def _migration_to_read(path: Path) -> Path:
    """For a read-only open (which must not finish it): where a move into a store directory that was cut
    short between its two renames left the whole store (the staged directory); else ``path``."""
    staged, old = path.with_name(path.name + ".migrating"), path.with_name(path.name + ".single-file")
    if not path.exists() and staged.is_dir() and (staged / "current").is_file() and old.exists():
        return staged
    return path


def _migrate_single_file(path: Path) -> None:
    """Move an old single-file store into a store directory at the same path, its data as state 1.

    The file is first made whole (a writable open replays its WAL and checkpoints on closing; LadybugDB's
    own lock keeps out a writer of an older version), copied into a staged directory that gets its
    ``current`` pointer, then the file is renamed aside and the directory into its place: killed at any
    point, the next open finds either the file or the whole directory (:func:`_finish_migration`)."""
    import fcntl
    guard = os.open(path.with_name(path.name + ".migrate-lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreLockedError(f"the store {path} is being moved into a store directory by another program; "
                                   "try again in a moment") from None
        if not path.is_file():
            return  # another process moved it meanwhile
        try:
            db = lb.Database(str(path))
            conn = lb.Connection(db)
            counts = {}
            try:
                counts["activities"] = conn.execute("MATCH (a:Activity) RETURN count(a)").get_next()[0]
                counts["organisations"] = conn.execute("MATCH (o:Organisation) RETURN count(o)").get_next()[0]
                counts["relationships"] = sum(
                    conn.execute(f"MATCH ()-[r:{rel_type}]->() RETURN count(r)").get_next()[0]
                    for rel_type in REL_TYPES if not REL_TYPES[rel_type].reference)
            except RuntimeError:
                counts = {}  # an older store without some table: the counts are only for the history
            conn.close()
            db.close()
        except RuntimeError as exc:
            raise _translate(exc, str(path)) from exc
        staged, old = path.with_name(path.name + ".migrating"), path.with_name(path.name + ".single-file")
        shutil.rmtree(staged, ignore_errors=True)
        d = statedir.StateDir(staged)
        d.lock()
        try:
            n = d.begin(f"the single-file store {path.name}, moved into a store directory", counts)
            _copy_whole(path, d.data_path(n))
            d.publish(n)
        except OSError as exc:
            shutil.rmtree(staged, ignore_errors=True)
            raise statedir.disk_error(exc, path, "could not move into a store directory the store") from exc
        finally:
            d.unlock()
        os.rename(path, old)
        os.rename(staged, path)
        statedir.fsync_path(path.parent)
        old.unlink(missing_ok=True)
        path.with_name(path.name + ".migrate-lock").unlink(missing_ok=True)  # whoever opens it next finds a directory
    finally:
        os.close(guard)


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
    """A string array as a list in which equal strings are one shared object (nulls as None).

    A column of mostly distinct strings (a rule's reasons: 207k distinct of 275k at a million
    relationships) is read as it is: sharing would save little memory, and making each distinct string
    and then picking them by index costs ~3x a plain read of the column."""
    enc = pc.dictionary_encode(arr)
    if 2 * len(enc.dictionary) > len(arr):
        return arr.to_pylist()
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
    if "write operations in a read-only database" in msg:
        return ReadOnlyError(f"the store {path} refused a query that writes: queries read it read-only (imports "
                             "and edits write it, as a new state); nothing was written")
    if "lock" in msg.lower():
        pid = re.search(r"PID\D*(\d+)", msg)
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreLockedError(
            f"the store {path} is in use by another program{who}, probably a running explorer; "
            "stop it, or point this command at another store with --store PATH")
    return BackendError(f"embedded store: {msg.splitlines()[0] if msg else type(exc).__name__}")
