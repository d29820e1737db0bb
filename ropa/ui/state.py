"""The explorer's cached resources: the workspace (store) and the results read from it.

The workspace is a ``st.cache_resource`` (one per server process). Every
result is kept per the workspace's ``version()`` (which changes when the
store changes, whoever wrote it) and what else it depends on (the as-of date,
a query): an import from the CLI or the Import page shows up on the next rerun
without a restart. Large results (the catalogue of :mod:`ropa.browse`, the
findings, their evaluation, sub-networks, query rows) live in one bounded memo
shared by all sessions and are never copied per rerun; the rule pack runs once
per (store version, date) whichever page asks first.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from typing import Any, Callable

import networkx as nx
import streamlit as st

from .. import browse
from ..backends.choice import KEYS
from ..workspace import EmbeddedWorkspace, Workspace, open_workspace

def _streamlit_secrets() -> dict[str, str]:
    """The store settings among Streamlit's secrets (the environment wins over them: see choose_store)."""
    try:
        return {k: str(st.secrets[k]) for k in KEYS if k in st.secrets}
    except Exception:  # no secrets.toml: Streamlit raises its own error type on access
        return {}


SEEDED = ("The store was empty, so it now holds the bundled sample data (the register built from five real "
          "privacy notices). Import your own on the Import page.")


@st.cache_resource(show_spinner="Opening the store…")
def _opened() -> tuple[Workspace, tuple[str, ...], list[str]]:
    ws, notes = open_workspace(secrets=_streamlit_secrets())
    untold = []  # what happened once to the store: told to the first session that asks, then never again
    if isinstance(ws, EmbeddedWorkspace):
        from ..errors import StoreOutdatedError
        from ..samples import sample_graph
        try:
            if ws.ensure_seeded(sample_graph):
                untold.append(SEEDED)
        except StoreOutdatedError as exc:  # said in the sidebar; nothing is written to an older store
            notes.append(str(exc))
    return ws, tuple(notes), untold


def workspace() -> tuple[Workspace, tuple[str, ...]]:
    """The store this server process uses (opened once) and what the user must know about it."""
    ws, notes, untold = _opened()
    while untold:
        try:
            st.toast(untold.pop())
        except IndexError:  # another session took it meanwhile
            break
    # what an open of the store found: an import interrupted (killed, disk full), found by a read and left
    # alone, or rolled back by a write
    return ws, notes + tuple(getattr(ws, "notices", ()))


def version() -> str:
    return _opened()[0].version()


# The big results are kept in one shared, bounded memo (never copied): st.cache_data would pickle a findings
# list or a table of a million-relationship store on every rerun, and an element inside a cached function
# would be replayed on every hit (the rule pack's progress bar must show only while it runs). Pages treat
# these results as read-only.

@st.cache_resource
def _memo_store() -> tuple[dict, threading.Lock]:
    return {}, threading.Lock()


def _memo(kind: str, key: tuple, compute: Callable[[], Any], keep: int):
    """``compute()`` once per (kind, key) in this server process; the ``keep`` newest of a kind are kept."""
    memo, lock = _memo_store()
    with lock:
        if (kind, key) in memo:
            memo[(kind, key)] = memo.pop((kind, key))  # most recently used last
            return memo[(kind, key)]
    value = compute()
    with lock:
        memo[(kind, key)] = value
        mine = [k for k in memo if k[0] == kind]
        for k in mine[:-keep]:
            del memo[k]
    return value


def peek(kind: str, key: tuple):
    """What :func:`_memo` holds for (kind, key), or None (nothing is computed)."""
    memo, lock = _memo_store()
    with lock:
        return memo.get((kind, key))


def _reviewed() -> tuple[Any, int]:
    """The store the analysis reads (the catalogue, findings, register, network, console): the RoPA without
    drafts awaiting review (``ropa.revisions.reviewed_store``): an in-memory copy, kept per store version,
    only when a draft awaits review; else None. And how many drafts were left out."""
    from .. import revisions
    v = version()

    def build():
        ws = _opened()[0]
        if not ws.read(revisions.has_drafts):
            return None, 0
        with st.spinner("Leaving out the drafts that await review…"):
            with ws.reading() as store:
                mem, left_out = revisions.reviewed_store(store)
                return (mem if mem is not store else None), left_out
    return _memo("reviewed", (v,), build, keep=1)


def drafts_left_out(version: str) -> int:
    """How many drafted records await review (left out of every table, the record and the report)."""
    return _reviewed()[1]


def _read(work):
    """``work(store)`` on what the analysis reads: the stored RoPA, without drafts awaiting review."""
    mem, _ = _reviewed()
    if mem is None:
        return _opened()[0].read(work)
    with _reviewed_lock:
        return work(mem)


_reviewed_lock = threading.RLock()  # a page may read the catalogue inside a reading() block


def catalogue(version: str) -> browse.Catalogue:
    """Hops, places, organisations, activities and counts (no whole-graph export)."""
    def read():
        with st.spinner("Reading the RoPA…"):
            return _read(browse.read_catalogue)
    return _memo("catalogue", (version,), read, keep=2)


def provenance(version: str):
    """The store's documents (title, file or URL) and quote places: how evidence is cited (ropa.provenance)."""
    def read():
        from ..provenance import read_provenance
        return _opened()[0].read(read_provenance)
    return _memo("provenance", (version,), read, keep=2)


