"""The sub-processor chain stored on every hop (ENGAGES.via, ropa.model.engagement_chains).

The chain rule and the report's transfers query read the stored chain instead of walking every
chain hop by hop. The walk they replaced is kept as a test oracle (tests/oracles/*_walk.cypher):
on the same store, the new queries must give exactly the walk's finalised findings and the
report's transfers, on the worked examples, generated registers, hand-built graphs with cycles,
chains through the controller, chains longer than the reach, ties between names, unreachable
engagements and activities with two controllers, and many random small graphs."""
import dataclasses
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import ladybug as lb
import pyarrow as pa
import pytest

from conftest import SHARED, TODAY
from ropa.backends.embedded import EmbeddedBackend
from ropa.errors import StoreLockedError, StoreOutdatedError, ValidationError
from ropa.findings import finalise
from ropa.formats.register import read_register
from ropa.generate import generate
from ropa.model import CHAIN_LIMIT, RopaGraph, engagement_chains
from ropa.report.content import load_query
from ropa.transfers import _columns, _transfers, transfer_columns
from ropa.rules import evaluate, load_rules, run_rule
from ropa.samples import example_graph, sample_graph
from ropa.schema import REL_TYPES, SCHEMA_VERSION

ORACLES = Path(__file__).resolve().parent / "oracles"
CHAIN_RULE = next(r for r in load_rules() if r.id == "onward_transfer_chain")
WALK_RULE = dataclasses.replace(CHAIN_RULE, query=(ORACLES / "onward_transfer_chain_walk.cypher").read_text("utf-8"))
WALK_TRANSFERS = (ORACLES / "transfers_walk.cypher").read_text("utf-8")
JOINED_TRANSFERS = (ORACLES / "transfers_joined.cypher").read_text("utf-8")


def _findings(store, rule) -> list[dict]:
    return sorted((f.to_dict() for f in finalise(run_rule(store, rule, TODAY))), key=repr)


def _transfer_list(store, query=None) -> list[dict]:
    """The transfers a query gives (none: the shipped queries, the lookups laid on the hops by _joined)."""
    cols = transfer_columns(store, TODAY) if query is None else _columns(store, query, {"asOf": TODAY})
    return [dataclasses.asdict(t) for t in _transfers(cols, TODAY)]


def _rows(cols: dict[str, list]) -> list[str]:
    """A query result's rows, column names sorted, as a sorted list (the engine may order rows differently)."""
    names = sorted(cols)
    return sorted(repr(tuple(cols[n][i] for n in names)) for i in range(len(cols[names[0]]) if names else 0))


def assert_same_rows_as_the_joins(store, as_of=TODAY) -> int:
    """_joined on the shipped transfers and lookups queries gives exactly the rows of the query that joined the
    exporters, mechanisms and adequacy decisions and made the paths on every hop
    (tests/oracles/transfers_joined.cypher); their number."""
    joined = _rows(transfer_columns(store, as_of))
    assert joined == _rows(_columns(store, JOINED_TRANSFERS, {"asOf": as_of}))
    return len(joined)


def assert_same_as_walk(store) -> int:
    """The stored-chain rule and transfers query against the walk, on one store; the number of chain findings."""
    new, old = _findings(store, CHAIN_RULE), _findings(store, WALK_RULE)
    assert new == old
    assert _transfer_list(store) == _transfer_list(store, WALK_TRANSFERS)
    assert_same_rows_as_the_joins(store)
    return len(new)


def check(graph: RopaGraph) -> int:
    with EmbeddedBackend(None) as store:
        store.replace(graph)
        return assert_same_as_walk(store)


def generated(relationships: int, seed: int) -> RopaGraph:
    buf = io.StringIO()
    generate(buf, relationships, seed)
    return read_register(io.BytesIO(buf.getvalue().encode("utf-8")), "generated.csv")


# -- hand-built graphs --------------------------------------------------------------------------

