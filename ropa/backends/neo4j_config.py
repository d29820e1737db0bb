"""Where the Neo4j connection settings come from (no driver import here).

The keys are the ones Neo4j tools use: ``NEO4J_URI``, ``NEO4J_USER`` (or
``NEO4J_USERNAME``, as in an Aura credentials file), ``NEO4J_PASSWORD`` and
``NEO4J_DATABASE``. Each is read from the environment first, then from the
same key at the top level of ``.streamlit/secrets.toml`` (the explorer's
secrets file). The password is only ever handed to the driver; nothing here
prints or logs it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

from ..errors import BackendError, BackendUnavailable

SECRETS_FILE = Path(".streamlit") / "secrets.toml"
KEYS = {"uri": ("NEO4J_URI",), "user": ("NEO4J_USER", "NEO4J_USERNAME"),
        "password": ("NEO4J_PASSWORD",), "database": ("NEO4J_DATABASE",)}
SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
URI_RE = re.compile(r"^(?P<scheme>[a-z0-9+]+)://(?P<rest>[^\s]+)$", re.I)
NOT_CONFIGURED = ("Neo4j is not configured: set NEO4J_URI (e.g. neo4j://localhost:7687, or "
                  "neo4j+s://<id>.databases.neo4j.io for Aura), NEO4J_USER and NEO4J_PASSWORD "
                  "in the environment or in .streamlit/secrets.toml")


def read_secrets(path: Path | str = SECRETS_FILE) -> dict:
    """The top-level keys of a Streamlit secrets file ({} when there is none).

    >>> read_secrets("/nonexistent/secrets.toml")
    {}
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        import tomllib
    except ImportError:  # Python 3.10: no TOML reader in the standard library
        return {}
    try:
        with open(path, "rb") as fp:
            data = tomllib.load(fp)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BackendError(f"{path}: cannot read it as TOML ({exc}); fix the file or use environment variables") from None
    return {k: v for k, v in data.items() if isinstance(v, (str, int))}


def check_uri(uri: str) -> str:
    """Return ``uri`` if it is a URI the Neo4j driver takes, else say which ones are.

    >>> check_uri("neo4j+s://abcd1234.databases.neo4j.io")
    'neo4j+s://abcd1234.databases.neo4j.io'
    >>> check_uri("http://localhost:7474")
    Traceback (most recent call last):
    ...
    ropa.errors.BackendError: NEO4J_URI 'http://localhost:7474' is not a Neo4j connection URI: use neo4j://host:7687, neo4j+s://host (Aura) or bolt://host:7687
    """
    m = URI_RE.match(uri.strip())
    if not m or m.group("scheme").lower() not in SCHEMES:
        raise BackendError(f"NEO4J_URI {uri!r} is not a Neo4j connection URI: use neo4j://host:7687, "
                           "neo4j+s://host (Aura) or bolt://host:7687")
    return uri.strip()


def neo4j_settings(environ: Mapping[str, str] | None = None,
                   secrets: Path | str | None = SECRETS_FILE) -> dict:
    """Connection settings as keyword arguments for :class:`Neo4jBackend`.

    The environment wins over the secrets file, key by key; the user defaults
    to ``neo4j`` and the database to the server's default.

    >>> s = neo4j_settings({"NEO4J_URI": "bolt://localhost:7687", "NEO4J_PASSWORD": "pw"}, secrets=None)
    >>> s["uri"], s["user"], s["database"]
    ('bolt://localhost:7687', 'neo4j', None)
    """
    env = os.environ if environ is None else environ
    file_values = read_secrets(secrets) if secrets is not None else {}
    out: dict = {}
    for name, keys in KEYS.items():
        value = next((env[k] for k in keys if env.get(k)), None)
        if value is None:
            value = next((str(file_values[k]) for k in keys if file_values.get(k) not in (None, "")), None)
        out[name] = value
    if not out["uri"]:
        raise BackendUnavailable(NOT_CONFIGURED)
    out["uri"] = check_uri(out["uri"])
    out["user"] = out["user"] or "neo4j"
    return out
