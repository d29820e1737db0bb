"""The explorer's queries (``ropa/browse/queries/**.cypher``), run with parameters only."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

QUERIES_DIR = Path(__file__).resolve().parent / "queries"


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    """The text of ``ropa/browse/queries/<name>.cypher``."""
    return (QUERIES_DIR / f"{name}.cypher").read_text(encoding="utf-8")


def run(store, name: str, **params: Any) -> list[dict]:
    """Run one of this module's queries with parameters."""
    return store.run(query_text(name), params)