def graph(orgs: dict[str, tuple[str, str]], controls: list[tuple[str, str]], discloses: list[tuple[str, str]],
          engages: list[tuple[str, str, str]]) -> RopaGraph:
    """orgs: id -> (name, processing country); controls: (org, activity); discloses: (activity, org);
    engages: (engager, engaged, activity). Every hop records no mechanism."""
    acts = sorted({a for _, a in controls} | {a for a, _ in discloses} | {a for *_, a in engages})
    return RopaGraph.from_records(
        {"Organisation": [{"id": i, "name": n, "country": c} for i, (n, c) in orgs.items()],
         "Activity": [{"id": a, "name": f"Activity {a}", "controller": None} for a in acts]},
        {"CONTROLS": [{"src": o, "dst": a, "src_label": "Organisation", "dst_label": "Activity"} for o, a in controls],
         "DISCLOSES_TO": [{"src": a, "dst": o, "src_label": "Activity", "dst_label": "Organisation", "activity": a,
                           "exporter": next((c for c, b in controls if b == a), None)} for a, o in discloses],
         "ENGAGES": [{"src": z, "dst": y, "src_label": "Organisation", "dst_label": "Organisation", "activity": a,
                      "exporter": z} for z, y, a in engages],
         "PROCESSES_IN": [{"src": i, "dst": c, "src_label": "Organisation", "dst_label": "Country"}
                          for i, (_, c) in orgs.items()]})


def chain_paths(store) -> dict[tuple[str, str], list[str]]:
    """(exporter, importer) -> path of the chain rule's finalised findings (one controller)."""
    return {(f.exporter, f.importer): f.path for f in finalise(run_rule(store, CHAIN_RULE, TODAY))}


HAND = graph(
    orgs={"c": ("Acme BV", "NL"), "c2": ("Beta BV", "NL"),
          "p": ("Proc", "US"), "q": ("Queue Inc", "US"), "r": ("Relay Inc", "US"),   # cycle p -> q -> r -> p
          "a": ("Alpha", "DE"), "b": ("Bravo", "DE"), "x": ("Xeno Inc", "US"),      # two equally short chains to x
          "s": ("Stray", "DE"), "t": ("Target Inc", "US"),                          # s is nobody's recipient
          "k": ("Kilo", "DE")}                                                       # engages the controller
         | {f"l{i}": (f"Long {i}", "US") for i in range(1, 11)},                    # l1 -> ... -> l10
    controls=[("c", "A1"), ("c2", "A1"), ("c", "A2"), ("c", "A3")],
    discloses=[("A1", "p"), ("A1", "b"), ("A1", "a"), ("A1", "k"), ("A2", "l1"), ("A3", "s")],
    engages=[("p", "q", "A1"), ("q", "r", "A1"), ("r", "p", "A1"), ("r", "q", "A1"),
             ("b", "x", "A1"), ("a", "x", "A1"), ("x", "t", "A1"),
             ("s", "t", "A2"),                              # A2 never discloses to s: unreachable
             ("k", "c", "A1"), ("c", "q", "A1")]   # through the controller of A1
    + [(f"l{i}", f"l{i + 1}", "A2") for i in range(1, 10)])


def test_hand_built_graph_matches_the_walk_and_the_expected_paths():
    assert check(HAND) > 0
    with EmbeddedBackend(None) as store:
        store.replace(HAND)
        found = finalise(run_rule(store, CHAIN_RULE, TODAY))
    by = {}
    for f in found:
        by.setdefault((f.controller, f.exporter, f.importer), f.path)
    # ties: Alpha and Bravo both reach Xeno; the smaller name wins, also for the hop after
    assert by[("Acme BV", "Alpha", "Xeno Inc")] == ["Acme BV", "Alpha", "Xeno Inc"]
    assert ("Acme BV", "Bravo", "Xeno Inc") in by
    assert by[("Acme BV", "Xeno Inc", "Target Inc")] == ["Acme BV", "Alpha", "Xeno Inc", "Target Inc"]
    # the cycle: the shortest chain to r (p -> q -> r) passes through p, so the hop r -> p takes the
    # longer one through the controller (k -> c -> q -> r); every chain to r passes through q: no r -> q
    assert by[("Acme BV", "Relay Inc", "Proc")] == ["Acme BV", "Kilo", "Acme BV", "Queue Inc", "Relay Inc", "Proc"]
    assert ("Acme BV", "Relay Inc", "Queue Inc") not in by
    # the hop into the controller is no onward transfer for it, but is one for the other controller
    assert ("Acme BV", "Kilo", "Acme BV") not in by
    assert ("Beta BV", "Queue Inc", "Relay Inc") in by
    # the reach: l1 is recipient 1, so l7 -> l8 is the last hop found
    assert by[("Acme BV", "Long 7", "Long 8")] == ["Acme BV"] + [f"Long {i}" for i in range(1, 9)]
    assert ("Acme BV", "Long 8", "Long 9") not in by
    # an engagement nobody upstream discloses to
    assert not any(k[1] == "Stray" for k in by)


