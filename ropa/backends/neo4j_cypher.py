"""The Cypher text the Neo4j backend sends and the export script repeats.

Pure functions of :mod:`ropa.schema` (no driver import, so the export script
and the lint test can use them without a server): labels and relationship
types come from the schema only, values are always parameters (``$rows``,
``$ids``). The text is typed ``LiteralString`` (PEP 675) so a type checker
can prove no input reaches it. :func:`statement_catalogue` lists every
statement with its parameters; ``tests/test_cypher_lint.py`` runs them all
through Neo4j's own Cypher front end.
"""
from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from typing import LiteralString
else:  # Python 3.10: type checkers know it from typing_extensions
    LiteralString = str

import math
from typing import Any, Iterator

import pyarrow as pa

from ..model import RopaGraph, coerce, derived_properties
from ..schema import HOP_TYPES, NODE_TYPES, REFERENCE_LABELS, REL_TYPES, ROPA_LABELS, STRING

def constraint_name(label: LiteralString) -> LiteralString:
    """Name of the uniqueness constraint on a label's ``id``.

    >>> constraint_name("DataCategory")
    'ropa_datacategory_id'
    """
    return "ropa_" + label.lower() + "_id"


def schema_statements() -> list[LiteralString]:
    """Uniqueness constraints on every label's ``id`` and indexes on hop activities.

    >>> schema_statements()[0]
    'CREATE CONSTRAINT ropa_organisation_id IF NOT EXISTS FOR (n:Organisation) REQUIRE n.id IS UNIQUE'
    """
    out: list[LiteralString] = []
    for t in NODE_TYPES.values():
        out.append(f"CREATE CONSTRAINT {constraint_name(t.label)} IF NOT EXISTS "
                   f"FOR (n:{t.label}) REQUIRE n.id IS UNIQUE")
    for t in REL_TYPES.values():
        if t.type in HOP_TYPES:
            out.append(f"CREATE INDEX ropa_{t.type.lower()}_activity IF NOT EXISTS "
                       f"FOR ()-[r:{t.type}]-() ON (r.activity)")
    return out


def delete_ropa_statements() -> list[LiteralString]:
    """Statements that remove the stored RoPA (reference data stay)."""
    out: list[LiteralString] = [f"MATCH (n:{label}) DETACH DELETE n" for label in ROPA_LABELS]
    out.append("MATCH (n:Country) WHERE n.resolved = false DETACH DELETE n")
    return out


def refresh_reference_statements() -> list[LiteralString]:
    """Statements that drop reference data the shipped data no longer has (``$ids``: country ids)."""
    out: list[LiteralString] = [f"MATCH (n:{label}) DETACH DELETE n"
                                for label in REFERENCE_LABELS if label != "Country"]
    out.append("MATCH (n:Country) WHERE n.resolved = true AND NOT (n.id IN $ids) DETACH DELETE n")
    return out


def node_merge_statement(label: LiteralString) -> LiteralString:
    """MERGE a batch of nodes on ``id``; the row becomes the node's properties.

    >>> node_merge_statement("Document")
    'UNWIND $rows AS row MERGE (n:Document {id: row.id}) SET n = row RETURN count(n) AS written'
    """
    return f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row RETURN count(n) AS written"


def rel_merge_statement(rel_type: LiteralString, src: LiteralString, dst: LiteralString,
                        keyed: bool = True) -> LiteralString:
    """MERGE a batch of relationships between existing nodes.

    A hop (``DISCLOSES_TO``/``ENGAGES``) is one per activity, so ``activity``
    is part of its key; a hop whose activity is unknown (``keyed=False``)
    replaces the one unkeyed hop between the same two nodes.
    """
    ends: LiteralString = (f"UNWIND $rows AS row MATCH (s:{src} {{id: row.src}}) "
                           f"MATCH (d:{dst} {{id: row.dst}}) ")
    if rel_type in HOP_TYPES and keyed:
        return ends + (f"MERGE (s)-[r:{rel_type} {{activity: row.activity}}]->(d) "
                       "SET r = row.props RETURN count(r) AS written")
    if rel_type in HOP_TYPES:
        return ends + (f"OPTIONAL MATCH (s)-[old:{rel_type}]->(d) WHERE old.activity IS NULL "
                       "WITH s, d, row, collect(old) AS stale FOREACH (o IN stale | DELETE o) "
                       f"CREATE (s)-[r:{rel_type}]->(d) SET r = row.props RETURN count(r) AS written")
    return ends + f"MERGE (s)-[r:{rel_type}]->(d) SET r = row.props RETURN count(r) AS written"


def hop_delete_statement(rel_type: LiteralString, src: LiteralString, dst: LiteralString) -> LiteralString:
    """Remove the stored hops of one type between two labels: an import writes every hop again.

    >>> hop_delete_statement("ENGAGES", "Organisation", "Organisation")
    'MATCH (:Organisation)-[r:ENGAGES]->(:Organisation) DELETE r'
    """
    return f"MATCH (:{src})-[r:{rel_type}]->(:{dst}) DELETE r"


