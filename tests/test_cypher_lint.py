"""Neo4j's own Cypher front end checks every rule file and every statement the Neo4j
backend sends (schema, import, export, the cypher-shell script), with their parameters
declared. The linter is the npm package @neo4j-cypher/language-support, pinned in
tools/cypher-lint/package.json and installed by `make test` (npm ci)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from functools import lru_cache

import pytest

from conftest import ROOT

LINT_DIR = ROOT / "tools" / "cypher-lint"
PACKAGE = LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support"
CACHE = LINT_DIR / "node_modules" / ".ropa-lint-results.json"
PARAM_SAMPLES = {"asOf": dt.date(2026, 11, 22).isoformat(), "rows": [], "ids": [], "rev": {"number": 1}, "listed": "chain"}
CANARIES = {"canary: syntax error": "MATCH (n:Organisation) RETRUN n.id",
            "canary: undeclared parameter": "MATCH (n:Organisation) WHERE n.id = $notDeclared RETURN n",
            "canary: unknown label": "MATCH (n:Organization) RETURN n.id"}
# Keys of the import rows: `row.src` reads like a property access to the linter.
ROW_KEYS = ["src", "dst", "props"]
HOSTILE = "O'Brien \\ \"Data\" Ltd\n// not a comment; MATCH (n) DETACH DELETE n \u2028 \u00e9\u4e2d `x`"


def _unavailable() -> str | None:
    if not shutil.which("node"):
        return "Node.js is not installed (.ci/run installs it)"
    if not PACKAGE.is_dir():
        return f"{PACKAGE.relative_to(ROOT)} is missing: run `make test` (it runs npm ci in tools/cypher-lint)"
    return None


def _schema() -> dict:
    from ropa.schema import NODE_TYPES, REL_TYPES, REVISION
    keys = sorted({c for t in NODE_TYPES.values() for c in t.columns}
                  | {n for t in REL_TYPES.values() for n, _ in t.stored} | set(REVISION.columns))
    return {"labels": list(NODE_TYPES) + [REVISION.label], "relationshipTypes": list(REL_TYPES),
            "propertyKeys": keys + ROW_KEYS}


def _export_sample():
    """The worked example plus an organisation whose values try to break out of a string literal."""
    from ropa.model import RopaGraph
    from ropa.samples import example_graph
    hostile = RopaGraph.from_records({"Organisation": [{"id": HOSTILE, "name": HOSTILE, "country": "US"}]}, {})
    return example_graph().merge(hostile)


def readme_queries() -> list[str]:
    """The ```cypher blocks of the Neo4j documentation (docs/neo4j.md)."""
    text = (ROOT / "docs" / "neo4j.md").read_text(encoding="utf-8")
    return re.findall(r"```cypher\n(.*?)```", text, re.S)


def _statements() -> list[dict]:
    """(id, text, declared parameters) of everything that must lint clean."""
    from ropa.backends.neo4j_cypher import statement_catalogue
    from ropa.backends.neo4j_export import generate_cypher, script_statements
    from ropa.rules import load_rules
    out = [{"id": f"queries/{r.path.name}", "text": r.query, "parameters": {"asOf": PARAM_SAMPLES["asOf"]}}
           for r in load_rules()]
    # The report's own read queries run on both backends too.
    for path in sorted((ROOT / "ropa" / "report" / "queries").glob("*.cypher")):
        text = path.read_text(encoding="utf-8")
        out.append({"id": f"report/{path.name}", "text": text,
                    "parameters": {p: PARAM_SAMPLES[p] for p in ("asOf", "ids") if p == "asOf" or f"${p}" in text}})
    # The explorer's read queries (ropa/browse) too, with the parameters they take.
    browse_params = {"ids": [], "src": [], "dst": [], "text": "shield", "limit": 50}
    queries = ROOT / "ropa" / "browse" / "queries"
    for path in sorted(queries.rglob("*.cypher")):  # the neighbourhood's in their own folder too
        text = path.read_text(encoding="utf-8")
        out.append({"id": f"browse/{path.relative_to(queries).as_posix()}", "text": text,
                    "parameters": {k: v for k, v in browse_params.items() if f"${k}" in text}})
    for i, (text, params) in enumerate(statement_catalogue()):
        out.append({"id": f"neo4j backend statement {i}", "text": text,
                    "parameters": {p: PARAM_SAMPLES[p] for p in params}})
    for i, text in enumerate(readme_queries()):
        out.append({"id": f"docs/neo4j.md starter query {i}", "text": text, "parameters": {}})
    # One statement of each kind, with few rows: the rows differ only in their literal values.
    script = "\n".join(generate_cypher(_export_sample(), rows_per_statement=4))
    seen = set()
    for i, text in enumerate(script_statements(script)):
        kind = text.split(" AS row ", 1)[-1]
        if kind not in seen or "O\\'Brien" in text:
            seen.add(kind)
            out.append({"id": f"export script statement {i}", "text": text, "parameters": {}})
    return out


def _cache_key(statement: dict, schema: dict) -> str:
    """Linter version + harness + schema + statement: any change makes a new key."""
    h = hashlib.sha256()
    for part in ((PACKAGE / "package.json").read_bytes(), (LINT_DIR / "lint.cjs").read_bytes(),
                 json.dumps(schema, sort_keys=True).encode(), statement["text"].encode(),
                 json.dumps(statement["parameters"], sort_keys=True).encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


@lru_cache(maxsize=1)
def lint_results() -> dict[str, list[dict]]:
    """Run the linter once over every statement (plus the canaries); diagnostics by statement id.

    Neo4j's semantic analysis costs ~0.5 s of CPU per rule, so results are kept
    by content hash in node_modules (wiped by every npm ci) for local re-runs;
    under CI every statement is linted afresh.
    """
    schema = _schema()
    statements = _statements() + [{"id": k, "text": v, "parameters": {}} for k, v in CANARIES.items()]
    use_cache = os.environ.get("CI") != "true"
    cache = json.loads(CACHE.read_text()) if use_cache and CACHE.is_file() else {}
    keys = {s["id"]: _cache_key(s, schema) for s in statements}
    todo = [s for s in statements if keys[s["id"]] not in cache or s["id"] in CANARIES]
    if todo:
        request = json.dumps({"schema": schema, "statements": todo})
        proc = subprocess.run(["node", str(LINT_DIR / "lint.cjs")], input=request, capture_output=True,
                              text=True, cwd=LINT_DIR, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        for r in json.loads(proc.stdout):
            cache[keys[r["id"]]] = r["diagnostics"]
        if use_cache:
            CACHE.write_text(json.dumps({keys[s["id"]]: cache[keys[s["id"]]] for s in statements}))
    return {s["id"]: cache[keys[s["id"]]] for s in statements}


@pytest.fixture(scope="module")
def results():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Cypher lint must run under CI: {reason}")
        pytest.skip(reason)
    return lint_results()


def _ids():
    return [s["id"] for s in _statements()]


@pytest.mark.parametrize("canary,expected", [("canary: syntax error", "RETRUN"),
                                             ("canary: undeclared parameter", "$notDeclared"),
                                             ("canary: unknown label", "Organization")])
def test_the_linter_reports_problems(results, canary, expected):
    """The harness can fail: a misspelt clause, an undeclared parameter, a label not in the schema."""
    messages = [d["message"] for d in results[canary] if d["severity"] in ("error", "warning")]
    assert any(expected in m for m in messages), messages


def test_the_hostile_values_reach_the_linted_script():
    assert any("O\\'Brien" in s["text"] for s in _statements() if s["id"].startswith("export script"))


def test_every_statement_was_linted(results):
    assert set(_ids()) <= set(results)
    if (ROOT / "docs" / "neo4j.md").exists() or "\n## Neo4j\n" in (ROOT / "README.md").read_text(encoding="utf-8"):
        assert len(readme_queries()) >= 3   # the Neo4j page's starter queries (docs/neo4j.md, by its owner)
    assert sum(i.startswith("queries/") for i in results) == len(list((ROOT / "queries").glob("*.cypher")))


@pytest.mark.parametrize("statement_id", _ids())
def test_statement_is_valid_neo4j_cypher(results, statement_id):
    problems = [f"{d['severity']} at {d['line']}:{d['column']}: {d['message']}" for d in results[statement_id]
                if d["severity"] in ("error", "warning")]
    assert not problems, f"{statement_id}:\n" + "\n".join(problems)