def test_stored_chains_of_the_hand_built_graph():
    hops = zip(HAND.rels["ENGAGES"]["src"], HAND.rels["ENGAGES"]["dst"])
    chains = dict(zip(hops, engagement_chains(HAND).to_pylist()))
    assert chains[("p", "q")] == ["Proc"]
    assert chains[("q", "r")] == ["Proc", "Queue Inc"]
    assert chains[("r", "p")] == ["Kilo", "Acme BV", "Queue Inc", "Relay Inc"]   # the shortest passes through p
    assert chains[("r", "q")] is None                      # every chain to r passes through q
    assert chains[("x", "t")] == ["Alpha", "Xeno Inc"]
    assert chains[("s", "t")] is None
    assert chains[("l7", "l8")] == [f"Long {i}" for i in range(1, 8)]
    assert chains[("l8", "l9")] is None and len(chains[("l7", "l8")]) == CHAIN_LIMIT
    with EmbeddedBackend(None) as store:
        store.replace(HAND)
        stored = {r["d"]: r["chain"] for r in store.run(
            "MATCH (:Activity {id: 'A1'})-[h:DISCLOSES_TO]->(o:Organisation) RETURN o.id AS d, h.via AS chain")}
        assert stored == {"p": "", "a": "", "b": "", "k": ""}
        row = store.run("MATCH (:Organisation {id: 'x'})-[h:ENGAGES]->(:Organisation {id: 't'}) "
                        "RETURN h.via AS c, split(h.via, '\\u001F') AS names")
        assert row == [{"c": "Alpha\x1fXeno Inc", "names": ["Alpha", "Xeno Inc"]}]
        assert store.run("MATCH (:Organisation {id: 's'})-[h:ENGAGES]->(:Organisation {id: 't'}) "
                         "RETURN h.via AS c") == [{"c": None}]


def test_a_name_holding_the_chain_separator_is_refused_and_nothing_is_written(tmp_path):
    """The stored chain joins names with U+001F: a name holding it could not be split back, so the write is
    refused whole with the name, and the store keeps what it had."""
    nodes = HAND.nodes["Organisation"].copy()
    nodes.loc[nodes["id"] == "a", "name"] = "Al\x1fpha"
    bad = RopaGraph({**HAND.nodes, "Organisation": nodes}, HAND.rels)
    with EmbeddedBackend(tmp_path / "s.lbdb") as store:
        store.replace(example_graph())
        before = store.export().fingerprint()
        with pytest.raises(ValidationError, match=r"'Al\\x1fpha'.*U\+001F"):
            store.replace(bad)
        assert store.export().fingerprint() == before


def _brute_chains(g: RopaGraph) -> list:
    """Every simple chain enumerated: the definition of engagement_chains, slowly."""
    names = dict(zip(g.nodes["Organisation"]["id"], g.nodes["Organisation"]["name"]))
    adj: dict = {}
    for z, y, a in zip(g.rels["ENGAGES"]["src"], g.rels["ENGAGES"]["dst"], g.rels["ENGAGES"]["activity"]):
        adj.setdefault((a, z), []).append(y)
    best: dict = {}

    def walk(a, path):
        for y in adj.get((a, path[-1]), ()):
            if y in path:
                continue
            cand = [names[v] for v in path]
            old = best.get((a, path[-1], y))
            if old is None or (len(cand), cand) < (len(old), old):
                best[(a, path[-1], y)] = cand
            if len(path) < CHAIN_LIMIT:
                walk(a, path + [y])
    for a, o1 in set(zip(g.rels["DISCLOSES_TO"]["src"], g.rels["DISCLOSES_TO"]["dst"])):
        walk(a, [o1])
    return [best.get(k) for k in zip(g.rels["ENGAGES"]["activity"], g.rels["ENGAGES"]["src"], g.rels["ENGAGES"]["dst"])]


