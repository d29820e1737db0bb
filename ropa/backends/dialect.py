"""The one place where LadybugDB's Cypher differs from Neo4j's, for our rules.

Rules are written in Neo4j Cypher (checked by Neo4j's own linter) and run
unchanged on Neo4j. On the embedded store, :func:`to_ladybug` adapts them:

1. **Path semantics.** Neo4j never repeats a relationship within one path
   (trail semantics); LadybugDB walks (repeats allowed), so a sub-processor
   cycle would yield ever longer paths up to the hop limit. Every
   variable-length pattern ``*m..n`` becomes ``* TRAIL m..n``.
2. **Splitting a text.** Neo4j's ``split(text, sep)`` is LadybugDB's ``string_split(text, sep)``
   (the rules split a hop's stored chain, ``schema.HOP_DERIVED``).

Everything else the rules use (MATCH / OPTIONAL MATCH / WITH / UNWIND /
aggregation / CASE / coalesce / EXISTS { } / any() / none() / date() /
nodes(p) / relationships(p) / parameters) means the same on both engines.
Known gaps of LadybugDB that rules must avoid: ``labels()``, ``type()``, list
comprehensions, ``reduce()``, ``toString()`` of a date, ``ORDER BY`` inside
``WITH`` without ``SKIP/LIMIT``, ``head()``, list indexing (LadybugDB counts
from 1), and ``NOT x IN list`` without parentheses (LadybugDB binds NOT
tighter than IN). A test lints the rule files for them.

One more LadybugDB defect shapes the rules: inside ``EXISTS { }`` (and an
``OPTIONAL MATCH ... WHERE``) a *null* property of a node or relationship
bound outside reads as non-null. Rules therefore bind such values with
``WITH coalesce(imp.sector, 'private') AS sector`` first and use the plain
variable inside the subquery; the rule fixtures pin this down.
"""
from __future__ import annotations

import re

VAR_LENGTH = re.compile(r"\*\s*(\d*)\s*\.\.\s*(\d*)\s*\]")
SPLIT = re.compile(r"(?<![\w.])split\s*\(", re.I)
UNSUPPORTED = {
    "labels()": re.compile(r"\blabels\s*\(", re.I),
    "type()": re.compile(r"\btype\s*\(", re.I),
    "reduce()": re.compile(r"\breduce\s*\(", re.I),
    "toString()": re.compile(r"\btoString\s*\(", re.I),
    "list comprehension": re.compile(r"\[\s*\w+\s+IN\s+[^\]]*\|", re.I),
    "NOT x IN list without parentheses": re.compile(r"\bNOT\s+[\w.]+\s+IN\b", re.I),
    "list indexing (0-based in Neo4j, 1-based in LadybugDB)": re.compile(r"\)\s*\[\s*\d"),
    "head()/last()": re.compile(r"\b(head|last)\s*\(", re.I),
}


def to_ladybug(query: str) -> str:
    """Adapt a Neo4j-Cypher read query to LadybugDB.

    >>> to_ladybug("MATCH p=(a)-[:ENGAGES*1..5]->(b) RETURN b")
    'MATCH p=(a)-[:ENGAGES* TRAIL 1..5]->(b) RETURN b'
    >>> to_ladybug("RETURN split(h.via, ',') AS names, string_split('a', 'b') AS kept")
    "RETURN string_split(h.via, ',') AS names, string_split('a', 'b') AS kept"
    """
    query = VAR_LENGTH.sub(lambda m: f"* TRAIL {m.group(1)}..{m.group(2)}]", query)
    return SPLIT.sub("string_split(", query)


def portability_problems(query: str) -> list[str]:
    """Constructs in a query that one of the engines does not support."""
    return [name for name, rx in UNSUPPORTED.items() if rx.search(query)]