def hop_create_statement(rel_type: LiteralString, src: LiteralString, dst: LiteralString) -> LiteralString:
    """CREATE a batch of hops between existing nodes, after :func:`hop_delete_statement`.

    An import writes the hops of the whole merged RoPA, one row per (ends, activity), so the
    stored hops are removed and created again in the same transaction. MERGE on the activity
    (:func:`rel_merge_statement`) scans every hop already between the two nodes: with one
    vendor and its sub-processor linked once per activity that was 13 ms a row (10k register:
    69 of 80 s); CREATE is linear.
    """
    return (f"UNWIND $rows AS row MATCH (s:{src} {{id: row.src}}) MATCH (d:{dst} {{id: row.dst}}) "
            f"CREATE (s)-[r:{rel_type}]->(d) SET r = row.props RETURN count(r) AS written")


def export_statements() -> dict[tuple[str, str, str] | str, LiteralString]:
    """Read statements of :meth:`Neo4jBackend.export`, keyed by label or (type, from, to)."""
    out: dict[tuple[str, str, str] | str, LiteralString] = {}
    for label in ROPA_LABELS:
        out[label] = f"MATCH (n:{label}) RETURN properties(n) AS props"
    out["Country"] = "MATCH (n:Country) WHERE n.resolved = false RETURN properties(n) AS props"
    for t in REL_TYPES.values():
        if t.reference:
            continue
        for a, b in t.pairs:
            out[(t.type, a, b)] = (f"MATCH (s:{a})-[r:{t.type}]->(d:{b}) "
                                   "RETURN s.id AS src, d.id AS dst, properties(r) AS props")
    return out


PING: LiteralString = "RETURN 1 AS ok"
# The journal (schema.REVISION): read in order; a revision is added only when it is the next number, inside
# the write transaction of its change, so two writers who read the same head cannot both land.
REVISIONS: LiteralString = "MATCH (r:Revision) RETURN properties(r) AS props ORDER BY r.number"
ADD_REVISION: LiteralString = ("OPTIONAL MATCH (old:Revision) WITH coalesce(max(old.number), 0) AS head "
                               "WHERE head = $rev.number - 1 CREATE (r:Revision) SET r = $rev "
                               "RETURN count(r) AS written")
MECHANISM_COUNT: LiteralString = "MATCH (m:Mechanism) RETURN count(m) AS mechanisms"
# A database written by a version before hops stored their chain as one text (schema.HOP_DERIVED,
# store schema 4): every DISCLOSES_TO of a current one has via = ''; `listed` counts the hops that keep
# it as a list (the property $listed, `chain`, of store schema 2-3), none before that (named by a parameter
# and read through keys(): a current database has no property of that name, which the linter would flag).
OUTDATED_HOPS: LiteralString = ("MATCH ()-[r:DISCLOSES_TO]->() WHERE r.via IS NULL "
                                "RETURN count(r) AS outdated, count(CASE WHEN $listed IN keys(r) THEN 1 END) AS listed")


def statement_catalogue() -> list[tuple[LiteralString, tuple[str, ...]]]:
    """Every statement this backend sends, with the parameters it takes (for the linter)."""
    # (explicit appends: type checkers widen LiteralString to str inside list comprehensions)
    out: list[tuple[LiteralString, tuple[str, ...]]] = [(PING, ()), (MECHANISM_COUNT, ()), (OUTDATED_HOPS, ("listed",)),
                                                       (REVISIONS, ()), (ADD_REVISION, ("rev",))]
    for q in schema_statements() + delete_ropa_statements():
        out.append((q, ()))
    for q in refresh_reference_statements():
        out.append((q, ("ids",) if "$ids" in q else ()))
    for t in NODE_TYPES.values():
        out.append((node_merge_statement(t.label), ("rows",)))
    for rt in REL_TYPES.values():
        for a, b in rt.pairs:
            out.append((rel_merge_statement(rt.type, a, b), ("rows",)))
            if rt.type in HOP_TYPES:
                out.append((rel_merge_statement(rt.type, a, b, keyed=False), ("rows",)))
                out.append((hop_delete_statement(rt.type, a, b), ()))
                out.append((hop_create_statement(rt.type, a, b), ("rows",)))
    for q in export_statements().values():
        out.append((q, ()))
    return out


def typed(value: Any, kind: str) -> Any:
    """A table cell as the schema types it (what the embedded store's typed columns hold).

    >>> typed(2.0, "INT64"), typed("2020-07-16", "DATE"), typed("", "STRING"), typed(float("nan"), "STRING")
    (2, datetime.date(2020, 7, 16), '', None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, (str, bytes)):
        value = item()
    if kind == STRING:
        return str(value)
    return coerce(value, kind)


def rels_by_ends(full: RopaGraph, t) -> Iterator[tuple[str, str, list[dict], dict[str, list]]]:
    """Each (source label, destination label) pair of relationship type ``t`` (a :mod:`ropa.schema` type) with
    its relationships in ``full`` as records and its derived properties (name -> one value per record): what
    the backend writes and the export script repeats, split the same way for both.
    """
    df = full.rels[t.type]
    extra = derived_properties(full, t.type)
    for a, b in t.pairs:
        mask = ((df["src_label"] == a) & (df["dst_label"] == b)).to_numpy()
        stored = {n: extra[n].filter(pa.array(mask)).to_pylist() for n, _ in t.derived}
        yield a, b, df[mask].to_dict("records"), stored