def random_graph(seed: int) -> RopaGraph:
    """A small tangle: few names (ties), cycles, the controllers inside chains, two controllers."""
    r = random.Random(seed)
    n = r.randint(3, 11)
    orgs = {f"o{i}": (r.choice(["Ann", "Bob", "Cy", "Ann2"]), r.choice(["US", "DE", "IN"])) for i in range(n)}
    acts = [f"A{i}" for i in range(r.randint(1, 3))]
    controls = {(f"o{r.randrange(n)}", a) for a in acts for _ in range(r.choice([1, 1, 2]))}
    discloses = {(r.choice(acts), f"o{r.randrange(n)}") for _ in range(r.randint(1, 4))}
    engages = {(f"o{r.randrange(n)}", f"o{r.randrange(n)}", r.choice(acts)) for _ in range(r.randint(2, 3 * n))}
    return graph(orgs, sorted(controls), sorted(discloses), sorted(e for e in engages if e[0] != e[1]))


@pytest.mark.parametrize("seed", range(150))
def test_engagement_chains_are_the_smallest_shortest_simple_chains(seed):
    g = random_graph(seed)
    assert engagement_chains(g).to_pylist() == _brute_chains(g)


def test_random_graphs_match_the_walk():
    total = 0
    with EmbeddedBackend(None) as store:
        for seed in range(40):
            store.replace(random_graph(1000 + seed))
            total += assert_same_as_walk(store)
    assert total > 40  # the comparison is not between two empty lists


# -- real registers ------------------------------------------------------------------------------

def test_examples_match_the_walk():
    assert check(example_graph()) > 0
    check(sample_graph())
    shared = SHARED / "examples" / "register-example.csv"
    if shared.exists():
        with open(shared, "rb") as fp:
            assert check(read_register(fp, shared.name)) > 0


@pytest.mark.parametrize("seed,relationships", [(1, 2000), (7, 5000), (42, 10000)])
def test_generated_registers_match_the_walk(seed, relationships):
    assert check(generated(relationships, seed)) > 0


def test_a_merge_recomputes_the_chains_of_the_stored_hops():
    """A later import that adds a recipient makes hops already stored reachable: their chains change."""
    first = graph({"c": ("Acme BV", "NL"), "p": ("Proc", "DE"), "q": ("Queue Inc", "US")},
                  [("c", "A1")], [], [("p", "q", "A1")])
    second = graph({"c": ("Acme BV", "NL"), "p": ("Proc", "DE")}, [("c", "A1")], [("A1", "p")], [])
    with EmbeddedBackend(None) as store:
        store.replace(first)
        assert not chain_paths(store)
        store.load(second)
        assert chain_paths(store) == {("Proc", "Queue Inc"): ["Acme BV", "Proc", "Queue Inc"]}
        assert_same_as_walk(store)


# -- stores written before hops had a chain ---------------------------------------------------------

def _old_store(path, g: RopaGraph, monkeypatch) -> None:
    """A store as the version before this property wrote it: hop tables without ``chain``, in one file
    (the versions before the store directories)."""
    from conftest import single_file_store
    for rt in ("DISCLOSES_TO", "ENGAGES"):
        monkeypatch.setitem(REL_TYPES, rt, dataclasses.replace(REL_TYPES[rt], derived=()))
    single_file_store(path.parent, g, path.name)
    monkeypatch.undo()
    db = lb.Database(str(path), read_only=True)
    conn = lb.Connection(db)
    columns = {r[0] for r in conn.execute("CALL table_info('ENGAGES') RETURN name").get_all()}
    conn.close()
    db.close()
    assert "chain" not in columns


