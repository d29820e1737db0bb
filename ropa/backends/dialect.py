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

Two more differences the queries stay clear of (docs/neo4j.md, "Where the two engines differ", has the
whole list and what the tool does about each): LadybugDB's ``string_split`` drops a leading empty piece
and merges repeated separators, where Neo4j's ``split`` keeps empty pieces (the only text split is a hop's
``via``, which never holds an empty name: the importers and the store refuse one); and LadybugDB's ``+``
reads a null text as '' where Neo4j's gives null (reasons are built from names every import requires).
A LadybugDB defect: a ``UNION`` whose first part returns one expression in two columns gets one column,
every later part's value of the one landing in the other (:func:`union_repeats` finds it).

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


UNION_REPEAT = "an expression returned twice in the first part of a UNION, as columns a later part fills differently"
_TEXT_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_LITERAL = re.compile(r"^(?:'.*'|\".*\"|-?\d+(?:\.\d+)?|null|true|false)$", re.I | re.S)


def _masked(query: str) -> tuple[str, str]:
    """The query without comments, and the same text with every string literal's inside masked (same length),
    so that keywords, commas and brackets are found only in code."""
    code = _TEXT_OR_COMMENT.sub(lambda m: "" if m.group().startswith(("//", "/*")) else m.group(), query)
    masked = _TEXT_OR_COMMENT.sub(lambda m: m.group()[0] + "_" * (len(m.group()) - 2) + m.group()[-1], code)
    return code, masked


def _return_items(code: str, masked: str) -> list[str]:
    """The expressions (aliases cut off, spaces normalised) of the last RETURN of one UNION part."""
    starts = [m.end() for m in re.finditer(r"\bRETURN\b", masked, re.I)]
    if not starts:
        return []
    items, depth, begin = [], 0, starts[-1]
    for i in range(begin, len(masked) + 1):
        ch = masked[i] if i < len(masked) else ","
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            item, mitem = code[begin:i], masked[begin:i]
            cut = list(re.finditer(r"\s+AS\s+", mitem, re.I))
            items.append(" ".join((item[:cut[-1].start()] if cut else item).split()))
            begin = i + 1
    return items


def union_repeats(query: str) -> list[str]:
    """Expressions that the first part of a UNION returns in two columns that a later part fills differently.

    LadybugDB makes such columns one: every later part's value of the one lands in the other too (an onward
    transfer's activity id read as its engager's). Neo4j keeps them apart. Literals are not merged.

    >>> union_repeats("MATCH (a) RETURN a.id AS x, a.id AS y UNION ALL MATCH (b) RETURN b.id AS x, b.name AS y")
    ['a.id']
    >>> union_repeats("MATCH (a) RETURN a.id AS x, a.id AS y UNION ALL MATCH (b) RETURN b.id AS x, b.id AS y")
    []
    >>> union_repeats("MATCH (a) RETURN '' AS x, '' AS y UNION ALL MATCH (b) RETURN b.id AS x, b.name AS y")
    []
    """
    code, masked = _masked(query)
    cuts = [0] + [p for m in re.finditer(r"\bUNION(?:\s+ALL)?\b", masked, re.I) for p in (m.start(), m.end())] + [len(code)]
    parts = [_return_items(code[a:b], masked[a:b]) for a, b in zip(cuts[::2], cuts[1::2])]
    if len(parts) < 2:
        return []
    first, out = parts[0], []
    for expr in dict.fromkeys(first):
        cols = [i for i, e in enumerate(first) if e == expr]
        if len(cols) < 2 or _LITERAL.match(expr):
            continue
        if any(len({p[i] for i in cols if i < len(p)}) > 1 for p in parts[1:]):
            out.append(expr)
    return out


def portability_problems(query: str) -> list[str]:
    """Constructs in a query that one of the engines does not support, or reads otherwise."""
    problems = [name for name, rx in UNSUPPORTED.items() if rx.search(query)]
    return problems + [f"{UNION_REPEAT}: {e}" for e in union_repeats(query)]
