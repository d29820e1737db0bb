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



__all__ = ["Backend", "open_backend"]
