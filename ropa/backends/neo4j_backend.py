"""The Neo4j backend: a Neo4j 5 server, cluster or Aura through the official driver.

This is the only module of the project that imports ``neo4j``.

* **Statements** come from :mod:`ropa.backends.neo4j_cypher`, built from the
  names in :mod:`ropa.schema` and nothing else: labels and relationship types
  never come from input, values always travel as parameters. Their text is
  typed ``LiteralString``; the one audited cast is :func:`_rule_text`, for
  query text read from a rule file or typed into the read-only console.
  ``neo4j_cypher.statement_catalogue()`` lists every statement sent here; the
  Cypher lint test feeds them to Neo4j's own front end.
* **Imports** (``replace`` and ``load``) run inside ONE managed write
  transaction (``Session.execute_write``; the driver retries it on transient
  errors): ``UNWIND $rows`` batches that ``MERGE`` on the schema's keys
  (``id`` for nodes, the end nodes for relationships). The data-flow hops are
  written whole: the stored ones are deleted and every hop of the merged RoPA
  (one per ends and activity) is created again, as MERGE on ``activity`` would
  scan all parallel hops between two nodes for each row. Importing the same
  graph twice changes nothing; a failure anywhere rolls the whole import back. The reference data (countries,
  adequacy decisions, mechanisms) are refreshed in the same transaction.
* **Reads** (rules, the console, export) run as read transactions
  (``routing_=READ``), so a cluster sends them to a reader and every server
  refuses a write in them. Node values come back as property dicts with a
  ``_label`` key, the same shape as the embedded store gives.
* **Errors** become one-line :mod:`ropa.errors` messages that say what to do:
  unreachable server, wrong credentials, unknown database, a server older
  than Neo4j 5. The password is handed to the driver and never kept, shown
  or logged.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Callable, Iterator, cast

import neo4j
from neo4j import READ_ACCESS, WRITE_ACCESS, GraphDatabase, RoutingControl
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship

from ..errors import (AuthenticationFailed, BackendError, BackendUnavailable, ConflictError, ReadOnlyError,
                      StoreOutdatedError, UnsupportedServer)
from ..model import RopaGraph
from ..reference_graph import reference_graph
from ..schema import HOP_TYPES, JOURNAL_LABEL, NODE_TYPES, REL_TYPES, REVISION, ROPA_LABELS, SCHEMA_VERSION, STRING
from .base import Backend, Progress
from .neo4j_cypher import (ADD_REVISION, MECHANISM_COUNT, OUTDATED_HOPS, PING, REVISIONS, LiteralString,
                           delete_ropa_statements, export_statements, hop_create_statement, hop_delete_statement,
                           node_merge_statement, refresh_reference_statements, rel_merge_statement,
                           rels_by_ends, schema_statements, typed)

BATCH_SIZE = 10_000      # rows per UNWIND (fewer round trips); one import is still one transaction
MIN_MAJOR_VERSION = 5
DRIVER_CONFIG = dict(
    connection_timeout=10.0,             # seconds to open a socket: "unreachable" comes quickly
    connection_acquisition_timeout=30.0,
    max_transaction_retry_time=15.0,     # managed transactions retry transient errors this long
    telemetry_disabled=True,             # no usage reports, not even to the user's own server
    # Rules read properties a RoPA may lack (Organisation.sector): the server's "property does not
    # exist" notices would be logged on every run; nothing here shows them to a user.
    notifications_min_severity="OFF",
    user_agent="ropa-graph-explorer",
)


def _rule_text(query: str) -> LiteralString:
    """The one audited cast: query text from a rule file (queries/*.cypher) or the console.

    Such text is trusted as *query text* because it is not built from data:
    rule files ship with the tool, and the console's text goes through
    :func:`ropa.backends.base.assert_read_only` and a read transaction. Values
    still travel only as parameters.
    """
    return cast(LiteralString, query)


# -- values in and out ------------------------------------------------------------------------

def _param(value: Any) -> Any:
    """A table cell as a driver parameter (numpy scalars, NaN and timestamps normalised)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, (str, bytes)):
        return _param(item())
    return value


def _plain(value: Any) -> Any:
    """A result value as plain Python: nodes/relationships as property dicts with ``_label``.

    Nodes carry every property of their label in the schema (absent = None),
    the shape the embedded store gives.
    """
    if isinstance(value, Node):
        label = next(iter(sorted(value.labels)), "")
        out: dict[str, Any] = {c: None for c in (NODE_TYPES[label].columns if label in NODE_TYPES else [])}
        out.update({k: _plain(v) for k, v in value.items()})
        out["_label"] = label
        return out
    if isinstance(value, Relationship):
        rel: dict[str, Any] = {c: None for c in (REL_TYPES[value.type].columns if value.type in REL_TYPES else [])}
        rel.update({k: _plain(v) for k, v in value.items()})
        rel["_label"] = value.type
        return rel
    if isinstance(value, Path):
        return {"_NODES": [_plain(n) for n in value.nodes],
                "_RELS": [_plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "to_native"):  # neo4j.time.Date / DateTime / Time
        return value.to_native()
    return value


def _batches(rows: list[dict], size: int) -> Iterator[list[dict]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


# -- errors -----------------------------------------------------------------------------------

AGENT_RE = re.compile(r"^Neo4j/(\d+)\.(\d+)", re.I)


def check_server_agent(agent: str | None, where: str) -> None:
    """Refuse a server that is not Neo4j 5 or newer.

    >>> check_server_agent("Neo4j/5.26.0", "bolt://db:7687")
    >>> check_server_agent("Neo4j/4.4.30", "bolt://db:7687")
    Traceback (most recent call last):
    ...
    ropa.errors.UnsupportedServer: bolt://db:7687 runs Neo4j 4.4; this tool needs Neo4j 5 or newer (or Aura): upgrade the server, or use the embedded store (--backend embedded)
    """
    m = AGENT_RE.match(agent or "")
    if not m:
        raise UnsupportedServer(f"{where} is not a Neo4j server (it calls itself {agent!r}); point NEO4J_URI "
                                "at Neo4j 5 or newer, or use the embedded store (--backend embedded)")
    major, minor = int(m.group(1)), int(m.group(2))
    if major < MIN_MAJOR_VERSION:
        raise UnsupportedServer(f"{where} runs Neo4j {major}.{minor}; this tool needs Neo4j 5 or newer "
                                "(or Aura): upgrade the server, or use the embedded store (--backend embedded)")


def _first_line(exc: BaseException) -> str:
    msg = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__


def translate_error(exc: BaseException, uri: str, user: str | None, database: str | None) -> BackendError:
    """A driver exception as a one-line :mod:`ropa.errors` error that says what to do."""
    code = getattr(exc, "code", None) or ""
    db = repr(database) if database else "the default database"
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, neo4j_errors.AuthError):
        return AuthenticationFailed(
            f"Neo4j at {uri} refused the credentials of user {user!r}: check NEO4J_USER and NEO4J_PASSWORD")
    if code == "Neo.ClientError.Database.DatabaseNotFound":
        return BackendUnavailable(
            f"Neo4j at {uri} has no database {db}: set NEO4J_DATABASE to an existing database "
            "(SHOW DATABASES lists them) or leave it unset for the server's default")
    if code == "Neo.ClientError.Statement.AccessMode" or isinstance(exc, neo4j_errors.ForbiddenOnReadOnlyDatabase):
        return ReadOnlyError(f"Neo4j refused a write in a read-only transaction: {_first_line(exc)}; "
                             "nothing was written")
    if isinstance(exc, neo4j_errors.Forbidden):
        return BackendError(f"Neo4j user {user!r} is not allowed to do this on {db}: {_first_line(exc)}; "
                            "ask the database administrator for a role that may (editor, or architect "
                            "to create constraints)")
    if isinstance(exc, neo4j_errors.UnsupportedServerProduct):
        return UnsupportedServer(f"{uri} does not speak a Bolt version this driver supports: "
                                 "use Neo4j 5 or newer (or Aura)")
    if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired,
                        neo4j_errors.DatabaseUnavailable, OSError)):
        return BackendUnavailable(
            f"cannot reach Neo4j at {uri}: start the server or check NEO4J_URI (host, port 7687; "
            "neo4j+s:// for Aura) and that this machine can reach it")
    if isinstance(exc, neo4j_errors.ConfigurationError):
        return BackendError(f"Neo4j connection settings for {uri} are not usable: {_first_line(exc)}")
    if isinstance(exc, neo4j_errors.CypherSyntaxError):
        return BackendError(f"Neo4j rejected the query: {_first_line(exc)}")
    return BackendError(f"Neo4j ({uri}): {_first_line(exc)}")


# -- the backend ------------------------------------------------------------------------------

class Neo4jBackend(Backend):
    """A RoPA in a Neo4j 5 database (server, cluster or Aura).

    ``prepare=False`` skips the server check and the schema set-up (to inspect a connection without
    I/O). ``read_only=True`` checks the server and the database's schema version in read transactions
    only: it never writes (no constraints, no reference data). A database written by an older version is
    refused (:class:`StoreOutdatedError`) unless ``upgrade=True``: opened for :meth:`upgrade` (``ropa store
    upgrade --backend neo4j``).

    >>> b = Neo4jBackend("neo4j://localhost:7687", "neo4j", "s3cret", prepare=False)
    >>> b.describe()
    'neo4j (neo4j://localhost:7687, database default, user neo4j)'
    >>> "s3cret" in repr(vars(b))
    False
    >>> b.close()
    """

    kind = "neo4j"

    def __init__(self, uri: str, user: str | None = "neo4j", password: str | None = None,
                 database: str | None = None, *, prepare: bool = True, batch_size: int = BATCH_SIZE,
                 read_only: bool = False, upgrade: bool = False, **driver_config: Any):
        self.uri = uri
        self.user = user
        self.database = database or None
        self.batch_size = batch_size
        auth = (user or "neo4j", password) if password is not None else None
        try:
            self.driver = GraphDatabase.driver(uri, auth=auth, **{**DRIVER_CONFIG, **driver_config})
        except Exception as exc:  # a malformed URI or option; never echo the auth
            raise self._error(exc) from None
        self.read_only = read_only
        if prepare:
            try:
                self.check_server()
                self._check_schema(upgrade)
                if not read_only:
                    self.ensure_schema()
            except BaseException:
                self.driver.close()
                raise

    def describe(self) -> str:
        return f"neo4j ({self.uri}, database {self.database or 'default'}, user {self.user})"

    def _error(self, exc: BaseException) -> BackendError:
        return translate_error(exc, self.uri, self.user, self.database)

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except BackendError:
            raise
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._error(exc) from None

    def _session(self, access_mode: str) -> neo4j.Session:
        return self.driver.session(database=self.database, default_access_mode=access_mode)

    # -- connection --------------------------------------------------------------------------
    def server_agent(self) -> str:
        """What the server calls itself, e.g. ``Neo4j/5.26.0`` (connects and authenticates)."""
        return self._call(lambda: self.driver.get_server_info().agent)

    def check_server(self) -> None:
        """Connect, authenticate, check the version and that the database exists."""
        check_server_agent(self.server_agent(), self.uri)
        self._read(PING)

    # -- schema ------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        self._refuse_if_read_only("to create its constraints and reference data")
        # Schema changes cannot share a transaction with data writes; each is idempotent.
        allowed = all([self._schema_write(statement) for statement in schema_statements()])
        if not self._read(MECHANISM_COUNT)[0]["mechanisms"]:
            if not allowed:
                raise BackendError(
                    f"Neo4j user {self.user!r} may not create this tool's constraints in "
                    f"{self.database or 'the default database'}: ask an administrator to run "
                    "`ropa import FILE --backend neo4j` once, or to grant the architect role")
            self.load(RopaGraph.empty())  # reference data only; a RoPA already there is kept

    def schema_version(self) -> int:
        """The schema version of the stored RoPA, read from the data (a read transaction): when its hops
        lack the chain as one text (``schema.HOP_DERIVED``), 3 if they keep it as a list (``chain``, schema
        2-3) and 1 if they keep none (an upgrade computes it either way), else the current one."""
        row = self._read(OUTDATED_HOPS, {"listed": "chain"})[0]
        return (3 if row["listed"] else 1) if row["outdated"] else SCHEMA_VERSION

    def _check_schema(self, upgrade: bool) -> None:
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return
        if not upgrade or self.read_only:
            raise StoreOutdatedError(
                f"the RoPA in {self.database or 'the default database'} was written by an older version of this "
                f"tool (store schema {found}; this one reads {SCHEMA_VERSION}): its hops lack the sub-processor "
                "chain as the rules read it. Nothing was changed. Run `ropa store upgrade --backend neo4j` once as a "
                "user who may write, or import your register again")
        # upgrade=True: opened to be upgraded by the caller (ropa store upgrade), through upgrade()

    def upgrade(self) -> int:
        """Compute the hops' chains of a RoPA written by an older version (one write transaction); the
        version it had."""
        self._refuse_if_read_only("an upgrade")
        found = self.schema_version()
        if found < SCHEMA_VERSION:
            self.replace(self.export())
        return found

    def _schema_write(self, statement: LiteralString) -> bool:
        """Run one schema statement; False if the user may not (a prepared database still reads)."""
        self._refuse_if_read_only("a schema change")
        try:
            self.driver.execute_query(statement, database_=self.database, routing_=RoutingControl.WRITE)
        except neo4j_errors.Forbidden:
            return False
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._error(exc) from None
        return True

    # -- writing -----------------------------------------------------------------------------
    def replace(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None,
                revision: dict | None = None) -> None:
        """One transaction; the server keeps no states, only the journal (``revision`` joins it in the
        same transaction, or nothing is written: :class:`ConflictError` when another writer's revision
        took its number meanwhile); tests/test_revisions_neo4j.py runs it on a real server."""
        self._refuse_if_read_only("an import or an edit")
        plan = self._import_plan(graph, replace=True)
        if revision is not None:
            rev = {c: typed(revision.get(c), kind) for c, kind in REVISION.properties}
            plan.append((ADD_REVISION, {"rev": rev}, 1, JOURNAL_LABEL))
        self._write_plan(plan, progress)

    def revisions(self) -> list[dict]:
        return [_plain(r["props"]) for r in self._read(REVISIONS)]

    def load(self, graph: RopaGraph, progress: Progress | None = None, origin: str | None = None) -> RopaGraph:
        """MERGE ``graph`` into the stored RoPA in one transaction; returns the stored RoPA."""
        self._refuse_if_read_only("an import")
        self._import(graph, replace=False, progress=progress)
        return self.export()

    def _import_plan(self, graph: RopaGraph, replace: bool) -> list[tuple[LiteralString, dict, int | None, str]]:
        """(statement, parameters, rows expected to be written or None, progress label)."""
        reference = reference_graph()
        if not replace:
            # the chains of hops already stored change with the new ones (ENGAGES.via): every hop of
            # the merged whole is written again, with its chain computed over that whole
            graph = self.export().merge(graph)
        full = graph.merge(reference)  # reference data win: a file never redefines them
        plan: list[tuple[LiteralString, dict, int | None, str]] = []
        if replace:
            for q in delete_ropa_statements():
                plan.append((q, {}, None, "clearing the stored RoPA"))
        ref_ids = reference.nodes["Country"]["id"].tolist()
        for q in refresh_reference_statements():
            plan.append((q, {"ids": ref_ids} if "$ids" in q else {}, None, "refreshing reference data"))
        for label, t in NODE_TYPES.items():
            rows = [{c: typed(rec[c], kind) for c, kind in t.properties}
                    for rec in full.nodes[label].to_dict("records")]
            for batch in _batches(rows, self.batch_size):
                plan.append((node_merge_statement(t.label), {"rows": batch}, len(batch), label))
        for t in REL_TYPES.values():
            for a, b, records, stored in rels_by_ends(full, t):
                rows: list[dict] = []
                for i, rec in enumerate(records):
                    props = {c: typed(rec[c], kind) for c, kind in t.properties}
                    props.update({n: stored[n][i] for n, _ in t.derived})
                    rows.append({"src": typed(rec["src"], STRING), "dst": typed(rec["dst"], STRING), "props": props})
                if t.type in HOP_TYPES:
                    # every hop of the merged whole, one per (ends, activity): written again from scratch
                    plan.append((hop_delete_statement(t.type, a, b), {}, None, t.type))
                    statement = hop_create_statement(t.type, a, b)
                else:
                    statement = rel_merge_statement(t.type, a, b)
                for batch in _batches(rows, self.batch_size):
                    plan.append((statement, {"rows": batch}, len(batch), t.type))
        return plan

    def _import(self, graph: RopaGraph, replace: bool, progress: Progress | None) -> None:
        self._write_plan(self._import_plan(graph, replace), progress)

    def _write_plan(self, plan: list[tuple[LiteralString, dict, int | None, str]],
                    progress: Progress | None = None) -> None:
        """Run every statement of ``plan`` in one managed write transaction (all or nothing); the last wall
        of a read-only handle (every write goes through here or :meth:`_schema_write`)."""
        self._refuse_if_read_only("a write")

        def work(tx: neo4j.ManagedTransaction) -> None:
            for i, (statement, params, expected, label) in enumerate(plan):
                if progress:
                    progress(i / max(1, len(plan)), f"loading {label}")
                result = tx.run(statement, params)
                if expected is None:
                    result.consume()
                    continue
                written = result.single(strict=True)["written"]
                if written != expected and label == JOURNAL_LABEL:
                    raise ConflictError(f"revision {params['rev']['number']} was made by someone else meanwhile; "
                                        "nothing was changed: reload and make the change again")
                if written != expected:
                    # An end node is missing: refuse the whole import rather than drop links silently.
                    raise BackendError(f"import refused: {expected - written} {label} relationship(s) point at "
                                       "nodes that are not in the graph; nothing was changed")

        with self._session(WRITE_ACCESS) as session:
            self._call(lambda: session.execute_write(work))
        if progress:
            progress(1.0, "done")

    # -- reading -----------------------------------------------------------------------------
    def _read(self, query: LiteralString, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        records = self._call(lambda: self.driver.execute_query(
            query, params or {}, database_=self.database, routing_=RoutingControl.READ).records)
        return [{k: _plain(v) for k, v in record.items()} for record in records]

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._read(_rule_text(query), {k: _param(v) for k, v in (params or {}).items()})

    def export(self) -> RopaGraph:
        statements = export_statements()

        def work(tx: neo4j.ManagedTransaction) -> dict:
            return {key: [(r["props"], r.get("src"), r.get("dst")) for r in tx.run(q)]
                    for key, q in statements.items()}

        with self._session(READ_ACCESS) as session:
            found = self._call(lambda: session.execute_read(work))
        nodes = {label: [_plain(props) for props, _, _ in found[label]] for label in ROPA_LABELS + ["Country"]}
        rels: dict[str, list[dict]] = {t.type: [] for t in REL_TYPES.values() if not t.reference}
        for key, rows in found.items():
            if isinstance(key, tuple):
                rel_type, a, b = key
                rels[rel_type] += [{**_plain(props), "src": s, "dst": d, "src_label": a, "dst_label": b}
                                   for props, s, d in rows]
        return RopaGraph.from_records(nodes, rels)

    def close(self) -> None:
        self.driver.close()
