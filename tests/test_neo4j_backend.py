"""The Neo4j backend without a Neo4j server: configuration, the statements it sends,
error messages (a real closed port; driver errors as the driver builds them from a
server's FAILURE), the CLI's one-line messages, and the export script."""
from __future__ import annotations

import io
import re
import socket
from pathlib import Path

import pytest

from conftest import ROOT
from ropa.backends.neo4j_config import check_uri, neo4j_settings
from ropa.errors import (AuthenticationFailed, BackendError, BackendUnavailable, ReadOnlyError,
                         UnsupportedServer)

PASSWORD = "pw-Zq81-never-shown"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- only one module talks to the driver -------------------------------------------------

def test_only_the_backend_module_imports_the_driver():
    importers = []
    for path in (ROOT / "ropa").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import neo4j\b|from neo4j\b)", text, re.M):
            importers.append(path.relative_to(ROOT).as_posix())
    assert importers == ["ropa/backends/neo4j_backend.py"]


def test_export_script_and_settings_do_not_load_the_driver():
    import subprocess
    import sys
    code = ("import sys, io; from ropa.backends.neo4j_export import write_cypher; "
            "from ropa.backends.neo4j_config import neo4j_settings; from ropa.model import RopaGraph; "
            "write_cypher(RopaGraph.empty(), io.BytesIO()); print('neo4j' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_statements_use_only_schema_labels_and_parameters():
    from ropa.backends.neo4j_cypher import statement_catalogue
    from ropa.schema import NODE_TYPES, REL_TYPES, REVISION
    names = set(NODE_TYPES) | set(REL_TYPES) | {REVISION.label}  # the RoPA's, and the journal's
    for text, params in statement_catalogue():
        used = set(re.findall(r"[(\[]\w*:(\w+)", text))
        assert used <= names, (text, used - names)
        assert set(re.findall(r"\$(\w+)", text)) == set(params), text
        assert "'" not in text.replace("''", ""), f"a literal value in {text}"


# -- configuration ----------------------------------------------------------------------

def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('NEO4J_URI = "neo4j+s://abcd.databases.neo4j.io"\nNEO4J_USERNAME = "aura"\n'
                       'NEO4J_PASSWORD = "from-file"\nNEO4J_DATABASE = "ropa"\n[other]\nx = 1\n')
    from_file = neo4j_settings({}, secrets)
    assert from_file == {"uri": "neo4j+s://abcd.databases.neo4j.io", "user": "aura",
                         "password": "from-file", "database": "ropa"}
    mixed = neo4j_settings({"NEO4J_URI": "bolt://localhost:7687", "NEO4J_USER": "neo4j"}, secrets)
    assert mixed == {"uri": "bolt://localhost:7687", "user": "neo4j", "password": "from-file", "database": "ropa"}


def test_missing_uri_says_how_to_configure(tmp_path):
    with pytest.raises(BackendUnavailable, match="NEO4J_URI.*secrets.toml"):
        neo4j_settings({}, tmp_path / "none.toml")


def test_a_broken_secrets_file_is_named(tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("NEO4J_URI = \n")
    with pytest.raises(BackendError, match="secrets.toml: cannot read it as TOML"):
        neo4j_settings({}, bad)


@pytest.mark.parametrize("uri,ok", [
    ("neo4j://localhost:7687", True), ("neo4j+s://x.databases.neo4j.io", True), ("bolt://10.0.0.1:7687", True),
    ("bolt+ssc://db:7687", True), ("http://localhost:7474", False), ("localhost:7687", False), ("", False)])
def test_uri_schemes(uri, ok):
    if ok:
        assert check_uri(uri) == uri
    else:
        with pytest.raises(BackendError, match="not a Neo4j connection URI"):
            check_uri(uri)


# -- errors users understand -------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_closed_port_says_unreachable(scheme):
    from ropa.backends.neo4j_backend import Neo4jBackend
    uri = f"{scheme}://127.0.0.1:{closed_port()}"
    with pytest.raises(BackendUnavailable) as err:
        Neo4jBackend(uri, "neo4j", PASSWORD)
    msg = str(err.value)
    assert msg.startswith(f"cannot reach Neo4j at {uri}: start the server or check NEO4J_URI")
    assert "\n" not in msg and PASSWORD not in msg


def _server_failure(code: str, message: str):
    """The exception the driver raises when a server answers FAILURE with this code."""
    from neo4j.exceptions import Neo4jError
    return Neo4jError._hydrate_neo4j(code=code, message=message)


@pytest.mark.parametrize("code,expected,says", [
    ("Neo.ClientError.Security.Unauthorized", AuthenticationFailed, "check NEO4J_USER and NEO4J_PASSWORD"),
    ("Neo.ClientError.Database.DatabaseNotFound", BackendUnavailable, "set NEO4J_DATABASE to an existing database"),
    ("Neo.ClientError.Statement.AccessMode", ReadOnlyError, "read-only transaction"),
    ("Neo.ClientError.Security.Forbidden", BackendError, "ask the database administrator"),
    ("Neo.ClientError.Statement.SyntaxError", BackendError, "Neo4j rejected the query"),
])
def test_server_failures_become_one_line_messages(code, expected, says):
    from ropa.backends.neo4j_backend import translate_error
    exc = _server_failure(code, f"server text\nsecond line {PASSWORD}")
    err = translate_error(exc, "neo4j://db:7687", "neo4j", "ropa")
    assert type(err) is expected and says in str(err)
    assert "\n" not in str(err) and PASSWORD not in str(err)


@pytest.mark.parametrize("agent,problem", [
    ("Neo4j/5.26.0", None), ("Neo4j/2025.10.1", None), ("Neo4j/5.27-aura", None),
    ("Neo4j/4.4.30", "runs Neo4j 4.4; this tool needs Neo4j 5 or newer"), ("Memgraph/2.1", "is not a Neo4j server")])
def test_server_version_check(agent, problem):
    from ropa.backends.neo4j_backend import check_server_agent
    if problem is None:
        check_server_agent(agent, "bolt://db:7687")
    else:
        with pytest.raises(UnsupportedServer, match=problem):
            check_server_agent(agent, "bolt://db:7687")


def test_console_refuses_writes_before_sending_anything():
    from ropa.backends.neo4j_backend import Neo4jBackend
    b = Neo4jBackend(f"bolt://127.0.0.1:{closed_port()}", "neo4j", PASSWORD, prepare=False)
    try:
        with pytest.raises(ReadOnlyError):  # not BackendUnavailable: refused before the driver is used
            b.run_read_only("MATCH (n:Organisation) DETACH DELETE n")
        assert PASSWORD not in b.describe() and PASSWORD not in repr(vars(b))
    finally:
        b.close()


# -- the CLI -------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["check", "--backend", "neo4j"], ["export", "--backend", "neo4j", "--format", "csv", "--out", "-"],
                                  ["import", "--backend", "neo4j", "data/samples/clinic-example.csv"]])
