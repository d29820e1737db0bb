import datetime as dt
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis budgets: `ropa` keeps `make test` quick; HYPOTHESIS_PROFILE=ropa-deep runs 25 times as many examples.
settings.register_profile("ropa", max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ropa-deep", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ropa"))

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 22)
SHARED = Path(os.environ.get("ROPA_SHARED") or ROOT.parent / "shared")  # ROPA_SHARED: a checkout elsewhere

HEADER = ("controller,controller_country,activity,purpose,legal_basis,special_condition,data_subjects,"
          "data_categories,retention,security_measures,recipient,recipient_role,engaged_by,recipient_country,"
          "processing_countries,mechanism,mechanism_date,tia,dpa,dpf_certified,evidence,source").split(",")
COMPLETE = {"controller": "Acme BV", "controller_country": "NL", "activity": "Payroll", "purpose": "Pay staff",
            "legal_basis": "contract", "data_subjects": "employees", "data_categories": "name;bank account",
            "retention": "7 years", "security_measures": "encryption", "dpa": "yes", "source": "fixture"}


def register_bytes(*rows: dict, extra_columns: tuple[str, ...] = ()) -> bytes:
    """A register CSV from partial rows; missing columns are empty."""
    import csv
    cols = HEADER + list(extra_columns)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue().encode("utf-8")


def row(**kw) -> dict:
    """A complete register row (an EEA processor with a DPA) with overrides."""
    return {**COMPLETE, **kw}


@pytest.fixture(autouse=True, scope="session")
def _never_the_users_store(tmp_path_factory):
    """No test reads or writes the user's own store (``.ropa/`` or a ``$ROPA_STORE`` they set): every test
    that does not choose a store itself gets a scratch one for the session, and so do the CLI processes
    the tests start (they inherit the environment)."""
    old = os.environ.get("ROPA_STORE")
    os.environ["ROPA_STORE"] = str(tmp_path_factory.mktemp("store") / "ropa.lbdb")
    yield
    if old is None:
        os.environ.pop("ROPA_STORE", None)
    else:
        os.environ["ROPA_STORE"] = old


@pytest.fixture
def store():
    from ropa.backends.embedded import EmbeddedBackend
    s = EmbeddedBackend(None)
    yield s
    s.close()


