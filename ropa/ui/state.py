"""The explorer's cached resources: the workspace (store) and the results read from it.

The workspace is a ``st.cache_resource`` (one per server process). Every
result is a ``st.cache_data`` keyed by the workspace's ``version()`` (which
changes when the store changes, whoever wrote it) and by what else it
depends on (the as-of date, a query), so an import from the CLI or the
Import page shows up on the next rerun without a restart.
"""
from __future__ import annotations

import datetime as dt
import os

import networkx as nx
import pandas as pd
import streamlit as st

from .. import views
from ..model import RopaGraph
from ..workspace import EmbeddedWorkspace, Workspace, open_workspace

NEO4J_KEYS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE", "ROPA_BACKEND")


def _secrets_env() -> dict[str, str]:
    """The environment, completed by Streamlit secrets for the Neo4j settings (environment wins)."""
    env = dict(os.environ)
    try:
        secrets = {k: str(st.secrets[k]) for k in NEO4J_KEYS if k in st.secrets}
    except Exception:  # no secrets.toml: Streamlit raises its own error type on access
        secrets = {}
    for k, v in secrets.items():
        env.setdefault(k, v)
        os.environ.setdefault(k, v)  # ropa.backends.neo4j_config reads the environment
    return env


SEEDED = ("The store was empty, so it now holds the bundled sample data (the register built from five real "
          "privacy notices). Import your own on the Import page.")


@st.cache_resource(show_spinner="Opening the store…")
def _opened() -> tuple[Workspace, tuple[str, ...], bool]:
    ws, notes = open_workspace(_secrets_env())
    seeded = False
    if isinstance(ws, EmbeddedWorkspace):
        from ..samples import sample_graph
        seeded = ws.ensure_seeded(sample_graph)
    return ws, tuple(notes), seeded


def workspace() -> tuple[Workspace, tuple[str, ...]]:
    """The store this server process uses (opened once) and what the user must know about it."""
    ws, notes, seeded = _opened()
    if seeded and not st.session_state.get("_told_seeded"):
        st.session_state["_told_seeded"] = True
        st.toast(SEEDED)
    return ws, notes


def version() -> str:
    return _opened()[0].version()


@st.cache_data(show_spinner="Reading the RoPA…", max_entries=4)
def snapshot(version: str) -> RopaGraph:
    """The stored RoPA (nodes and relationships as tables)."""
    return _opened()[0].read(lambda store: store.export())


@st.cache_data(show_spinner="Evaluating the rule pack…", max_entries=16)
def findings(version: str, as_of: dt.date) -> list[dict]:
    """Every finding as of a date, worst first (as plain dicts)."""
    from ..rules import evaluate
    return _opened()[0].read(lambda store: [f.to_dict() for f in evaluate(store, as_of)])


@st.cache_data(show_spinner=False, max_entries=4)
def network(version: str) -> nx.MultiDiGraph:
    return views.build_network(snapshot(version))


@st.cache_data(show_spinner=False, max_entries=16)
def annotated(version: str, as_of: dt.date) -> nx.MultiDiGraph:
    """The network with findings, severities and verdicts laid on it."""
    return views.annotate(network(version), findings(version, as_of))


@st.cache_data(show_spinner=False, max_entries=16)
def transfers(version: str, as_of: dt.date) -> pd.DataFrame:
    return views.transfers_frame(annotated(version, as_of))


@st.cache_data(show_spinner="Running the query…", max_entries=32)
def query(version: str, text: str, as_of: dt.date) -> list[dict]:
    """A read-only console query (refused when it writes)."""
    return _opened()[0].read(lambda store: store.run_read_only(text, {"asOf": as_of}))
