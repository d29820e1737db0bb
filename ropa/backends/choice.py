"""Which store to use: the one place that reads the command-line flags, the environment and the
explorer's secrets to decide, and never changes ``os.environ``.

In order, for the kind of store: the ``--backend`` flag; else ``ROPA_BACKEND``; else ``neo4j`` when a
``NEO4J_URI`` is set; else the embedded store. For its place: the ``--store`` flag; else
``$ROPA_STORE``; else ``.ropa/ropa.lbdb``. Every key is looked up in the environment first, then in the
secrets (Streamlit's ``st.secrets``, or ``.streamlit/secrets.toml`` when none are given).

>>> choose_store(env={}, secrets={}).kind, str(choose_store(env={}, secrets={}).path)
('embedded', '.ropa/ropa.lbdb')
>>> c = choose_store(env={"NEO4J_URI": "bolt://db:7687"}, secrets={"NEO4J_PASSWORD": "pw"})
>>> c.kind, c.neo4j["uri"], "pw" in repr(c)
('neo4j', 'bolt://db:7687', False)
>>> choose_store(backend="embedded", store="x.lbdb", env={"NEO4J_URI": "bolt://db:7687"}, secrets={}).kind
'embedded'
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .base import Backend

DEFAULT_STORE = Path(".ropa") / "ropa.lbdb"
KINDS = ("embedded", "neo4j")
#: every setting the choice reads (what the explorer takes from its secrets)
KEYS = ("ROPA_BACKEND", "ROPA_STORE", "NEO4J_URI", "NEO4J_USER", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")


@dataclass(frozen=True)
class StoreChoice:
    """The store chosen: ``kind`` (``embedded`` or ``neo4j``), the embedded store's ``path``, and for
    Neo4j its connection settings (keyword arguments of :class:`Neo4jBackend`; the password never shown)."""

    kind: str
    path: Path
    neo4j: dict = field(default_factory=dict, repr=False)
    neo4j_error: Exception | None = field(default=None, repr=False)  # why the Neo4j settings are unusable

    def open(self, *, read_only: bool = False, upgrade: bool = False) -> Backend:
        """Open the store chosen (raises a :class:`ropa.errors.RopaError` saying why it cannot)."""
        if self.kind == "neo4j":
            if self.neo4j_error is not None:
                raise self.neo4j_error
            from .neo4j_backend import Neo4jBackend
            return Neo4jBackend(**self.neo4j, read_only=read_only, upgrade=upgrade)
        from .embedded import EmbeddedBackend
        return EmbeddedBackend(self.path, read_only=read_only, upgrade=upgrade)


def _settings(env: Mapping[str, str], secrets: Mapping[str, object]) -> dict[str, str]:
    """The environment, completed key by key by the secrets (the environment wins)."""
    out = {k: str(v) for k, v in secrets.items() if isinstance(v, (str, int)) and str(v) != ""}
    out.update({k: v for k, v in env.items() if v})
    return out


def choose_store(*, backend: str | None = None, store: str | Path | None = None,
                 env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None) -> StoreChoice:
    """The store the flags (``backend``, ``store``), the environment (``env``, default ``os.environ``,
    only read) and the ``secrets`` ask for; see the module's docstring for the order."""
    from ..errors import BackendError
    if secrets is None:
        from .neo4j_config import read_secrets
        secrets = read_secrets()
    settings = _settings(os.environ if env is None else env, secrets)
    kind = (backend or settings.get("ROPA_BACKEND", "")).lower()
    if not kind:
        kind = "neo4j" if settings.get("NEO4J_URI") else "embedded"
    if kind not in KINDS:
        raise BackendError(f"unknown backend {kind!r} (ROPA_BACKEND or --backend): use 'embedded' or 'neo4j'")
    path = Path(store or settings.get("ROPA_STORE") or DEFAULT_STORE)
    if kind == "embedded":
        return StoreChoice(kind, path)
    from .neo4j_config import neo4j_settings
    try:
        return StoreChoice(kind, path, neo4j_settings(settings, secrets=None))
    except BackendError as exc:  # not configured, or a malformed URI: said when the store is opened
        return StoreChoice(kind, path, neo4j_error=exc)