def check_rows(*rows, as_of=TODAY, extra_columns=()):
    """Findings for a register given as rows, in a scratch store."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats.register import read_register
    from ropa.rules import evaluate
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=extra_columns)), "fixture.csv")
    with EmbeddedBackend(None) as s:
        s.replace(g)
        return evaluate(s, as_of)


def seeds_dir() -> Path | None:
    d = SHARED / "seeds"
    return d if d.is_dir() else None  # tests that need them skip with a reason


def explorer_on(path):
    """Point the explorer (ROPA_STORE) at ``path`` with empty Streamlit caches; a generator for a fixture
    to ``yield from``: the caller gets ``path``, and the environment and caches are restored after."""
    import streamlit as st
    old = os.environ.get("ROPA_STORE")
    os.environ["ROPA_STORE"] = str(path)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()
    if old is None:
        os.environ.pop("ROPA_STORE", None)
    else:
        os.environ["ROPA_STORE"] = old


def single_file_store(tmp_path, graph, name="old.lbdb"):
    """A store as versions before the store directories wrote it: one LadybugDB file."""
    import shutil
    from ropa.backends.embedded import EmbeddedBackend
    staging = tmp_path / (name + ".staging")
    with EmbeddedBackend(staging) as s:
        s.replace(graph)
        data = s._dir.data_path(s._state)
    shutil.copyfile(data, tmp_path / name)
    shutil.rmtree(staging)
    return tmp_path / name


# -- a real Neo4j 5 for the Neo4j leg ------------------------------------------------------------
# One server per test session, started by the session itself (tools/neo4j, in a temporary folder:
# never the user's .ropa/neo4j) when the first test asks for it, stopped at the end. NEO4J_* in the
# caller's environment are ignored (they may name the user's own database, whose content these
# tests replace). ROPA_TEST_NEO4J_ENV=FILE reuses a server started for tests with
# `python tools/neo4j/neo4jctl.py up --dir DIR` (FILE = DIR/neo4j.env), e.g. across local runs.
# Without Java 17+ or Maven the Neo4j tests skip with the reason; under CI (CI=true) such a skip
# is a failure (pytest_runtest_makereport below).

NEO4J_VARS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE", "ROPA_BACKEND")
for _var in NEO4J_VARS:
    os.environ.pop(_var, None)


def _neo4jctl():
    import importlib.util
    spec = importlib.util.spec_from_file_location("neo4jctl", ROOT / "tools" / "neo4j" / "neo4jctl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """Settings of the session's Neo4j server: {"uri", "user", "password", "database"} (the
    ``neo4j_settings`` shape) plus "env" (the same as NEO4J_* variables) and "dir" (its folder, when
    this session started it)."""
    ctl = _neo4jctl()
    reuse = os.environ.get("ROPA_TEST_NEO4J_ENV")
    server = None
    if reuse:
        if Path(reuse).resolve() == (ROOT / ".ropa" / "neo4j.env").resolve():
            pytest.exit("ROPA_TEST_NEO4J_ENV names the user's own server (.ropa/neo4j.env), whose content the "
                        "tests would replace: start one for tests with tools/neo4j/neo4jctl.py up --dir DIR")
        env = ctl.read_env(Path(reuse))
        if not env.get("NEO4J_URI"):
            pytest.exit(f"ROPA_TEST_NEO4J_ENV={reuse}: no NEO4J_URI in it")
    else:
        server = ctl.Server(tmp_path_factory.mktemp("neo4j-server"))
        try:
            # owner_pid: a session killed with SIGKILL cannot call down(); the server then stops itself
            env = server.up(heap=os.environ.get("ROPA_TEST_NEO4J_HEAP", "1g"), owner_pid=os.getpid())
        except ctl.Unavailable as exc:
            pytest.skip(f"no Neo4j server for the Neo4j tests: {exc}")
    try:
        yield {"uri": env["NEO4J_URI"], "user": env["NEO4J_USER"], "password": env["NEO4J_PASSWORD"],
               "database": env.get("NEO4J_DATABASE") or None, "env": env,
               "dir": server.dir if server else None}
    finally:
        if server is not None:
            server.down()


@pytest.fixture
def neo4j_env(neo4j_server, monkeypatch):
    """NEO4J_* of the session's server in this test's environment (for the CLI and the explorer)."""
    for k, v in neo4j_server["env"].items():
        monkeypatch.setenv(k, v)
    return neo4j_server["env"]


def open_neo4j(settings, clear: bool = False):
    """A Neo4jBackend on the session's server; ``clear`` empties the graph first (a fresh database)."""
    from ropa.backends.neo4j_backend import Neo4jBackend
    conn = {k: settings[k] for k in ("uri", "user", "password", "database")}
    if clear:
        from neo4j import GraphDatabase
        with GraphDatabase.driver(conn["uri"], auth=(conn["user"], conn["password"]),
                                  notifications_min_severity="OFF") as driver, \
                driver.session(database=conn["database"]) as session:  # auto-commit: IN TRANSACTIONS needs it
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    return Neo4jBackend(**conn)


@pytest.fixture(scope="module")
def neo4j_store(neo4j_server):
    """A Neo4j backend on a cleared graph, one per test module."""
    store = open_neo4j(neo4j_server, clear=True)
    yield store
    store.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (report.skipped and os.environ.get("CI") == "true"
            and "neo4j_server" in getattr(item, "fixturenames", ())):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"a Neo4j test was skipped under CI (CI=true), where every Neo4j test must run: {reason}"
