"""The data fingerprint: one function of the data, however the tables are read.

Reports and snapshots print and compare it, so it must be the same whether made from a graph in memory,
a store's tables read one at a time (:meth:`Backend.export_tables`) or kept with a state when it was
written (:meth:`Backend.stored_fingerprint`); the same for the same data (the canonical JSON form,
:meth:`RopaGraph.canonical`, is the oracle of "the same") and different for other data.
"""
import datetime as dt
import hashlib
import io
import json

import pytest

from ropa.formats.register import read_register
from ropa.generate import generate
from ropa.model import RopaGraph, _column_kinds, fingerprint_of
from ropa.schema import BOOLEAN, DATE, INT64, STRING
from ropa.samples import example_graph, sample_graph


def by_definition(g: RopaGraph) -> str:
    return hashlib.sha256(json.dumps(g.canonical(), sort_keys=True, default=str).encode()).hexdigest()


def generated_graph(relationships: int = 1500, seed: int = 3) -> RopaGraph:
    out = io.StringIO()
    generate(out, relationships, seed)
    return read_register(io.BytesIO(out.getvalue().encode()), "register.csv")


def awkward_graph() -> RopaGraph:
    """Nulls in integer columns (pandas widens them to floats), dates, booleans, quotes, non-ASCII,
    a percent sign, two activities with one name, rows in no particular order."""
    acts = [{"id": "a2", "controller": "Zorg \"BV\"", "name": "Payroll", "row": 3, "source": "r.csv"},
            {"id": "a1", "controller": "Ärzte GmbH", "name": "Payroll", "row": None, "purpose": "100% €"},
            {"id": "a3", "controller": "Ärzte GmbH", "name": "payroll", "row": 12}]
    orgs = [{"id": "o1", "name": "Ärzte GmbH"}, {"id": "o2", "name": "Cloud Inc"}]
    cats = [{"id": "health", "name": "Health", "article": 9}, {"id": "contact", "name": "Contact", "article": None}]
    hop = {"src": "a1", "dst": "o2", "src_label": "Activity", "dst_label": "Organisation", "activity": "a1",
           "exporter": "o1", "mechanism": "scc_2021", "mechanism_date": dt.date(2022, 3, 1), "tia": False}
    return RopaGraph.from_records(
        {"Activity": acts, "Organisation": orgs, "DataCategory": cats},
        {"DISCLOSES_TO": [hop, {**hop, "src": "a3", "activity": "a3", "mechanism_date": None, "tia": None}],
         "PROCESSES": [{"src": "a1", "dst": "health", "src_label": "Activity", "dst_label": "DataCategory"},
                       {"src": "a2", "dst": "contact", "src_label": "Activity", "dst_label": "DataCategory"}],
         "PROCESSES_IN": [{"src": "o2", "dst": "US", "src_label": "Organisation", "dst_label": "Country",
                           "inferred": True}]})


GRAPHS = {"empty": RopaGraph.empty, "example": example_graph, "sample": sample_graph,
          "generated": generated_graph, "awkward": awkward_graph}


def shuffled(g: RopaGraph, seed: int = 1) -> RopaGraph:
    """The same data with every table's rows in another order, and the INT64 columns as pandas widens them."""
    nodes = {k: df.sample(frac=1, random_state=seed).reset_index(drop=True) for k, df in g.nodes.items()}
    rels = {k: df.sample(frac=1, random_state=seed).reset_index(drop=True) for k, df in g.rels.items()}
    nodes["Activity"]["row"] = nodes["Activity"]["row"].astype(float)
    return RopaGraph(nodes, rels)


@pytest.mark.parametrize("name", GRAPHS)
def test_the_same_data_gives_the_same_fingerprint_in_any_order(name):
    g = GRAPHS[name]()
    h = shuffled(g)
    assert by_definition(h) == by_definition(g)   # the oracle: the same data
    assert h.fingerprint() == g.fingerprint()
    assert len(g.fingerprint()) == 64


def test_fingerprint_form_is_pinned():
    """A change of the definition (what is hashed, how) must be deliberate: it changes every fingerprint a
    report or snapshot printed. The value below is the example graph's under form 2."""
    assert example_graph().fingerprint()[:12] == "1032fc3a4079"


