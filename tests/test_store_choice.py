"""One function chooses the store (flags, environment, secrets) and never writes os.environ; the store's
schema stamp is checked at every open and changed only by `ropa store upgrade`; `ropa store reset` starts
from an empty store that stays empty, the previous state restorable."""
import json
import os
from pathlib import Path

import pytest

from conftest import register_bytes, row
from ropa.backends.choice import choose_store
from ropa.backends.embedded import EmbeddedBackend
from ropa.cli import main
from ropa.errors import BackendError, StoreOutdatedError
from ropa.samples import example_graph, sample_graph
from ropa.schema import SCHEMA_VERSION
from ropa.workspace import EmbeddedWorkspace, ServerWorkspace, open_workspace


# -- the choice -----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend,env,secrets,kind", [
    (None, {}, {}, "embedded"),
    (None, {"NEO4J_URI": "bolt://db:7687"}, {}, "neo4j"),
    (None, {}, {"NEO4J_URI": "bolt://db:7687"}, "neo4j"),                          # the secrets alone
    (None, {"ROPA_BACKEND": "embedded"}, {"NEO4J_URI": "bolt://db:7687"}, "embedded"),
    (None, {}, {"ROPA_BACKEND": "neo4j", "NEO4J_URI": "bolt://db:7687"}, "neo4j"),
    ("embedded", {"ROPA_BACKEND": "neo4j", "NEO4J_URI": "bolt://db:7687"}, {}, "embedded"),  # the flag wins
    ("neo4j", {}, {"NEO4J_URI": "bolt://db:7687"}, "neo4j"),
])
def test_the_kind_of_store_follows_flag_then_environment_then_secrets(backend, env, secrets, kind):
    assert choose_store(backend=backend, env=env, secrets=secrets).kind == kind


def test_the_environment_wins_over_the_secrets_key_by_key():
    c = choose_store(env={"NEO4J_URI": "bolt://env:7687"},
                     secrets={"NEO4J_URI": "bolt://secret:7687", "NEO4J_PASSWORD": "pw", "NEO4J_USER": "u"})
    assert (c.neo4j["uri"], c.neo4j["user"], c.neo4j["password"]) == ("bolt://env:7687", "u", "pw")
    assert "pw" not in repr(c)


def test_the_store_path_follows_flag_then_environment_then_default(tmp_path):
    assert choose_store(store=tmp_path / "a", env={"ROPA_STORE": "b"}, secrets={}).path == tmp_path / "a"
    assert choose_store(env={"ROPA_STORE": "b"}, secrets={}).path == Path("b")
    assert choose_store(env={}, secrets={}).path == Path(".ropa/ropa.lbdb")


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(BackendError, match="unknown backend 'mysql'"):
        choose_store(env={"ROPA_BACKEND": "mysql"}, secrets={})


def test_unusable_neo4j_settings_are_said_when_the_store_is_opened():
    c = choose_store(env={"ROPA_BACKEND": "neo4j"}, secrets={})
    with pytest.raises(BackendError, match="Neo4j is not configured"):
        c.open()


def test_the_explorer_takes_neo4j_from_its_secrets_without_writing_the_environment(tmp_path, monkeypatch):
    """What ui/state.py did before: copy the secrets into os.environ so that the Neo4j settings could be found."""
    for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE", "ROPA_BACKEND", "ROPA_STORE"):
        monkeypatch.delenv(k, raising=False)
    before = dict(os.environ)
    ws, notes = open_workspace(secrets={"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "pw",
                                        "ROPA_STORE": str(tmp_path / "s.lbdb")})
    # the secrets were used (Neo4j tried, and said why it could not be reached) ...
    assert isinstance(ws, EmbeddedWorkspace) and notes and "Neo4j could not be used" in notes[0]
    assert ws.path == tmp_path / "s.lbdb"
    assert "pw" not in notes[0]
    # ... and the process environment is as it was
    assert dict(os.environ) == before


def test_the_explorer_page_module_never_writes_the_environment():
    text = (Path(__file__).parents[1] / "ropa" / "ui" / "state.py").read_text(encoding="utf-8")
    assert "os.environ" not in text and "setdefault" not in text


def test_no_module_but_the_choice_reads_the_store_settings_from_the_environment():
    root = Path(__file__).parents[1] / "ropa"
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if "environ" in p.read_text(encoding="utf-8")
                     and any(k in p.read_text(encoding="utf-8") for k in ('"ROPA_STORE"', '"ROPA_BACKEND"')))
    assert readers == ["backends/choice.py"]


