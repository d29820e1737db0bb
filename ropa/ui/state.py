"""Shared, cached resources of the explorer: the store and query results."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ..backends.embedded import EmbeddedBackend
from ..rules import evaluate
from ..samples import sample_graph


@st.cache_resource
def sample_store() -> EmbeddedBackend:
    """An in-memory embedded store holding the bundled sample data."""
    store = EmbeddedBackend(None)
    store.replace(sample_graph())
    return store


@st.cache_data(show_spinner="Evaluating the rule pack…")
def findings_as_of(as_of: dt.date) -> list[dict]:
    return [f.to_dict() for f in evaluate(sample_store(), as_of)]