def test_fingerprint_tells_graphs_apart():
    g = awkward_graph()
    h = awkward_graph()
    h.rels["DISCLOSES_TO"].loc[1, "tia"] = False  # null -> false
    k = awkward_graph()
    k.nodes["Activity"].loc[1, "row"] = 0  # null -> 0
    m = awkward_graph()
    m.nodes["Activity"].loc[0, "purpose"] = ""  # null -> ''
    d = awkward_graph()
    d.rels["DISCLOSES_TO"].loc[0, "mechanism_date"] = dt.date(2022, 3, 2)  # a day later
    s = awkward_graph()   # two values swapped between rows: each row changes
    s.nodes["Organisation"].loc[0, "name"], s.nodes["Organisation"].loc[1, "name"] = "Cloud Inc", "Ärzte GmbH"
    r = awkward_graph()   # a row repeated
    r.rels["PROCESSES"] = r.rels["PROCESSES"].iloc[[0, 0, 1]].reset_index(drop=True)
    prints = [x.fingerprint() for x in (g, h, k, m, d, s, r)]
    assert len(set(prints)) == len(prints)


@pytest.mark.parametrize("name", ["example", "generated"])
def test_every_single_value_changed_changes_the_fingerprint(name):
    """Each column of each table: its first row's value changed (text, number, date, boolean, from or to
    null) changes the fingerprint."""
    g = GRAPHS[name]()
    before = g.fingerprint()
    tried = 0
    for part, tables in (("nodes", g.nodes), ("rels", g.rels)):
        for table, df in tables.items():
            if not len(df):
                continue
            for col, kind in _column_kinds(part, table).items():
                v = df.at[0, col]
                null = v is None or (isinstance(v, float) and v != v)
                if kind == STRING:
                    new = "" if null else None if tried % 2 else v + "·"
                elif kind == INT64:
                    new = 0 if null else int(v) + 1
                elif kind == DATE:
                    new = dt.date(2001, 2, 3) if null else None
                else:
                    assert kind == BOOLEAN
                    new = True if null else not v
                frames = {k: f.copy() for k, f in (g.nodes if part == "nodes" else g.rels).items()}
                frames[table][col] = frames[table][col].astype(object)
                frames[table].at[0, col] = new
                h = RopaGraph(frames, g.rels) if part == "nodes" else RopaGraph(g.nodes, frames)
                assert by_definition(h) != by_definition(g), (table, col)  # the oracle: other data
                assert h.fingerprint() != before, (table, col, v, new)
                tried += 1
    assert tried > 50


@pytest.mark.parametrize("name", ["example", "generated", "awkward"])
def test_a_store_read_table_by_table_has_the_fingerprint_of_its_export(store, name):
    store.replace(GRAPHS[name]())
    exported = store.export()
    tables = list(store.export_tables())
    assert [(part, table) for part, table, _ in tables] == [(part, table) for part, table, _ in exported.tables()]
    for part, table, columns in tables:
        frame = (exported.nodes if part == "nodes" else exported.rels)[table]
        assert sorted(columns) == sorted(frame.columns), table
        if part == "nodes":  # same rows, in the same order (the records' order among equal names)
            assert {c: columns[c] for c in columns} == {c: frame[c].tolist() for c in frame.columns}, table
        else:
            def rows(cols):
                return sorted(map(repr, zip(*(cols[c] for c in sorted(frame.columns)))))
            assert rows(columns) == rows({c: frame[c].tolist() for c in frame.columns}), table
    assert sum(len(c["src"]) for p, _, c in tables if p == "rels") == sum(len(df) for df in exported.rels.values())
    assert fingerprint_of(store.export_tables()) == exported.fingerprint() == GRAPHS[name]().fingerprint()


def test_the_report_prints_the_fingerprint_of_the_stored_data(store):
    from ropa.report.content import build_report
    store.replace(generated_graph(800, seed=5))
    r = build_report(store, dt.date(2026, 11, 22))
    assert r.fingerprint == store.export().fingerprint()[:12]
    assert len(r.records) == len(store.export().nodes["Activity"]) > 0


# -- the fingerprint kept with each state of a store on disk -----------------------------------------

def _on_disk(tmp_path):
    from ropa.backends.embedded import EmbeddedBackend
    return EmbeddedBackend(tmp_path / "s.lbdb")


