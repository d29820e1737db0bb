"""How the explorer shares the on-disk store with other processes (the CLI): measured behaviour, pinned."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from ropa.errors import StoreLockedError
from ropa.model import RopaGraph
from ropa.samples import example_graph, sample_graph
from ropa.workspace import EmbeddedWorkspace, open_workspace

COUNT = "MATCH (a:Activity) RETURN count(a) AS n"


def _activities(ws) -> int:
    with ws.reading() as store:
        return store.run(COUNT)[0]["n"]


@pytest.fixture
def ws(tmp_path):
    w = EmbeddedWorkspace(tmp_path / "store.lbdb", retry_for=6.0)
    w.ensure_seeded(example_graph)
    return w


def _hold_for_writing(path, seconds: float) -> subprocess.Popen:
    """Another process (think: `ropa import`) holding the store open for writing."""
    code = textwrap.dedent(f"""
        import sys, time
        from ropa.backends.embedded import EmbeddedBackend
        s = EmbeddedBackend({str(path)!r})
        print("open", flush=True)
        time.sleep({seconds})
        s.close()
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "open"
    return p


def test_seeding_happens_once_and_version_follows_writes(ws):
    v0 = ws.version()
    assert _activities(ws) == 3 and not ws.ensure_seeded(sample_graph)
    assert ws.version() == v0  # reading changes nothing
    with ws.writing() as store:
        store.replace(RopaGraph.empty())
    assert ws.version() != v0 and _activities(ws) == 0


def test_the_explorer_reads_while_another_process_holds_the_store(ws):
    holder = _hold_for_writing(ws.path, 5)
    try:
        assert _activities(ws) == 3
    finally:
        holder.kill()
        holder.wait()


def test_two_writers_collide_with_a_clear_message(ws):
    holder = _hold_for_writing(ws.path, 5)
    try:
        quick = EmbeddedWorkspace(ws.path, retry_for=0.3)
        with pytest.raises(StoreLockedError, match="in use by another program"):
            with quick.writing():
                pass
    finally:
        holder.kill()
        holder.wait()


def test_reads_during_another_process_import_see_old_or_new_never_an_error(ws):
    code = textwrap.dedent(f"""
        from ropa.backends.embedded import EmbeddedBackend
        from ropa.model import RopaGraph
        g = RopaGraph.empty()
        print("ready", flush=True)
        with EmbeddedBackend({str(ws.path)!r}) as s:
            s.replace(g)
    """)
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    seen = []
    while writer.poll() is None:
        seen.append(_activities(ws))
        time.sleep(0.05)
    assert writer.wait() == 0
    assert set(seen) <= {3, 0} and _activities(ws) == 0


def test_neo4j_asked_for_but_unusable_falls_back_to_the_embedded_store(tmp_path):
    ws, notes = open_workspace({"ROPA_BACKEND": "neo4j", "NEO4J_URI": "bolt://127.0.0.1:1",
                                "ROPA_STORE": str(tmp_path / "s.lbdb")})
    assert isinstance(ws, EmbeddedWorkspace) and ws.path == tmp_path / "s.lbdb"
    assert notes and "embedded store instead" in notes[0]


def test_default_is_the_embedded_store(tmp_path):
    ws, notes = open_workspace({"ROPA_STORE": str(tmp_path / "x.lbdb")})
    assert isinstance(ws, EmbeddedWorkspace) and notes == []


# -- two explorer sessions (or an explorer and `ropa import`) importing and reading at once -------------

WORKER = textwrap.dedent("""
    import json, sys, time, traceback
    from pathlib import Path
    from ropa.workspace import EmbeddedWorkspace, StoreBusyError
    from ropa.errors import StoreLockedError
    role, store, stop, arg, rounds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    ws = EmbeddedWorkspace(store, retry_for=2.0)
    out = {"role": role, "seen": [], "locked": 0, "busy": 0, "wrote": 0, "crash": None}
    try:
        if role == "writer":
            from ropa.formats import read_path
            done = 0
            while done < rounds:
                graph = read_path(arg)          # read the register again every time, as an import does
                try:
                    with ws.writing() as s:
                        s.replace(graph)
                    done += 1
                    out["wrote"] += 1
                except StoreBusyError:
                    out["busy"] += 1
                except StoreLockedError:
                    out["locked"] += 1
                time.sleep(0.05)
        else:
            while not stop.exists() or len(out["seen"]) < 3:
                try:
                    g = ws.read(lambda s: s.export())   # the explorer's way to read (ropa/ui/state.py)
                    fp = g.fingerprint()
                    out["seen"].append(fp)
                    out.setdefault("counts", {}).setdefault(fp, {k: n for k, n in g.counts().items() if n})
                except StoreBusyError:
                    out["busy"] += 1
                except StoreLockedError:
                    out["locked"] += 1
    except BaseException:
        out["crash"] = traceback.format_exc()
    print(json.dumps(out), flush=True)
""")


