"""A Cypher script that recreates a RoPA (and the legal reference data) in Neo4j.

For ``cypher-shell``::

    ropa export --format cypher --out ropa.cypher
    cypher-shell -a neo4j://localhost:7687 -u neo4j -d neo4j -f ropa.cypher

The script creates the constraints first (schema changes cannot share a
transaction with data), then writes every node and relationship between
``:begin`` and ``:commit``, so it lands whole or not at all. It MERGEs on the
same keys as the Neo4j backend (the statements come from
:mod:`ropa.backends.neo4j_cypher`), so running it twice changes nothing.
Values are written as Cypher literals, escaped here; this module does not
import the driver.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, BinaryIO


from ..model import RopaGraph
from ..reference_graph import reference_graph
from ..schema import HOP_TYPES, NODE_TYPES, REL_TYPES, STRING
from .neo4j_cypher import node_merge_statement, rel_merge_statement, rels_by_ends, schema_statements, typed

ROWS_PER_STATEMENT = 200
BEGIN, COMMIT = ":begin", ":commit"   # cypher-shell commands: one transaction for all the data
SHELL_COMMANDS = (BEGIN, COMMIT)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def cypher_string(text: str) -> str:
    """``text`` as a single-quoted Cypher string literal.

    >>> print(cypher_string("O'Brien \\\\ Co\\nLtd"))
    'O\\'Brien \\\\ Co\\nLtd'
    >>> cypher_string("\\u2028x\\x00")
    "'\\\\u2028x\\\\u0000'"
    """
    out = []
    for ch in text:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7f or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def cypher_literal(value: Any) -> str:
    """A Python value (from a RopaGraph) as a Cypher literal.

    >>> cypher_literal({"id": "a", "since": dt.date(2020, 7, 16), "ok": True, "n": 3, "x": None})
    "{id: 'a', since: date('2020-07-16'), ok: true, n: 3, x: null}"
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return cypher_string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {cypher_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if hasattr(value, "item"):  # numpy scalar
        return cypher_literal(value.item())
    raise TypeError(f"no Cypher literal for {type(value).__name__}")


def _key(name: str) -> str:
    return name if IDENTIFIER.match(name) else "`" + name.replace("`", "``") + "`"


def _inline(statement: str, rows: list[dict]) -> str:
    """A backend statement with ``$rows`` written out and its RETURN dropped (no shell output)."""
    head, tail = "UNWIND $rows AS row ", " RETURN count(n) AS written"
    tail_r = " RETURN count(r) AS written"
    assert statement.startswith(head) and (statement.endswith(tail) or statement.endswith(tail_r))
    body = statement[len(head):statement.rindex(" RETURN ")]
    return f"UNWIND {cypher_literal(rows)} AS row {body};"


def _compact(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}


def generate_cypher(graph: RopaGraph, rows_per_statement: int = ROWS_PER_STATEMENT) -> list[str]:
    """The script's lines: header comments, constraints, ``:begin``, data statements, ``:commit``."""
    full = reference_graph().merge(graph)
    ropa_nodes = sum(len(graph.nodes[t.label]) for t in NODE_TYPES.values() if not t.reference)
    lines = [
        "// RoPA Graph Explorer: this RoPA and the legal reference data, for an empty Neo4j 5 database.",
        "// Run: cypher-shell -a neo4j://localhost:7687 -u neo4j -d neo4j -f THIS_FILE",
        f"// {ropa_nodes} RoPA nodes; {full.count()} nodes and relationships with the reference data.",
    ]
    lines += [s + ";" for s in schema_statements()]
    lines.append(BEGIN)
    for label in NODE_TYPES:
        kinds = NODE_TYPES[label].properties
        rows = [_compact({c: typed(r[c], kind) for c, kind in kinds}) for r in full.nodes[label].to_dict("records")]
        for i in range(0, len(rows), rows_per_statement):
            lines.append(_inline(node_merge_statement(NODE_TYPES[label].label), rows[i:i + rows_per_statement]))
    for t in REL_TYPES.values():
        for a, b, records, stored in rels_by_ends(full, t):
            keyed, unkeyed = [], []
            for i, rec in enumerate(records):
                props = _compact({c: typed(rec[c], kind) for c, kind in t.properties})
                props.update({n: stored[n][i] for n, _ in t.derived if stored[n][i] is not None})
                row = {"src": typed(rec["src"], STRING), "dst": typed(rec["dst"], STRING), "props": props}
                if t.type in HOP_TYPES and rec["activity"] is not None:
                    row["activity"] = rec["activity"]
                (unkeyed if t.type in HOP_TYPES and rec["activity"] is None else keyed).append(row)
            for rows, is_keyed in ((keyed, True), (unkeyed, False)):
                for i in range(0, len(rows), rows_per_statement):
                    lines.append(_inline(rel_merge_statement(t.type, a, b, keyed=is_keyed),
                                         rows[i:i + rows_per_statement]))
    lines.append(COMMIT)
    return lines


def write_cypher(graph: RopaGraph, fp: BinaryIO) -> None:
    """Write the cypher-shell script for ``graph`` to a binary file object (UTF-8).

    >>> import io
    >>> buf = io.BytesIO()
    >>> write_cypher(RopaGraph.empty(), buf)
    >>> text = buf.getvalue().decode()
    >>> ":begin" in text and text.rstrip().endswith(":commit")
    True
    """
    for line in generate_cypher(graph):
        fp.write(line.encode("utf-8") + b"\n")


def script_statements(text: str) -> list[str]:
    """The Cypher statements of a script from :func:`write_cypher` (comments and shell commands left out).

    Every statement is on one line (strings never hold a raw line break).

    >>> script_statements("// c\\n:begin\\nRETURN 1;\\n:commit\\n")
    ['RETURN 1']
    """
    out = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("//") or s in SHELL_COMMANDS:
            continue
        out.append(s[:-1] if s.endswith(";") else s)
    return out