def _list_chain_store(path, g: RopaGraph, monkeypatch) -> None:
    """A store as schema 3 wrote it: a store directory whose state is stamped 3 and whose hops keep their
    chain as a list of names (``chain STRING[]``), not as one text (``via``)."""
    import ropa.backends.embedded as embedded
    from ropa.model import hop_chains
    from ropa.schema import STRING_LIST
    for rt in ("DISCLOSES_TO", "ENGAGES"):
        monkeypatch.setitem(REL_TYPES, rt, dataclasses.replace(REL_TYPES[rt], derived=(("chain", STRING_LIST),)))
    monkeypatch.setattr(embedded, "derived_properties", lambda graph, rt: {"chain": pa.array(
        hop_chains(graph, rt), pa.list_(pa.string()))} if rt in ("DISCLOSES_TO", "ENGAGES") else {})
    monkeypatch.setattr(EmbeddedBackend, "_writes_schema", 3)
    with EmbeddedBackend(path) as store:
        store.replace(g)
    monkeypatch.undo()
    with EmbeddedBackend(path, upgrade=True) as store:
        assert store.schema_version() == 3
        assert store.run("MATCH (:Organisation {id: 'x'})-[h:ENGAGES]->(:Organisation {id: 't'}) "
                         "RETURN h.chain AS c") == [{"c": ["Alpha", "Xeno Inc"]}]


def test_a_store_with_list_chains_is_refused_with_the_way_out_then_upgraded(tmp_path, monkeypatch):
    """Schema 3 kept each hop's chain as a list; schema 4 as one text. A schema-3 store is refused (read-only
    or not) with `ropa store upgrade`, unchanged; upgraded, it gives the rule pack's findings and the RoPA of a
    store written afresh."""
    with EmbeddedBackend(None) as fresh:
        fresh.replace(HAND)
        everything = sorted((f.to_dict() for f in evaluate(fresh, TODAY)), key=repr)
    assert any(f["rule"] == "onward_transfer_chain" for f in everything)
    path = tmp_path / "v3.lbdb"
    _list_chain_store(path, HAND, monkeypatch)
    unlocked = lambda: {k: v for k, v in _files(path).items() if not k.endswith("LOCK")}  # noqa: E731
    before = unlocked()   # (the lock file names whoever opened the store last)
    for read_only in (True, False):
        with pytest.raises(StoreOutdatedError, match=rf"store schema 3; this one reads {SCHEMA_VERSION}.*"
                                                     r"sub-processor chain as one text.*ropa store upgrade"):
            EmbeddedBackend(path, read_only=read_only)
    assert unlocked() == before
    with EmbeddedBackend(path, upgrade=True) as store:
        assert store.upgrade() == 3 and store.schema_version() == SCHEMA_VERSION
    with EmbeddedBackend(path, read_only=True) as store:
        assert sorted((f.to_dict() for f in evaluate(store, TODAY)), key=repr) == everything
        assert store.export().fingerprint() == HAND.fingerprint()


def _files(root):
    """Every file under ``root`` (or the file itself): path -> (bytes, mtime)."""
    root = Path(root)
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


@pytest.mark.parametrize("read_only", [False, True])
def test_an_older_store_is_refused_unchanged_with_the_way_out(tmp_path, monkeypatch, read_only):
    """An open never upgrades: it names the stamp and `ropa store upgrade`. A refused store is left exactly as
    it was, by a writable open too: the schema is checked before the old single file would be moved into a
    store directory, so no byte, time or name under its folder changes."""
    path = tmp_path / "old.lbdb"
    _old_store(path, example_graph(), monkeypatch)
    before = _files(tmp_path), sorted(p.name for p in tmp_path.iterdir()), path.stat().st_ino
    with pytest.raises(StoreOutdatedError, match=rf"store schema 1; this one reads {SCHEMA_VERSION}.*ropa store upgrade"):
        EmbeddedBackend(path, read_only=read_only)
    assert (_files(tmp_path), sorted(p.name for p in tmp_path.iterdir()), path.stat().st_ino) == before
    with pytest.raises(StoreOutdatedError):   # still refused: nothing was upgraded behind the user's back
        EmbeddedBackend(path, read_only=True)


