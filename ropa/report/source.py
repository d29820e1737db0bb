"""Which RoPA a report (or a snapshot) is about.

In order: the files given (merged, checked in a scratch in-memory store, so the
persistent store is untouched); else the persistent store, when it holds any
activity; else the bundled sample data (the RoPA built from the seed privacy
notices), so that a first ``ropa report --out r.pdf`` shows something real.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..backends.base import Backend, has_activities
from ..errors import Problem

__all__ = ["Source", "has_activities", "open_source"]


@dataclass
class Source:
    """An open backend holding the RoPA, and a line saying where it came from."""

    backend: Backend
    label: str
    kind: str  # "files", "store" or "sample"
    warnings: list[Problem] = field(default_factory=list)
    note: str = ""  # why the sample was read: the store that was asked for and found empty


def _scratch(graph) -> Backend:
    from ..backends.embedded import EmbeddedBackend
    store = EmbeddedBackend(None)
    store.replace(graph)
    return store


@contextmanager
def open_source(files: list[str] | None = None,
                open_store: Callable[[], Backend] | None = None) -> Iterator[Source]:
    """Open the RoPA to report on; the backend is closed on exit.

    ``open_store`` opens the persistent store (read-only is enough); pass
    ``None`` when there is none.

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
        with _scratch(graph) as store:
            yield Source(store, "files: " + ", ".join(Path(f).name for f in files), "files", graph.warnings)
        return
    note = "no store holds a RoPA yet"
    if open_store is not None:
        store = open_store()
        try:
            if has_activities(store):
                yield Source(store, f"store: {store.describe()}", "store")
                return
            note = f"the store {store.describe()} holds no processing activity"
        finally:
            store.close()
    from ..samples import SEED_REGISTER, sample_graph
    with _scratch(sample_graph()) as store:
        yield Source(store, f"bundled sample data ({SEED_REGISTER.name}, built from five public privacy notices)",
                     "sample", note=note)
