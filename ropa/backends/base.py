"""The backend interface that the embedded store and Neo4j both implement."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Callable

from ..errors import ReadOnlyError
from ..model import RopaGraph

Progress = Callable[[float, str], None]

# Clauses that change data or schema. A read-only query may contain none of them
# outside string literals; the backends also open read-only transactions where
# the engine offers them, so this check is the first of two walls. Besides
# openCypher's and LadybugDB's, Neo4j 5's: GQL's INSERT (5.18+), NODETACH DELETE,
# and the administration commands that change users, roles, servers or running
# transactions (GRANT, DENY, REVOKE, RENAME, TERMINATE, ENABLE/DEALLOCATE/
# REALLOCATE SERVER). START/STOP DATABASE are left out: `start` is a common
# variable name, and those commands run only against the system database.
WRITE_CLAUSES = re.compile(
    r"\b(CREATE|MERGE|DELETE|DETACH|NODETACH|SET|REMOVE|DROP|ALTER|COPY|LOAD|INSTALL|ATTACH|IMPORT|EXPORT|"
    r"FOREACH|CALL|BEGIN|COMMIT|ROLLBACK|CHECKPOINT|USE|INSERT|GRANT|DENY|REVOKE|RENAME|TERMINATE|ENABLE|"
    r"DEALLOCATE|REALLOCATE)\b", re.IGNORECASE)
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)


def assert_read_only(query: str) -> None:
    """Refuse a query that writes (ignores keywords inside strings and comments).

    >>> assert_read_only("MATCH (n) RETURN n.name AS set")
    >>> assert_read_only("MATCH (n) DETACH DELETE n")
    Traceback (most recent call last):
    ...
    ropa.errors.ReadOnlyError: the query console is read-only: 'DETACH' is not allowed
    """
    bare = STRING_LITERAL.sub("''", query)
    # `AS set` style aliases are harmless; only flag clause keywords not used as aliases.
    for m in WRITE_CLAUSES.finditer(bare):
        before = bare[:m.start()].rstrip()
        if before.upper().endswith(" AS") or before.endswith("."):
            continue
        raise ReadOnlyError(f"the query console is read-only: {m.group(1).upper()!r} is not allowed")


def has_activities(backend: "Backend") -> bool:
    """True when the store holds at least one processing activity."""
    return bool(backend.run("MATCH (a:Activity) RETURN count(a) AS n")[0]["n"])


class Backend(ABC):
    """A graph store holding one RoPA plus the reference data.

    Implementations: :class:`ropa.backends.embedded.EmbeddedBackend` and
    :class:`ropa.backends.neo4j_backend.Neo4jBackend`.
    """

    kind: str = "?"
    #: opened to read only: every write through the handle is refused by :meth:`_refuse_if_read_only`
    read_only: bool = False

    def _refuse_if_read_only(self, what: str) -> None:
        """The wall every write of a handle passes first: a read-only handle refuses ``what`` itself, so
        no caller has to remember never to write through it."""
        if self.read_only:
            raise ReadOnlyError(f"{self.describe()} was opened read-only: it refuses {what}; nothing was written "
                                "(open the store without read-only to change it)")

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create tables / constraints and load reference data if missing."""

    @abstractmethod
    def replace(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None,
                revision: dict | None = None) -> None:
        """Make the store hold exactly ``graph`` (plus reference data), atomically. ``origin`` says what
        made this state ("import of a.csv (merge)"), for a store that keeps a history of its states.
        ``revision`` (a ``schema.REVISION`` record) joins the store's journal in the same write."""

    def load(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None) -> RopaGraph:
        """Merge ``graph`` into what the store holds; all or nothing. Returns the merged RoPA."""
        self._refuse_if_read_only("an import")
        merged = self.export().merge(graph)
        self.replace(merged, progress, origin)
        return merged

    def revisions(self) -> list[dict]:
        """The store's journal of revisions (``schema.REVISION`` records), oldest first."""
        return []

    #: what the user must hear about the store when it is opened (an interrupted import rolled back)
    notices: list[str] = []

    @abstractmethod
    def export(self) -> RopaGraph:
        """The stored RoPA (without reference data) as a RopaGraph."""

    def export_tables(self, only: dict[str, tuple] | None = None):
        """:meth:`export` a table at a time: ``(part, name, columns)`` for every table of the schema,
        ``"nodes"`` then ``"rels"``, each in name order (as :meth:`RopaGraph.tables`), ``columns``
        mapping each column to a list of its values. Readers that need a few tables, or each table
        once (:func:`ropa.model.fingerprint_of`), need not hold the whole graph. ``only`` (table name
        -> column names) reads just those tables and columns. This default makes the graph; a backend
        may read the tables one by one."""
        for part, name, columns in self.export().tables():
            if only is None:
                yield part, name, columns
            elif name in only:
                yield part, name, {c: columns[c] for c in only[name]}

    def stored_fingerprint(self) -> str | None:
        """The data fingerprint (:func:`ropa.model.fingerprint_of` of :meth:`export_tables`) kept with
        what the store holds when it was written, or None when the store keeps none (then it is
        computed from the tables). The default keeps none."""
        return None

    def release_memory(self) -> None:
        """Give back, where the store can, the memory its queries took so far (between the big steps of
        a long read, e.g. the report). The default does nothing."""

    @abstractmethod
    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query (a rule or the console); rows as plain dicts.

        Node values come back as property dicts with a ``_label`` key, lists
        of nodes as lists of such dicts, dates as ``datetime.date``.
        """

    def run_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, list]:
        """Run a read query; the result column by column (name -> list of values, one per row).

        The same values as :meth:`run`, without a dict per row: what the rule pack reads
        (hundreds of thousands of findings at a million relationships). An empty result
        may come back without its column names.
        """
        rows = self.run(query, params)
        return {name: [row[name] for row in rows] for name in (rows[0] if rows else ())}

    def run_read_only(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a user's query, refusing anything that writes."""
        assert_read_only(query)
        return self.run(query, params)

    @abstractmethod
    def close(self) -> None:
        """Release the store."""

    def describe(self) -> str:
        """One line saying which store this is (never a password)."""
        return self.kind

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