def special(version: str):
    """The activities' special-category (Art. 9) and criminal (Art. 10) data, one row per (activity, category)."""
    def read():
        from ..special import read_special
        return _read(read_special)
    return _memo("special", (version,), read, keep=2)


def findings(version: str, as_of: dt.date) -> list[dict]:
    """Every finding as of a date, worst first (as plain dicts): the rule pack runs once per
    (store version, date), whichever page asks first, with a progress bar while it runs."""
    def run_rules():
        from ..findings import paused_gc
        from ..rules import evaluate
        with st.status(f"Evaluating the rule pack as of {as_of.isoformat()}…", expanded=True) as status:
            bar = st.progress(0.0, text="starting")

            def progress(fraction: float, rule: str) -> None:
                bar.progress(min(1.0, max(0.0, fraction)), text=f"rule {rule}")

            def run(store) -> list[dict]:
                found = evaluate(store, as_of, progress=progress)
                with paused_gc():  # 585k dicts at 1M: 4.5 s with the collector walking them, 2.1 s without
                    return [f.to_dict() for f in found]
            out = _read(run)
            status.update(label=f"{len(out)} findings as of {as_of.isoformat()}", state="complete", expanded=False)
        return out
    return _memo("findings", (version, as_of), run_rules, keep=8)


def held_findings(version: str, as_of: dt.date) -> list | None:
    """The findings :func:`findings` holds for (store version, date), as :class:`ropa.findings.Finding`
    objects in the same order, for a consumer that reads the store itself (the report); None when they
    are not held, or when the store is no longer at ``version``. Nothing is computed.

    Call it while the store the consumer reads is open (inside :func:`reading`), with the version taken
    before opening it: a state is current from one version to the next, so the same version before the
    open and now means the open store is that state, the one the held findings were read from (their
    key is the version their page took before reading it)."""
    held = peek("findings", (version, as_of))
    if held is None or _opened()[0].version() != version:
        return None
    from ..findings import from_dicts, paused_gc
    with paused_gc():
        return from_dicts(held)


def keep_findings(version: str, as_of: dt.date, found: list) -> None:
    """Hold the rule pack's findings that a page evaluated itself (the report, opened first) for the other
    pages, as :func:`findings` would have: only while the store is still at ``version`` (the version taken
    before the store they were read from was opened: see :func:`held_findings`), and never over a result
    already held."""
    if peek("findings", (version, as_of)) is not None or _opened()[0].version() != version:
        return
    from ..findings import paused_gc
    with paused_gc():
        dicts = [f.to_dict() for f in found]
    _memo("findings", (version, as_of), lambda: dicts, keep=8)


def evaluation(version: str, as_of: dt.date) -> browse.Evaluation:
    """The findings laid on the catalogue, with the register of restricted transfers (ropa.transfers: the
    one place a verdict is decided, the same as the report's): verdicts, the transfer table, the map, the counts."""
    def lay():
        from ..findings import from_dicts
        from ..transfers import build_register
        cat, fs = catalogue(version), findings(version, as_of)
        with st.spinner("Judging the restricted transfers…"):
            objects = from_dicts(fs)
            register = _read(lambda store: build_register(store, as_of, objects))
            return browse.lay_findings(cat, fs, register)
    return _memo("evaluation", (version, as_of), lay, keep=8)


def network(version: str, as_of: dt.date | None, activities=(), organisations=()) -> nx.MultiDiGraph:
    """The annotated network around some activities and organisations (ids), read from the store.
    Bounded by the caller; without ``as_of`` no findings are laid on it."""
    acts, orgs = tuple(sorted(set(activities))), tuple(sorted(set(organisations)))

    def read():
        ev = evaluation(version, as_of) if as_of is not None else None
        fs = browse.findings_about(catalogue(version), ev, acts, orgs) if ev is not None else []
        verdicts = ev.verdicts if ev is not None else None
        with st.spinner("Reading that part of the RoPA…"):
            return _read(lambda store: browse.network(store, acts, orgs, fs, verdicts))
    return _memo("network", (version, as_of, acts, orgs), read, keep=32)


def query(version: str, text: str, as_of: dt.date) -> list[dict]:
    """A read-only console query (refused when it writes); rows kept, not copied, per rerun."""
    def run():
        with st.spinner("Running the query…"):
            return _read(lambda store: store.run_read_only(text, {"asOf": as_of}))
    return _memo("query", (version, text, as_of), run, keep=8)


def haystack(kind: str, version: str, as_of: dt.date, df, columns: list[str]):
    """Each row of a table as one lower-case text, for the free-text search (built once per table)."""
    def build():
        with st.spinner("Indexing the table for search…"):
            return df[columns].astype(str).agg(" ".join, axis=1).str.casefold()
    return _memo("haystack", (kind, version, as_of), build, keep=4)


memo = _memo


def reading_do(work):
    """``work(store)`` on the store opened read-only (one whole state), drafts included: what the edit
    forms, the drafts awaiting review and the History page read."""
    return _opened()[0].read(work)


@contextlib.contextmanager
def reading():
    """The RoPA the pages analyse (the record, the report, the graph), read-only, for a ``with`` block:
    without the drafts awaiting review (see :func:`_reviewed`)."""
    mem, _ = _reviewed()
    if mem is None:
        with _opened()[0].reading() as store:
            yield store
        return
    with _reviewed_lock:
        yield mem