def _register_file(path, prefix: str, n: int):
    from conftest import register_bytes, row
    rows = [row(controller=f"{prefix} Holding", activity=f"{prefix} activity {i}", recipient=f"{prefix} vendor {i % 7}",
                recipient_country=("US", "DE", "IN", "CH")[i % 7 % 4], mechanism=("scc_2021", "", "dpf", "adequacy")[i % 4])
            for i in range(n)]
    path.write_bytes(register_bytes(*rows))
    return path


def _fingerprint_after_replace(graph) -> str:
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(None) as s:
        s.replace(graph)
        return s.export().fingerprint()


def test_concurrent_imports_and_reads_leave_one_whole_state_and_readers_never_see_a_mix(ws, tmp_path):
    """Two processes import different registers over and over (replace) while two others read: every read
    is one whole state (the seed, A or B, by content hash), the end state is A or B whole, and the only
    errors anyone meets are the typed lock errors."""
    from ropa.formats import read_path
    a = _register_file(tmp_path / "a.csv", "Alpha", 60)
    b = _register_file(tmp_path / "b.csv", "Beta", 45)
    graphs = {"seed": example_graph(), "A": read_path(a), "B": read_path(b)}
    states = {_fingerprint_after_replace(g): k for k, g in graphs.items()}
    counts = {k: {t: n for t, n in g.counts().items() if n} for k, g in graphs.items()}
    assert len(states) == 3
    with ws.reading() as s:
        assert states[s.export().fingerprint()] == "seed"
    stop = tmp_path / "stop"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, "reader", str(ws.path), str(stop), "-", "0"],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    procs += [subprocess.Popen([sys.executable, "-c", WORKER, "writer", str(ws.path), str(stop), str(f), "4"],
                               stdout=subprocess.PIPE, text=True) for f in (a, b)]
    writers = procs[2:]
    results = []
    try:
        for p in writers:
            results.append(json.loads(p.communicate(timeout=600)[0]))
        stop.touch()
        for p in procs[:2]:
            results.append(json.loads(p.communicate(timeout=600)[0]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for r in results:
        assert r["crash"] is None, r["crash"]
    assert [r["wrote"] for r in results if r["role"] == "writer"] == [4, 4]
    seen = [fp for r in results if r["role"] == "reader" for fp in r["seen"]]
    odd = {fp: c for r in results if r["role"] == "reader" for fp, c in r.get("counts", {}).items() if fp not in states}
    assert seen and not odd, f"a reader saw a state that is none of seed, A, B: {odd}; whole states: {counts}"
    with ws.reading() as s:
        assert states.get(s.export().fingerprint()) in ("A", "B")
    print("reads per state:", {states[f]: seen.count(f) for f in set(seen)},
          "lock/busy retries:", sum(r["locked"] + r["busy"] for r in results))


def test_two_sessions_in_one_explorer_share_the_workspace_without_a_mix(ws, tmp_path):
    """Two threads (two browser sessions of one explorer) on one EmbeddedWorkspace: one imports A and B in
    turn while the other reads; the workspace's lock keeps them apart, every read is one whole state."""
    import threading
    from ropa.formats import read_path
    a = read_path(_register_file(tmp_path / "a.csv", "Alpha", 30))
    b = read_path(_register_file(tmp_path / "b.csv", "Beta", 20))
    states = {_fingerprint_after_replace(g) for g in (example_graph(), a, b)}
    seen, errors = [], []
    done = threading.Event()

    def writer():
        try:
            for g in (a, b, a, b):
                with ws.writing() as s:
                    s.replace(g)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def reader():
        try:
            while not done.is_set() or len(seen) < 2:
                seen.append(ws.read(lambda s: s.export()).fingerprint())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    assert seen and set(seen) <= states
    with ws.reading() as s:
        assert s.export().fingerprint() == _fingerprint_after_replace(b)


def _touch(path):
    import os
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_a_read_during_which_a_single_file_store_changed_is_done_again(tmp_path):
    """An old single-file store (read as it is until its first write): while the first read runs, 'another
    process' writes to the store's file; that read is thrown away and done again."""
    from conftest import single_file_store
    ws = EmbeddedWorkspace(single_file_store(tmp_path, example_graph()), retry_for=6.0)
    calls = []

    def work(store):
        calls.append(store.run(COUNT)[0]["n"])
        if len(calls) == 1:  # as a writer's transaction reaching the data file would
            _touch(ws.path)
        return len(calls)

    assert ws.read(work) == 2 and calls == [3, 3]
    quick = EmbeddedWorkspace(ws.path, retry_for=0.2)

    def always_changing(store):
        _touch(ws.path)
    with pytest.raises(StoreLockedError, match="being written by another program"):  # StoreBusyError
        quick.read(always_changing)


def test_a_read_while_another_import_switches_the_store_reads_one_whole_state(ws, tmp_path):
    """A store directory: a read that began on one state reads that state to its end even when an import
    switches to another meanwhile (the state is never written once current); the next read sees the new one."""
    from ropa.backends.embedded import EmbeddedBackend
    v0 = ws.version()
    seen = []

    def work(store):
        seen.append(store.export().fingerprint())
        with EmbeddedBackend(ws.path) as other:  # another program imports, mid-read
            other.replace(sample_graph(), origin="import of sample (replace)")
        seen.append(store.export().fingerprint())
        store.release_memory()  # the report's reopen between steps stays on the same state
        seen.append(store.export().fingerprint())
        return len(seen)

    assert ws.read(work) == 3
    assert seen == [example_graph().fingerprint()] * 3
    assert ws.version() != v0
    assert ws.read(lambda s: s.export().fingerprint()) == sample_graph().fingerprint()


def test_single_file_store_keeps_working_and_moves_into_a_directory_on_its_first_write(tmp_path, capsys):
    """Stores written before the store directories: read as they are; the first write moves the data into a
    store directory at the same path (state 1), then writes state 2; both can be restored."""
    from conftest import single_file_store
    from ropa.cli import main
    path = single_file_store(tmp_path, example_graph())
    ws = EmbeddedWorkspace(path)
    assert ws.read(lambda s: s.export().fingerprint()) == example_graph().fingerprint() and path.is_file()
    with ws.writing() as s:
        s.load(sample_graph(), origin="import of sample (merge)")
    assert path.is_dir() and not list(tmp_path.glob("old.lbdb.*"))
    assert main(["store", "history", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "moved into a store directory" in out and "* " in out and "import of sample (merge)" in out
    assert main(["store", "restore", "1", "--store", str(path)]) == 0
    assert ws.read(lambda s: s.export().fingerprint()) == example_graph().fingerprint()


def test_an_interrupted_single_file_move_is_read_as_it_is_and_finished_at_the_next_writable_open(tmp_path):
    """Killed between its two renames, the move of a single-file store into a directory leaves a whole
    staged directory (its pointer was written before the file was renamed aside): a read-only open reads
    it and renames nothing (a read-only open writes nothing); the next writable open finishes the move."""
    import os
    from conftest import single_file_store
    from ropa.backends.embedded import EmbeddedBackend
    path = single_file_store(tmp_path, example_graph())
    with EmbeddedBackend(path):  # moves it
        pass
    os.rename(path, path.with_name(path.name + ".migrating"))  # as if killed after the first rename
    path.with_name(path.name + ".single-file").write_bytes(b"the old file")
    left = sorted(p.name for p in tmp_path.iterdir())
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()
    assert sorted(p.name for p in tmp_path.iterdir()) == left and not path.exists()
    with EmbeddedBackend(path):
        pass
    assert path.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["old.lbdb"]
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()
