"""The embedded store: persistence, atomic and idempotent imports, the lock."""
import subprocess
import sys

import pytest

from conftest import register_bytes, row, single_file_store
from ropa.backends.embedded import EmbeddedBackend
from ropa.errors import BackendError, ReadOnlyError, StoreLockedError
from ropa.formats.register import read_register
from ropa.model import RopaGraph
from ropa.samples import example_graph, sample_graph


def test_on_disk_store_keeps_the_ropa_between_opens(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
    with EmbeddedBackend(path) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()


def test_import_is_idempotent_and_merges(store):
    store.load(example_graph())
    once = store.export().fingerprint()
    store.load(example_graph())
    assert store.export().fingerprint() == once
    store.load(sample_graph())
    merged = store.export()
    assert {"Voorbeeld Zorg BV", "RAIDBOXES GmbH"} <= set(merged.nodes["Organisation"]["name"])


def test_failed_import_leaves_the_store_as_it_was(store, monkeypatch):
    store.load(example_graph())
    before = store.export().fingerprint()
    calls = {"n": 0}
    original = store._copy_rels

    def explode(rel_type, graph):
        calls["n"] += 1
        if calls["n"] == 3:
            raise BackendError("disk full (simulated)")
        return original(rel_type, graph)
    monkeypatch.setattr(store, "_copy_rels", explode)
    with pytest.raises(BackendError, match="simulated"):
        store.load(sample_graph())
    assert calls["n"] == 3
    assert store.export().fingerprint() == before


def test_store_reloads_reference_data_with_every_replace(store):
    store.replace(RopaGraph.empty())
    n = store.run("MATCH (c:Country) RETURN count(c) AS n")[0]["n"]
    store.replace(example_graph())
    assert store.run("MATCH (c:Country) RETURN count(c) AS n")[0]["n"] == n
    assert store.run("MATCH (a:Adequacy {id: 'adequacy_gb'}) RETURN a.valid_until AS d")[0]["d"].isoformat() == "2031-12-27"


def test_read_only_console_refuses_writes_and_reads_fine(store):
    store.replace(example_graph())
    for q in ["MATCH (n) DETACH DELETE n", "CREATE (:Organisation {id: 'x'})", "match (o) set o.name = 'x'",
              "COPY Organisation FROM 'x.csv'"]:
        with pytest.raises(ReadOnlyError):
            store.run_read_only(q)
    rows = store.run_read_only("MATCH (o:Organisation) WHERE o.name = 'SET' RETURN o.name AS delete")
    assert rows == []
    assert store.run("MATCH (o:Organisation) RETURN count(o) AS n")[0]["n"] == 5


def test_second_process_gets_a_clear_lock_message(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path):
        code = ("from ropa.backends.embedded import EmbeddedBackend\n"
                "from ropa.errors import StoreLockedError\n"
                f"try:\n EmbeddedBackend({str(path)!r})\nexcept StoreLockedError as e:\n print('LOCKED', e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOCKED" in out.stdout and "--store" in out.stdout, out.stdout + out.stderr


def test_values_with_cypher_syntax_are_stored_as_data(store):
    evil = "x'}) DETACH DELETE n //"
    store.replace(read_register(__import__("io").BytesIO(register_bytes(row(recipient=evil, recipient_country="US")))))
    names = {r["n"] for r in store.run("MATCH (o:Organisation) RETURN o.name AS n")}
    assert evil in names and "Acme BV" in names


def test_failed_import_on_disk_leaves_the_store_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
        before = s.export().fingerprint()
        original = s._copy_rels

        def explode(rel_type, graph):
            if rel_type == "DISCLOSES_TO":
                raise BackendError("disk full (simulated)")
            return original(rel_type, graph)
        monkeypatch.setattr(s, "_copy_rels", explode)
        with pytest.raises(BackendError, match="simulated"):
            s.load(sample_graph())
        assert s.export().fingerprint() == before
    with EmbeddedBackend(path) as s:  # and so it reads when opened again
        assert s.export().fingerprint() == before


def test_replacing_an_on_disk_store_gives_exactly_the_new_graph(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.replace(sample_graph())
        s.replace(example_graph())
        assert s.export().fingerprint() == example_graph().fingerprint()
    with EmbeddedBackend(path) as s:
        s.replace(sample_graph())
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == sample_graph().fingerprint()


def _no_row_fetch(store, monkeypatch):
    """Make the row path (get_all) fail, so a query that still succeeds went through Arrow."""
    real = store._execute

    class ArrowOnly:
        def __init__(self, result):
            self._result = result

        def __getattr__(self, name):
            if name in ("get_all", "get_next", "has_next"):
                raise AssertionError(f"run_columns fetched rows one by one ({name})")
            return getattr(self._result, name)

    monkeypatch.setattr(store, "_execute", lambda q, p: ArrowOnly(real(q, p)))


def _typed(columns):
    """The rows as a multiset of (value, type) tuples: the transfers query has no ORDER BY, so two runs of it
    may list the same rows in another order."""
    rows = zip(*[[(v, type(v).__name__) for v in vs] for vs in columns.values()])
    return sorted((tuple(r) for r in rows), key=repr), list(columns)


def test_run_columns_takes_dates_and_other_plain_types_through_arrow_exactly_as_run(store, monkeypatch):
    import datetime as dt

    from ropa.report.content import load_query
    store.replace(sample_graph())
    queries = [
        # a DATE column with nulls (most mechanisms never became invalid)
        ("MATCH (m:Mechanism) RETURN m.id AS id, m.invalid_from AS d ORDER BY id", {}),
        # the report's transfers query: mechanism_date is a DATE
        (load_query("transfers"), {"asOf": dt.date(2026, 11, 22)}),
        # the other scalar and list types that take the Arrow path, each with a null
        ("UNWIND [1, 2] AS k RETURN k, "
         "CASE WHEN k = 1 THEN timestamp('1960-01-02 03:04:05.123456') END AS ts, "
         "CASE WHEN k = 1 THEN interval('1 day 2 hours') END AS iv, "
         "CASE WHEN k = 1 THEN to_int16(7) END AS i16, CASE WHEN k = 1 THEN to_float(2.5) END AS f, "
         "CASE WHEN k = 1 THEN [date('2020-01-01'), NULL] END AS dl, "
         "CASE WHEN k = 1 THEN [1, NULL] END AS il ORDER BY k", {}),
    ]
    expected = []
    for query, params in queries:
        rows = store.run(query, params)
        expected.append({n: [r[n] for r in rows] for n in rows[0]})
    assert any(isinstance(d, dt.date) for d in expected[0]["d"]) and None in expected[0]["d"]
    assert any(isinstance(d, dt.date) for d in expected[1]["mechanism_date"])
    _no_row_fetch(store, monkeypatch)
    for (query, params), want in zip(queries, expected):
        assert _typed(store.run_columns(query, params)) == _typed(want)


def test_run_columns_keeps_nodes_on_the_row_path(store, monkeypatch):
    store.replace(example_graph())
    query = "MATCH (m:Mechanism {id: 'safe_harbor'}) RETURN m"
    assert store.run_columns(query)["m"] == [store.run(query)[0]["m"]]
    _no_row_fetch(store, monkeypatch)
    with pytest.raises(AssertionError, match="one by one"):
        store.run_columns(query)


def _count_writes(monkeypatch):
    """Count the store's write transactions (every replace is one)."""
    writes = []
    real = EmbeddedBackend._replace_in_transaction

    def counted(self, full, progress):
        writes.append(len(full.nodes["Activity"]))
        return real(self, full, progress)
    monkeypatch.setattr(EmbeddedBackend, "_replace_in_transaction", counted)
    return writes


REFERENCE_COUNT = "MATCH (m:Mechanism) RETURN count(m) AS n"


def test_a_first_import_writes_a_new_store_once_and_it_holds_the_reference_data(tmp_path, monkeypatch):
    writes = _count_writes(monkeypatch)
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
    assert writes == [3]  # one write, with the register (not the reference data alone first)
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()
        assert s.run(REFERENCE_COUNT)[0]["n"] > 10
        assert s.run("MATCH (k:Country {id: 'US'}) RETURN k.eea AS eea")[0]["eea"] is False


def test_a_new_store_has_its_reference_data_for_a_query_and_after_a_failed_or_no_import(tmp_path, monkeypatch):
    writes = _count_writes(monkeypatch)
    with EmbeddedBackend(tmp_path / "a.lbdb") as s:  # queried before anything is written
        assert s.run(REFERENCE_COUNT)[0]["n"] > 10
        assert s.run_columns(REFERENCE_COUNT)["n"][0] > 10
    assert writes == [0]
    with EmbeddedBackend(tmp_path / "b.lbdb"):  # opened and closed unwritten
        pass
    with EmbeddedBackend(tmp_path / "b.lbdb", read_only=True) as s:
        assert s.run(REFERENCE_COUNT)[0]["n"] > 10
    with EmbeddedBackend(tmp_path / "c.lbdb") as s:  # a first import that fails lands not at all
        original = s._copy_rels

        def explode(rel_type, graph):
            if len(graph.nodes["Activity"]):  # the import fails, not the reference data written on closing
                raise BackendError("disk full (simulated)")
            return original(rel_type, graph)
        monkeypatch.setattr(s, "_copy_rels", explode)
        with pytest.raises(BackendError, match="simulated"):
            s.load(example_graph())
    with EmbeddedBackend(tmp_path / "c.lbdb", read_only=True) as s:
        assert s.export().fingerprint() == RopaGraph.empty().fingerprint()
        assert s.run(REFERENCE_COUNT)[0]["n"] > 10
    with EmbeddedBackend(tmp_path / "a.lbdb") as s:  # an existing store is not written on opening
        pass
    assert writes == [0, 0, 3, 0]


def test_release_memory_reopens_a_read_only_store_and_reads_on(tmp_path):
    """The report gives LadybugDB's memory back between its steps by reopening a read-only store:
    the same data answer afterwards; a writable (or in-memory) store is left open as it is."""
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
        conn = s.conn
        s.release_memory()
        assert s.conn is conn  # writable: kept
    with EmbeddedBackend(path, read_only=True) as s:
        before = s.export().fingerprint()
        conn = s.conn
        s.release_memory()
        assert s.conn is not conn
        assert s.export().fingerprint() == before == example_graph().fingerprint()
        assert s.run("MATCH (a:Activity) RETURN count(a) AS n")[0]["n"] == len(example_graph().nodes["Activity"])


def test_release_memory_reads_on_the_same_state_while_imports_switch_and_refuses_once_it_is_gone(tmp_path):
    """A long read (the report) reopens the store between steps: it must go on reading the state it began
    with, whatever was imported meanwhile, and refuse (not mix) once that state was pruned."""
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path, keep=2) as s:
        s.load(example_graph())
    with EmbeddedBackend(path, read_only=True) as reader:
        assert reader.export().fingerprint() == example_graph().fingerprint()
        with EmbeddedBackend(path, keep=2) as w:
            w.replace(sample_graph())  # state 2 is current now; state 1 is kept
        reader.release_memory()
        assert reader.export().fingerprint() == example_graph().fingerprint()
        with EmbeddedBackend(path, keep=2) as w:
            w.replace(RopaGraph.empty())  # state 3: state 1 is pruned
        with pytest.raises(BackendError, match="changed while it was being read"):
            reader.release_memory()
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == RopaGraph.empty().fingerprint()


def test_release_memory_refuses_a_single_file_store_replaced_meanwhile(tmp_path):
    """An old single-file store, replaced by another file meanwhile: a report reading on would mix two versions."""
    path = single_file_store(tmp_path, example_graph(), "s.lbdb")
    other = single_file_store(tmp_path, sample_graph(), "t.lbdb")
    with EmbeddedBackend(path, read_only=True) as s:
        s.release_memory()  # nothing read yet: the store there now is the one read from
        assert s.run("MATCH (o:Organisation) RETURN count(o) AS n")[0]["n"] > 0
        s.release_memory()
        other.replace(path)
        with pytest.raises(BackendError, match="changed while it was being read"):
            s.release_memory()


def test_a_query_timeout_outlives_release_memory(tmp_path):
    """The bench limits the report's queries through the store: the limit must hold on the
    connection release_memory opens, or a runaway query would run on unchecked."""
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
    with EmbeddedBackend(path, read_only=True) as s:
        s.set_query_timeout(1)
        s.release_memory()
        with pytest.raises(BackendError, match="(?i)interrupt|timeout"):
            s.run("UNWIND range(1, 30000000) AS i WITH i WHERE i % 7 = 3 RETURN count(*) AS n")
        s.set_query_timeout(0)
        s.release_memory()
        assert s.run("UNWIND range(1, 3000) AS i RETURN count(*) AS n")[0]["n"] == 3000


def test_run_columns_shares_repeated_strings_and_reads_mostly_distinct_ones_as_they_are(store):
    """Strings come through Arrow as run gives them, nulls included, whether a column repeats its values
    (then each distinct value is one object, shared by its rows) or holds mostly distinct ones."""
    query = ("UNWIND range(1, 40) AS k RETURN CASE WHEN k % 7 = 0 THEN NULL ELSE 'kind ' + to_string(k % 3) END AS few, "
             "CASE WHEN k % 9 = 0 THEN NULL ELSE 'row ' + to_string(k) END AS many, "
             "CASE WHEN k % 2 = 0 THEN ['x', 'row ' + to_string(k)] END AS lists ORDER BY k")
    rows = store.run(query)
    columns = store.run_columns(query)
    for name in ("few", "many", "lists"):
        assert columns[name] == [r[name] for r in rows]
    few = [v for v in columns["few"] if v is not None]
    assert None in columns["few"] and None in columns["many"] and len(set(few)) == 3
    assert len({id(v) for v in few}) == 3  # one object per distinct value
    assert len(set(columns["many"])) > len(columns["many"]) // 2
