"""Which RoPA a report (or a snapshot) is about.

In order: the files given (merged, checked in a scratch store: in memory, or in a
temporary folder for a large RoPA; the persistent store is untouched); else the persistent store, when it holds any
activity; else the bundled sample data (the RoPA built from the seed privacy
notices), so that a first ``ropa report --out r.pdf`` shows something real.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..backends.base import Backend, has_activities
from ..errors import Problem

if TYPE_CHECKING:
    from ..backends.choice import StoreChoice

__all__ = ["Source", "has_activities", "open_source"]


@dataclass
class Source:
    """An open backend holding the RoPA, and a line saying where it came from."""

    backend: Backend
    label: str
    kind: str  # "files", "store" or "sample"
    warnings: list[Problem] = field(default_factory=list)
    note: str = ""  # why the sample was read: the store that was asked for and found empty
    notices: list[str] = field(default_factory=list)  # what the store said when opened (a killed import found)


# Above this many relationships the files are checked in a temporary store on disk, read-only, so that
# the store can give back each rule's working memory (EmbeddedBackend.release_memory: an in-memory store
# cannot, and at a million relationships the rule pack then peaks above 5 GB). Below it the in-memory
# store is cheaper: writing to disk and reopening per rule cost more than the memory they save.
SCRATCH_ON_DISK_ABOVE = 200_000


@contextmanager
def _scratch(graph) -> Iterator[Backend]:
    from ..backends.embedded import EmbeddedBackend
    size = sum(len(df) for df in graph.rels.values())
    if size <= SCRATCH_ON_DISK_ABOVE:
        store = EmbeddedBackend(None)
        try:
            store.replace(graph)
            del graph
            yield store
        finally:
            store.close()
        return
    import shutil
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="ropa-check-"))
    try:
        with EmbeddedBackend(folder / "scratch.lbdb") as writer:
            writer.keeps_fingerprint = False  # read by the rule pack only, then thrown away: ~0.6 s at 1M
            writer.replace(graph, origin="ropa check of files (scratch store)")
        del graph  # the store holds it now: its memory is not needed during the rules
        store = EmbeddedBackend(folder / "scratch.lbdb", read_only=True)
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def open_source(files: list[str] | None = None, store: StoreChoice | None = None) -> Iterator[Source]:
    """Open the RoPA to report on; the backend is closed on exit.

    ``store`` is the store chosen (:func:`ropa.backends.choice.choose_store`), opened read-only when it
    is there (an embedded store that does not exist yet is not made); ``None``: no store.

    >>> with open_source() as src:
    ...     src.kind, has_activities(src.backend)
    ('sample', True)
    """
    if files:
        from ..formats import read_path
        from ..model import RopaGraph
        graph = RopaGraph.empty()
        for f in files:
            graph = graph.merge(read_path(f))
        warnings = graph.warnings
        box = [graph]
        del graph
        with _scratch(box.pop()) as store:
            yield Source(store, "files: " + ", ".join(Path(f).name for f in files), "files", warnings)
        return
    note = "no store holds a RoPA yet"
    notices: list[str] = []
    if store is not None and (store.kind != "embedded" or store.path.exists()):
        backend = store.open(read_only=True)
        notices = list(backend.notices)
        try:
            if has_activities(backend):
                yield Source(backend, f"store: {backend.describe()}", "store", notices=notices)
                return
            note = f"the store {backend.describe()} holds no processing activity"
        finally:
            backend.close()
    from ..samples import SEED_REGISTER, sample_graph
    with _scratch(sample_graph()) as store:
        yield Source(store, f"bundled sample data ({SEED_REGISTER.name}, built from five public privacy notices)",
                     "sample", note=note, notices=notices)