def test_the_cli_opens_the_store_the_flags_and_environment_name(tmp_path, monkeypatch, capsys):
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(row(recipient="Proc GmbH", recipient_role="processor", recipient_country="DE")))
    monkeypatch.setenv("ROPA_STORE", str(tmp_path / "env.lbdb"))
    assert main(["import", str(f)]) == 0
    assert (tmp_path / "env.lbdb").is_dir()
    assert main(["import", str(f), "--store", str(tmp_path / "flag.lbdb")]) == 0
    assert (tmp_path / "flag.lbdb").is_dir()


# -- the schema stamp ------------------------------------------------------------------------------

def _files(root: Path) -> dict:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def _store_stamped(path: Path, version: int) -> Path:
    """A store of the example whose current state says it was written with schema ``version``."""
    with EmbeddedBackend(path) as store:
        store.replace(example_graph())
        meta_file = store._dir.state_dir(store._dir.current()) / "state.json"
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "schema": version}))
    return path


def test_every_state_carries_the_schema_stamp(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as store:
        store.replace(example_graph())
        n = store._dir.current()
    meta = json.loads((path / "states" / str(n) / "state.json").read_text())
    assert meta["schema"] == SCHEMA_VERSION


def test_a_read_only_open_and_read_change_no_byte_of_the_store(tmp_path):
    path = tmp_path / "s.lbdb"
    ws = EmbeddedWorkspace(path)
    ws.ensure_seeded(example_graph)
    before = _files(path)
    with EmbeddedBackend(path, read_only=True) as store:
        assert store.export().fingerprint() == example_graph().fingerprint()
    assert ws.read(lambda s: len(s.export().nodes["Activity"])) == 3
    assert _files(path) == before


def test_an_outdated_stamp_is_refused_and_upgraded_only_by_the_command(tmp_path, capsys):
    path = _store_stamped(tmp_path / "s.lbdb", 1)
    before = _files(path)
    assert main(["check", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert "store schema 1" in err and f"ropa store upgrade --store {path}" in err
    assert _files(path) == before
    assert main(["store", "history", "--store", str(path)]) == 0   # its states can still be listed
    assert "* " in capsys.readouterr().out
    assert _files(path) == before
    assert main(["store", "upgrade", "--store", str(path)]) == 0
    assert f"from store schema 1 to {SCHEMA_VERSION}" in capsys.readouterr().out
    with EmbeddedBackend(path, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.export().fingerprint() == example_graph().fingerprint()
    assert main(["store", "upgrade", "--store", str(path)]) == 0
    assert "up to date" in capsys.readouterr().out


# -- reset -----------------------------------------------------------------------------------------

def test_reset_empties_the_store_keeps_it_empty_and_can_be_undone(tmp_path, capsys):
    path = tmp_path / "s.lbdb"
    ws = EmbeddedWorkspace(path)
    assert ws.ensure_seeded(sample_graph)
    seeded = sample_graph().fingerprint()
    assert main(["store", "reset", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "is empty now" in out
    with EmbeddedBackend(path, read_only=True) as store:
        assert len(store.export().nodes["Activity"]) == 0
        assert store.run("MATCH (m:Mechanism) RETURN count(m) AS n")[0]["n"]   # the reference data stay
    assert not ws.ensure_seeded(sample_graph)          # the explorer leaves an emptied store empty
    undo = out.split("To undo: ")[1].split()
    assert main(undo[1:]) == 0
    with EmbeddedBackend(path, read_only=True) as store:
        assert store.export().fingerprint() == seeded


def test_reset_of_no_store_says_so(tmp_path, capsys):
    assert main(["store", "reset", "--store", str(tmp_path / "none.lbdb")]) == 0
    assert "no store" in capsys.readouterr().out
    assert not (tmp_path / "none.lbdb").exists()


def test_make_reset_empties_the_store_and_keeps_the_virtual_environment(tmp_path):
    import shutil
    import subprocess
    root = Path(__file__).parents[1]
    if not shutil.which("make") or not (root / ".venv" / ".installed").exists():
        pytest.skip("needs make and the checkout's .venv (make setup)")
    path = tmp_path / "s.lbdb"
    EmbeddedWorkspace(path).ensure_seeded(example_graph)
    venv_before = sorted(p.name for p in (root / ".venv").iterdir())
    out = subprocess.run(["make", "-s", "reset"], cwd=root, env={**os.environ, "ROPA_STORE": str(path)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "is empty now" in out.stdout
    with EmbeddedBackend(path, read_only=True) as store:
        assert len(store.export().nodes["Activity"]) == 0
        assert len(store.history()) == 2          # the seeded state is still there to restore
    assert sorted(p.name for p in (root / ".venv").iterdir()) == venv_before


# -- Neo4j: the same stamp check; a read-only open runs read transactions only ------------------------

class _Spy:
    """The real driver, with every transaction's access mode written down."""

    def __init__(self, driver, seen):
        self._driver, self._seen = driver, seen

    def execute_query(self, *args, **kwargs):
        self._seen.append(str(kwargs.get("routing_", "w")).lower())
        return self._driver.execute_query(*args, **kwargs)

    def session(self, *args, **kwargs):
        self._seen.append(str(kwargs.get("default_access_mode", "WRITE")).lower())
        return self._driver.session(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._driver, name)


def _reads(mode: str) -> bool:
    return mode in ("r", "read") or mode.endswith(".read")


def _spied(monkeypatch):
    import ropa.backends.neo4j_backend as nb
    seen: list[str] = []
    real = nb.GraphDatabase.driver
    monkeypatch.setattr(nb.GraphDatabase, "driver", lambda *a, **k: _Spy(real(*a, **k), seen))
    return seen


def test_a_read_only_neo4j_open_runs_no_write_transaction(neo4j_server, monkeypatch):
    from conftest import open_neo4j
    from ropa.backends.neo4j_backend import Neo4jBackend
    from ropa.rules import evaluate
    with open_neo4j(neo4j_server, clear=True) as store:
        store.replace(example_graph())
    seen = _spied(monkeypatch)
    conn = {k: neo4j_server[k] for k in ("uri", "user", "password", "database")}
    with Neo4jBackend(**conn, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert evaluate(store)
    assert seen and all(_reads(mode) for mode in seen), seen
    seen.clear()
    Neo4jBackend(**conn).close()    # the spy sees writes: a writable open makes sure of the constraints
    assert not all(_reads(mode) for mode in seen)


@pytest.mark.parametrize("found, older", [
    (1, "REMOVE r.chain, r.via"),   # no chain at all
    (3, "SET r.chain = CASE WHEN r.via = '' THEN [] ELSE split(r.via, '\\u001F') END REMOVE r.via"),  # a list
])
def test_an_outdated_neo4j_database_is_refused_then_upgraded_by_the_command(neo4j_server, neo4j_env, capsys,
                                                                           found, older):
    from neo4j import GraphDatabase
    from conftest import open_neo4j
    from ropa.backends.neo4j_backend import Neo4jBackend
    with open_neo4j(neo4j_server, clear=True) as store:
        store.replace(example_graph())
    auth = (neo4j_server["user"], neo4j_server["password"])
    with GraphDatabase.driver(neo4j_server["uri"], auth=auth) as driver:   # as an older version wrote it
        driver.execute_query("MATCH ()-[r:DISCLOSES_TO|ENGAGES]->() " + older, database_=neo4j_server["database"])
    conn = {k: neo4j_server[k] for k in ("uri", "user", "password", "database")}
    for read_only in (True, False):
        with pytest.raises(StoreOutdatedError, match=f"store schema {found}.*ropa store upgrade --backend neo4j"):
            Neo4jBackend(**conn, read_only=read_only)
    assert main(["store", "upgrade", "--backend", "neo4j"]) == 0
    assert f"from store schema {found} to {SCHEMA_VERSION}" in capsys.readouterr().out
    with Neo4jBackend(**conn, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.export().fingerprint() == example_graph().fingerprint()
        assert store.run("MATCH ()-[r:ENGAGES]->() RETURN r.chain AS c, r.via AS v") == [
            {"c": None, "v": "Agenda Cloud GmbH"}]


def test_the_explorer_on_an_older_store_says_how_to_upgrade_and_writes_nothing(tmp_path):
    from streamlit.testing.v1 import AppTest
    from conftest import explorer_on
    path = _store_stamped(tmp_path / "s.lbdb", 1)
    before = _files(path)
    fixture = explorer_on(path)
    next(fixture)
    try:
        at = AppTest.from_string("from ropa.ui.pages import run\nrun(default='overview')", default_timeout=180).run()
        shown = " ".join(str(e.value) for e in list(at.error) + list(at.warning) + list(at.exception)
                         + list(at.sidebar.markdown) + list(at.markdown))
        assert "ropa store upgrade" in shown
        assert not at.exception, [e.value for e in at.exception]
    finally:
        next(fixture, None)
    assert _files(path) == before


# -- a read-only handle refuses every write itself ------------------------------------------------

def _every_write(store):
    """Each way a caller could write through a handle: (what, call)."""
    from ropa.revisions import commit
    changed = example_graph().merge(sample_graph())
    return [("replace", lambda: store.replace(changed)),
            ("replace with a revision", lambda: commit(store, changed, author="t", reason="read-only test")),
            ("load", lambda: store.load(sample_graph())),
            ("upgrade", store.upgrade),
            ("ensure_schema", store.ensure_schema),
            ("a query that writes", lambda: store.run("MATCH (a:Activity) SET a.name = 'changed'")),
            ("a query that creates", lambda: store.run_columns("CREATE (:Activity {id: 'x', name: 'x'})"))]


def _refuses_every_write(store):
    from ropa.errors import ReadOnlyError
    for what, call in _every_write(store):
        try:
            call()
        except ReadOnlyError as exc:
            assert "read-only" in str(exc) and "nothing was written" in str(exc), (what, str(exc))
        else:
            pytest.fail(f"{what} through a read-only handle was not refused")


@pytest.mark.parametrize("layout", ["directory", "single file"])
def test_a_read_only_embedded_handle_refuses_every_write_and_changes_no_byte(tmp_path, layout):
    from conftest import single_file_store
    if layout == "directory":
        path = tmp_path / "s.lbdb"
        with EmbeddedBackend(path) as store:
            store.replace(example_graph())
    else:
        path = single_file_store(tmp_path, example_graph())
    before = _files(tmp_path)
    with EmbeddedBackend(path, read_only=True) as store:
        _refuses_every_write(store)
        assert store.export().fingerprint() == example_graph().fingerprint()
    assert _files(tmp_path) == before


def test_a_read_only_neo4j_handle_refuses_every_write_and_sends_none(neo4j_server, monkeypatch):
    from conftest import open_neo4j
    from ropa.backends.neo4j_backend import Neo4jBackend
    with open_neo4j(neo4j_server, clear=True) as store:
        store.replace(example_graph())
        revisions = store.revisions()
    conn = {k: neo4j_server[k] for k in ("uri", "user", "password", "database")}
    seen = _spied(monkeypatch)
    with Neo4jBackend(**conn, read_only=True) as store:
        _refuses_every_write(store)
        assert store.export().fingerprint() == example_graph().fingerprint()
        assert store.revisions() == revisions
    assert seen and all(_reads(mode) for mode in seen), seen   # not one write transaction was opened


# -- the report's source is given the store chosen, and reads it read-only --------------------------

def test_the_report_source_takes_the_store_choice_and_opens_it_read_only(tmp_path):
    from ropa.report.source import open_source
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as store:
        store.replace(example_graph())
    before = _files(path)
    with open_source(None, choose_store(backend="embedded", store=path, env={}, secrets={})) as src:
        assert (src.kind, src.backend.read_only) == ("store", True)
        assert src.backend.export().fingerprint() == example_graph().fingerprint()
    assert _files(path) == before
    with open_source(None, choose_store(store=tmp_path / "none.lbdb", env={}, secrets={})) as src:
        assert src.kind == "sample"                      # no store there: the sample, and no store made
    assert not (tmp_path / "none.lbdb").exists()


def test_ropa_check_on_neo4j_runs_no_write_transaction(neo4j_server, neo4j_env, monkeypatch, capsys):
    from conftest import open_neo4j
    with open_neo4j(neo4j_server, clear=True) as store:
        store.replace(example_graph())
    seen = _spied(monkeypatch)
    assert main(["check", "--backend", "neo4j", "--format", "json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)
    assert seen and all(_reads(mode) for mode in seen), seen


def test_a_read_only_open_of_a_single_file_store_with_a_pending_wal_reads_it_and_changes_neither_file(tmp_path):
    """An old single-file store whose writer was killed before closing keeps its last write in the WAL
    beside it: a read-only open reads that write too, and leaves the file and its WAL as they were (the
    next writable open replays it into the file, when it moves the store into a directory)."""
    import subprocess
    import sys
    from conftest import single_file_store
    path = single_file_store(tmp_path, example_graph())
    killed = ("import ladybug as lb, os, sys\n"
              "db = lb.Database(sys.argv[1]); conn = lb.Connection(db)\n"
              "conn.execute(\"MATCH (a:Activity) SET a.purpose = 'changed, only in the WAL'\")\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", killed, str(path)], check=True, timeout=120)
    wal = Path(str(path) + ".wal")
    assert wal.exists()
    before = _files(tmp_path)
    with EmbeddedBackend(path, read_only=True) as store:
        assert set(store.export().nodes["Activity"]["purpose"]) == {"changed, only in the WAL"}
    assert _files(tmp_path) == before
