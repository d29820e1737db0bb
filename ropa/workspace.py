"""Where a long-running front end (the explorer) keeps its RoPA, and how it reaches it.

The embedded store on disk is a directory of whole states, one of them current
(:mod:`ropa.backends.statedir`): a write builds a new state beside the current one
and switches to it by renaming a pointer; a state is never written once current.
One process writes at a time (the store's lock file); readers never wait for it.

So the explorer never holds the embedded store: :class:`EmbeddedWorkspace`
opens it read-only for each piece of work (that read sees one whole state, whoever
imports meanwhile) and for writing only for the moment of its own import. ``ropa
import`` can therefore run while the explorer is open; the explorer notices the
new data through :meth:`Workspace.version` (the number of the current state) and
re-reads. A writer waits for another one (``retry_for``, 30 s by default: a
write of a large store takes that long) and then gets
:class:`~ropa.errors.StoreLockedError` with a clear message. An
interrupted import found by a read is said in :attr:`notices` (and left alone: a
read-only open writes nothing); the next write rolls it back and says so there.
A server backend (Neo4j) is simply held open and shared.

An old single-file store (written before the store directories) is read as it is
until its first write moves it into a directory; while it is a single file, a
read during another process's import is checked for the store's files changing
and done again (LadybugDB let such a read see a half-done import).
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping, TypeVar

from .backends.base import Backend, has_activities
from .backends.statedir import IGNORED_TAIL
from .errors import BackendError, RopaError, StoreLockedError
from .model import RopaGraph

BUSY = "recovery is pending"
T = TypeVar("T")


class StoreBusyError(StoreLockedError):
    """Another program is writing the embedded store right now; try again in a moment."""


class Workspace:
    """A store the explorer reads from and imports into."""

    kind = "?"

    def describe(self) -> str:
        """One line for the user: which store, where (never a password)."""
        raise NotImplementedError

    def version(self) -> str:
        """Changes whenever the stored data may have changed: the key of every cached result."""
        raise NotImplementedError

    @contextlib.contextmanager
    def reading(self) -> Iterator[Backend]:
        """A backend to read from, for the duration of a ``with`` block."""
        raise NotImplementedError
        yield  # pragma: no cover

    @contextlib.contextmanager
    def writing(self) -> Iterator[Backend]:
        """A backend to write to, for the duration of a ``with`` block."""
        raise NotImplementedError
        yield  # pragma: no cover

    def read(self, work: Callable[[Backend], T]) -> T:
        """``work(store)`` on a store opened for reading; its result is of one whole stored state."""
        with self.reading() as store:
            return work(store)

    def close(self) -> None:
        """Release what the workspace holds."""


class EmbeddedWorkspace(Workspace):
    """An on-disk LadybugDB store, opened per use (read-only unless importing).

    >>> import tempfile, pathlib
    >>> from ropa.samples import example_graph
    >>> ws = EmbeddedWorkspace(pathlib.Path(tempfile.mkdtemp()) / "s.lbdb")
    >>> ws.ensure_seeded(example_graph)
    True
    >>> with ws.reading() as store:
    ...     has_activities(store)
    True
    >>> ws.ensure_seeded(example_graph)
    False
    """

    kind = "embedded"

    def __init__(self, path: str | Path, retry_for: float = 30.0):
        self.path = Path(path)
        self.retry_for = retry_for
        self._lock = threading.Lock()   # one store handle at a time within this process
        self.notices: list[str] = []    # what an open found and the user must hear (an import rolled back, or found)

    def describe(self) -> str:
        return f"embedded LadybugDB store at {self.path}"

    def version(self) -> str:
        if self.path.is_dir():
            from .backends.statedir import StateDir
            return f"{self.path}|state {StateDir(self.path).version()}"
        parts = []
        for p in (self.path, Path(str(self.path) + ".wal")):
            try:
                st = p.stat()
                parts.append(f"{st.st_mtime_ns}:{st.st_size}")
            except FileNotFoundError:
                parts.append("-")
        return f"{self.path}|" + "|".join(parts)

    def _open(self, read_only: bool):
        from .backends.embedded import EmbeddedBackend
        deadline = time.monotonic() + self.retry_for
        delay = 0.05
        while True:
            try:
                store = EmbeddedBackend(self.path, read_only=read_only)
                # "found and is ignored" holds only while the debris is there: a later open says again or not
                self.notices = [n for n in self.notices if not n.endswith(IGNORED_TAIL) or n in store.notices]
                self.notices += [n for n in store.notices if n not in self.notices]
                return store
            except StoreLockedError:
                if time.monotonic() >= deadline:
                    raise
            except BackendError as exc:
                if BUSY not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"the store {self.path} is being written by another program (for instance "
                        "`ropa import`); try again in a moment") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def exists(self) -> bool:
        """True when the store holds a state (a store directory with a current state, or an old file)."""
        if self.path.is_dir():
            from .backends.statedir import StateDir
            return StateDir(self.path).current() is not None
        return self.path.is_file()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Backend]:
        if not self.exists():
            raise BackendError(f"there is no store at {self.path} yet; import a file first")
        with self._lock:
            store = self._open(read_only=True)
            try:
                yield store
            finally:
                store.close()

    def _files(self) -> tuple:
        """Name, size and modification time of every file of the store (data, WAL, shadow, checkpoint)."""
        out = []
        try:
            entries = sorted(os.scandir(self.path.parent), key=lambda e: e.name)
        except FileNotFoundError:
            return ()
        for e in entries:
            if e.name.startswith(self.path.name):
                try:
                    st = e.stat()
                except FileNotFoundError:
                    continue
                out.append((e.name, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def read(self, work: Callable[[Backend], T]) -> T:
        """``work(store)`` on the store opened read-only: one whole state. In a store directory that
        holds by construction (the current state is never written). An old single-file store is read
        again until no other process wrote meanwhile:

        Measured with ladybug 0.22 (tests/test_workspace.py): a read-only open during another
        process's import can see that import half done (tables emptied, not yet refilled: no
        activity, no mechanism), because the writer's transaction reaches the data file before
        it commits. Such a read shows as a change of the store's files between just before the
        open and just after the close; it is thrown away and done again, until
        ``retry_for`` seconds have passed (then :class:`StoreBusyError`). A plain
        :meth:`reading` block has no such check.
        """
        deadline = time.monotonic() + self.retry_for
        delay = 0.05
        if not self.exists():
            raise BackendError(f"there is no store at {self.path} yet; import a file first")
        if self.path.is_dir():  # a store directory: the state opened is never written, the read is whole
            with self.reading() as store:
                return work(store)
        while True:
            with self._lock:  # our own writes wait; only another process can change the files meanwhile
                before = self._files()
                store = self._open(read_only=True)
                try:
                    result = work(store)
                finally:
                    store.close()
                changed = self._files() != before
            if not changed:
                return result
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"the store {self.path} is being written by another program (for instance "
                    "`ropa import`); try again in a moment")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Backend]:
        with self._lock:
            store = self._open(read_only=False)
            try:
                yield store
            finally:
                store.close()

    def ensure_seeded(self, make_graph: Callable[[], RopaGraph]) -> bool:
        """Load ``make_graph()`` when the store was never written (no revision) and holds no activity; True
        when it did. A store emptied on purpose (``ropa store reset``) has a revision and stays empty."""
        def written(store: Backend) -> bool:
            return bool(store.revisions()) or has_activities(store)
        if self.exists():
            with self.reading() as store:
                if written(store):
                    return False
        graph = make_graph()
        with self.writing() as store:
            if store.history() and written(store):
                return False  # someone else filled it meanwhile
            from . import revisions
            revisions.commit(store, graph, author="explorer", reason="the store was empty: the bundled sample data",
                             kind="seed", origin="the bundled sample data (the explorer found the store empty)")
        return True


class ServerWorkspace(Workspace):
    """A server backend (Neo4j), opened once and shared by every session.

    Other clients may change the data at any time, so :meth:`version` also
    changes every ``refresh`` seconds; our own imports change it at once.
    """

    def __init__(self, backend: Backend, refresh: float = 60.0):
        self.backend = backend
        self.kind = backend.kind
        self.refresh = refresh
        self._writes = 0

    def describe(self) -> str:
        return self.backend.describe()

    def version(self) -> str:
        return f"{self.kind}|{self._writes}|{int(time.time() // self.refresh)}"

    @contextlib.contextmanager
    def reading(self) -> Iterator[Backend]:
        yield self.backend

    @contextlib.contextmanager
    def writing(self) -> Iterator[Backend]:
        try:
            yield self.backend
        finally:
            self._writes += 1

    def close(self) -> None:
        self.backend.close()


def open_workspace(env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None,
                   ) -> tuple[Workspace, list[str]]:
    """The workspace that the environment (``env``, default ``os.environ``, only read) and the explorer's
    ``secrets`` ask for (:func:`ropa.backends.choice.choose_store`), and notes for the user.

    ``ROPA_BACKEND=neo4j`` (or ``NEO4J_URI`` set) selects Neo4j; otherwise the embedded store at
    ``$ROPA_STORE`` or ``.ropa/ropa.lbdb``. When Neo4j is asked for but cannot be used, the embedded
    store is used and the note says why.
    """
    from .backends.choice import choose_store
    choice = choose_store(env=env, secrets=secrets)
    notes: list[str] = []
    if choice.kind == "neo4j":
        try:
            return ServerWorkspace(choice.open()), notes
        except ImportError:
            notes.append("Neo4j was asked for (ROPA_BACKEND / NEO4J_URI), but the Neo4j driver is not installed "
                         "(pip install -r requirements.txt); showing the embedded store instead.")
        except (RopaError, ValueError, KeyError, OSError) as exc:  # bad settings, server down, wrong password
            notes.append(f"Neo4j could not be used ({exc}); showing the embedded store instead.")
    return EmbeddedWorkspace(choice.path), notes