def test_an_older_store_is_upgraded_on_request(tmp_path, monkeypatch):
    g = example_graph()
    with EmbeddedBackend(None) as fresh:
        fresh.replace(g)
        expected = _findings(fresh, CHAIN_RULE)
        everything = sorted((f.to_dict() for f in evaluate(fresh, TODAY)), key=repr)
    assert expected
    path = tmp_path / "old.lbdb"
    _old_store(path, g, monkeypatch)
    with EmbeddedBackend(path, upgrade=True) as store:
        assert store.upgrade() == 1 and store.schema_version() == SCHEMA_VERSION
        assert "from store schema 1" in store.history()[-1].what
    with EmbeddedBackend(path, read_only=True) as store:
        assert store.history()[-1].schema == SCHEMA_VERSION   # the stamp, in the state's description
        assert _findings(store, CHAIN_RULE) == expected
        assert sorted((f.to_dict() for f in evaluate(store, TODAY)), key=repr) == everything
        assert store.export().fingerprint() == g.fingerprint()


def test_a_read_only_open_of_a_current_store_writes_nothing(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as store:
        store.replace(example_graph())
    before = _files(path)
    with EmbeddedBackend(path, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert evaluate(store, TODAY)
    assert _files(path) == before


def test_a_store_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as store:
        store.replace(example_graph())
        meta = store._dir.state_dir(store._dir.current()) / "state.json"
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "schema": SCHEMA_VERSION + 1}))
    with pytest.raises(StoreOutdatedError, match="newer version"):
        EmbeddedBackend(path, read_only=True)


def test_an_older_store_held_by_another_program_is_not_upgraded_under_it(tmp_path, monkeypatch):
    path = tmp_path / "old.lbdb"
    _old_store(path, example_graph(), monkeypatch)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, ladybug as lb; "
                               "db = lb.Database(sys.argv[1]); print('open', flush=True); "
                               "time.sleep(120)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError):
            EmbeddedBackend(path, upgrade=True)
    finally:
        holder.kill()
        holder.wait()
    with EmbeddedBackend(path, upgrade=True) as store:   # once free, it is upgraded
        store.upgrade()
        assert _findings(store, CHAIN_RULE)


def test_the_cypher_script_carries_the_chains():
    """The Neo4j script (and so a database loaded from it) holds the same chains as the embedded store."""
    from ropa.backends.neo4j_export import generate_cypher
    lines = generate_cypher(HAND)
    engages = [line for line in lines if line.startswith("UNWIND") and ":ENGAGES" in line]
    discloses = [line for line in lines if line.startswith("UNWIND") and ":DISCLOSES_TO" in line]
    assert engages and discloses
    text = "\n".join(engages)
    assert "{src: 'x', dst: 't', props: {activity: 'A1', exporter: 'x', via: 'Alpha\\u001fXeno Inc'}" in text
    assert "{src: 's', dst: 't', props: {activity: 'A2', exporter: 's'}" in text   # null: left out
    assert all(line.count("via: ''") == line.count("props:") for line in discloses)


@pytest.mark.parametrize("name", ["transfers", "transfer_lookups"])
def test_the_transfers_come_through_arrow_as_run_gives_them(name):
    """run_columns reads the transfers and lookups queries (dates, booleans, lists of names) through Arrow: the
    same values."""
    with EmbeddedBackend(None) as store:
        store.replace(example_graph())
        query = load_query(name)
        rows = store.run(query, {"asOf": TODAY})
        columns = store.run_columns(query, {"asOf": TODAY})
    if name == "transfers":
        assert any(r["mechanism_date"] is not None for r in rows) and any(r["via"] for r in rows)
    else:
        assert any(r["invalid_from"] is not None for r in rows) and any(r["requires_tia"] for r in rows)
        assert any(r["kind"] == "Chain" and r["chain"] == ["Agenda Cloud GmbH"] for r in rows)
    assert list(columns) == list(rows[0])
    as_rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
    assert sorted(map(repr, as_rows)) == sorted(map(repr, rows))   # the engine may order rows differently