def test_cli_store_commands_honour_backend_and_print_one_line(argv, monkeypatch, capsys, tmp_path):
    from ropa.cli import EXIT_ERROR, main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "samples").mkdir(parents=True)
    (tmp_path / "data" / "samples" / "clinic-example.csv").write_bytes(
        (ROOT / "data" / "samples" / "clinic-example.csv").read_bytes())
    port = closed_port()
    monkeypatch.setenv("NEO4J_URI", f"neo4j://127.0.0.1:{port}")
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)
    assert main(argv) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach Neo4j at neo4j://127.0.0.1:{port}")
    assert err.count("\n") == 1 and PASSWORD not in err


def test_cli_without_configuration_says_how(monkeypatch, capsys, tmp_path):
    from ropa.cli import main
    monkeypatch.chdir(tmp_path)
    for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    assert main(["check", "--backend", "neo4j"]) == 2
    assert "Neo4j is not configured: set NEO4J_URI" in capsys.readouterr().err


def test_cli_check_does_not_overwrite_neo4j_with_files(monkeypatch, capsys):
    from ropa.cli import main
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{closed_port()}")
    assert main(["check", "--backend", "neo4j", "data/samples/clinic-example.csv"]) == 2
    assert "import them first (ropa import FILE --backend neo4j)" in capsys.readouterr().err


# -- the cypher-shell script ----------------------------------------------------------------

def test_export_script_holds_every_node_and_relationship_once():
    from ropa.backends.neo4j_export import generate_cypher, script_statements
    from ropa.reference_graph import reference_graph
    from ropa.samples import example_graph
    g = example_graph()
    lines = generate_cypher(g, rows_per_statement=7)
    assert lines.count(":begin") == 1 and lines[-1] == ":commit"
    assert all(not line.startswith(("CREATE CONSTRAINT", "CREATE INDEX")) for line in lines[lines.index(":begin"):])
    full = reference_graph().merge(g)
    statements = script_statements("\n".join(lines))
    rows_of = {}
    for s in statements:
        m = re.search(r"MERGE \(n:(\w+) |\[r:(\w+)", s)
        if m and s.startswith("UNWIND"):
            key = m.group(1) or m.group(2)
            literal = s[len("UNWIND "):s.index(" AS row ")]
            rows_of[key] = rows_of.get(key, 0) + len(re.findall(r"\{id: |\{src: ", literal))
    expected = {k: len(v) for k, v in {**full.nodes, **full.rels}.items() if len(v)}
    assert rows_of == expected


def test_export_script_via_cli(tmp_path):
    from ropa.cli import main
    out = tmp_path / "ropa.cypher"
    assert main(["export", "--sample", "--format", "cypher", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "MERGE (n:Organisation {id: row.id})" in text and "date('2020-07-16')" in text
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("value", ["O'Brien", "back\\slash", 'say "hi"', "line\nbreak", "tab\there", "\u2028",
                                   "\x00\x1f\x7f", "end\\", "'); MATCH (n) DETACH DELETE n //", "é中🙂"])
def test_string_literals_keep_one_line_and_quote_balance(value):
    from ropa.backends.neo4j_export import cypher_string
    lit = cypher_string(value)
    assert lit.startswith("'") and lit.endswith("'") and len(lit.splitlines()) == 1
    inner = lit[1:-1]
    # every quote inside is escaped: strip escape pairs, no bare quote may remain
    assert "'" not in re.sub(r"\\.", "", inner)