@pytest.mark.parametrize("name", ["example", "generated", "awkward"])
def test_a_written_state_keeps_the_fingerprint_of_what_it_holds(tmp_path, name):
    """Kept when the state is written (from the columns the writer copies), it is the one the store's
    tables and its export give, also after a merge; an in-memory store keeps none."""
    with _on_disk(tmp_path) as store:
        assert store.stored_fingerprint() is None          # nothing stored yet
        store.replace(GRAPHS[name]())
        kept = store.stored_fingerprint()
        assert kept == fingerprint_of(store.export_tables()) == store.export().fingerprint()
        merged = store.load(sample_graph())
        assert store.stored_fingerprint() == fingerprint_of(store.export_tables()) == merged.fingerprint() != kept
    with _on_disk(tmp_path) as again:                       # read back from state.json by a new handle
        assert again.stored_fingerprint() == merged.fingerprint()
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(None) as memory:
        memory.replace(example_graph())
        assert memory.stored_fingerprint() is None


def test_an_edit_or_an_import_changes_the_kept_fingerprint_and_the_same_data_keeps_it(tmp_path):
    from ropa import revisions
    with _on_disk(tmp_path) as store:
        revisions.commit(store, example_graph(), author="ann", reason="first import", kind="import")
        first = store.stored_fingerprint()
        g = store.export()   # an edit of one value (the purpose of one activity), as the explorer commits it
        edited = RopaGraph({**g.nodes, "Activity": g.nodes["Activity"].assign(
            purpose=["changed"] + g.nodes["Activity"]["purpose"].tolist()[1:])}, g.rels)
        revisions.commit(store, edited, author="ann", reason="an edit")
        second = store.stored_fingerprint()
        assert second != first and second == edited.fingerprint() == fingerprint_of(store.export_tables())
        store.load(generated_graph(300, seed=9))             # an import
        third = store.stored_fingerprint()
        assert third not in (first, second) and third == fingerprint_of(store.export_tables())
        store.replace(example_graph())                       # the first data again: the first fingerprint
        assert store.stored_fingerprint() == first


def _state_meta(store):
    return store._dir.state_dir(store._state) / "state.json"


@pytest.mark.parametrize("kept", [None, "not a fingerprint", 12])
def test_a_state_without_a_kept_fingerprint_is_hashed_by_the_report(tmp_path, kept):
    """States written before fingerprints were kept (or with a damaged one): the report computes it."""
    from ropa.report.content import build_report
    with _on_disk(tmp_path) as store:
        store.replace(generated_graph(600, seed=5))
        expected = store.stored_fingerprint()
        meta = _state_meta(store)
    data = json.loads(meta.read_text())
    del data["fingerprint"]
    if kept is not None:
        data["fingerprint"] = kept
    meta.write_text(json.dumps(data))
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(tmp_path / "s.lbdb", read_only=True) as store:
        assert store.stored_fingerprint() is None
        assert build_report(store, dt.date(2026, 11, 22)).fingerprint == expected[:12]


def test_the_report_reads_the_kept_fingerprint_instead_of_hashing(tmp_path, monkeypatch):
    """With a fingerprint kept, the report hashes no table (and still builds the same records)."""
    from ropa.report import content
    from ropa.backends.embedded import EmbeddedBackend
    with _on_disk(tmp_path) as store:
        store.replace(generated_graph(600, seed=5))
    with EmbeddedBackend(tmp_path / "s.lbdb", read_only=True) as store:
        computed = content.build_report(store, dt.date(2026, 11, 22))
        monkeypatch.setattr(content, "fingerprint_of", lambda tables: pytest.fail("hashed the tables"))
        kept = content.build_report(store, dt.date(2026, 11, 22))
        assert kept.fingerprint == store.export().fingerprint()[:12] == computed.fingerprint
        assert kept.records == computed.records and len(kept.records) > 0


def test_a_fractional_value_is_hashed_by_its_value_not_its_integer_part():
    """No schema column holds decimals today; the day one does, 0.5 and 0.7 must not hash alike (as ints they do)."""
    import pyarrow as pa
    from ropa.model import _column_hashes
    h = _column_hashes(pa.array([0.5, 0.7, None, 0.5], pa.float64()))
    assert h[0] != h[1] and h[0] == h[3] and h[2] != h[0]
