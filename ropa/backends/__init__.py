"""Graph stores behind one interface (:class:`ropa.backends.base.Backend`).

``open_backend("embedded", path=...)`` gives the LadybugDB store (default);
``open_backend("neo4j", ...)`` the Neo4j server backend.
"""
from __future__ import annotations

from .base import Backend


def open_backend(kind: str = "embedded", **options) -> Backend:
    """Open a backend by name: ``embedded`` (LadybugDB) or ``neo4j``."""
    if kind == "embedded":
        from .embedded import EmbeddedBackend
        return EmbeddedBackend(**options)
    if kind == "neo4j":
        from .neo4j_backend import Neo4jBackend
        return Neo4jBackend(**options)
    raise ValueError(f"unknown backend {kind!r}; use 'embedded' or 'neo4j'")


def configured_backends() -> list[str]:
    """The backends a user can pick now: ``embedded`` always, ``neo4j`` once NEO4J_URI is set
    (environment or ``.streamlit/secrets.toml``).

    >>> configured_backends()[0]
    'embedded'
    """
    from .neo4j_config import is_configured
    return ["embedded"] + (["neo4j"] if is_configured() else [])


__all__ = ["Backend", "configured_backends", "open_backend"]
