"""The store survives kills and full disks: every instant of an import recovers to the old state or the new.

The short version of tests/faults.py (``make faults`` runs the long one: 200 kills and 20 full disks on a
100k-relationship store); plus the history users can see (``ropa store history`` / ``restore``).
"""
from __future__ import annotations

import errno
import json
import random
import signal

import pytest

import faults
from conftest import register_bytes, row
from ropa.backends import statedir
from ropa.backends.embedded import EmbeddedBackend
from ropa.cli import main
from ropa.errors import BackendError
from ropa.model import RopaGraph
from ropa.samples import example_graph, sample_graph


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """An old store of a few thousand relationships and a small register to import into it."""
    return faults.prepare(tmp_path_factory.mktemp("faults"), relationships=1000, variants=1, log=lambda m: None)


def test_kills_at_every_phase_of_an_import_leave_the_old_or_the_new_state(scenario, tmp_path):
    """SIGKILL right after each phase of the write begins (loading, writing the new state (each statement
    committing on its own), its checkpoint, the switch, the end) and SIGTERM at sampled instants: the store opens afterwards as exactly
    the old or the new state, and a write killed half-way is rolled back and said."""
    f = scenario.files[0]
    outcomes = [faults.kill_trial(scenario, 0.01, signal.SIGKILL, f, tmp_path / f"k{i}.lbdb", anchor)
                for i, anchor in enumerate(faults.ANCHORS)]
    rng = random.Random(1)
    outcomes += [faults.kill_trial(scenario, rng.uniform(0.3, 0.9) * scenario.duration, signal.SIGTERM, f,
                                   tmp_path / f"t{i}.lbdb") for i in range(2)]
    assert [o.state for o in outcomes if o.state == "LOST"] == [], [(o.phase, o.activities, o.detail) for o in outcomes]
    assert {o.state for o in outcomes} == {"old", "new"}
    for o in outcomes:
        killed_while_writing = o.kind == "SIGKILL" and o.state == "old" and any(
            a in o.phase for a in ("writing the new state", "checkpointing"))
        if killed_while_writing:  # the half-written state was found, removed and reported
            assert any(f"the interrupted import of {f.name} (merge)" in n and "was rolled back" in n
                       for n in o.notices), o
        # (at "done" the import has landed and the process may be exiting: a zombie takes the signal and exits 0)
        if o.kind == "SIGTERM" and o.phase not in ("finished before the signal", "starting", "done"):
            assert o.exit in (143, -signal.SIGTERM), o  # unwound and said so, or killed before Python's handler
    assert any("writing the new state" in o.phase for o in outcomes)


@pytest.mark.skipif(not faults.tmpfs_available(), reason="cannot mount a tmpfs here (needs root); "
                    "test_enospc_at_each_file_write_keeps_the_old_state covers the same without one")
def test_a_full_disk_is_reported_as_such_exit_2_and_the_old_state_survives(scenario, tmp_path):
    """`ropa import` on a filesystem with too little room: exit 2 with one line that says the disk is full
    (not LadybugDB's "No active transaction for ROLLBACK"), no traceback; once space is freed the store is
    the old state whole, and no state directory is left behind."""
    need = faults.store_bytes(scenario.base)
    f = scenario.files[0]
    with faults.small_filesystem(need * 3 + (8 << 20)) as mnt:
        for free in (2_000, need // 2):  # at the first file written, during the write
            o = faults.disk_full_trial(scenario, free, f, mnt, tmp_path / "unused.lbdb")
            assert o.state in ("old", "new"), o
            if o.state == "old":
                assert o.exit == 2, o
                assert "disk" in o.message and "full" in o.message, o
                assert "ROLLBACK" not in o.message and not o.detail, o
                states = mnt / "store.lbdb" / "states"
                assert sorted(p.name for p in states.iterdir()) == ["1"], list(states.iterdir())


def _store(tmp_path, graph=None, name="s.lbdb", keep=None):
    path = tmp_path / name
    with EmbeddedBackend(path, keep=keep) as s:
        s.load(graph or example_graph(), origin="import of example.csv (merge)")
    return path


@pytest.mark.parametrize("where", ["state.json", "parquet", "fsync", "current"])
def test_enospc_at_each_file_write_keeps_the_old_state(tmp_path, monkeypatch, where):
    """No root needed: ENOSPC injected into each of our own writes of a new state (its description, its
    Parquet files, the fsync before the switch, the pointer): a BackendError that says the disk is full,
    the old state current and whole, nothing left of the new one, and the store still writable."""
    from ropa.backends import builder
    path = _store(tmp_path)
    full = OSError(errno.ENOSPC, "No space left on device")

    def fail(*a, **k):
        raise full
    if where == "state.json":
        monkeypatch.setattr(statedir, "write_durably", fail)
    elif where == "parquet":
        real_execute = builder.PlanRecorder.execute
        monkeypatch.setattr(builder.PlanRecorder, "execute",
                            lambda self, q, p=None: fail() if p and len(self.steps) > 20 else real_execute(self, q, p))
    elif where == "fsync":
        real = statedir.fsync_path
        monkeypatch.setattr(statedir, "fsync_path", lambda p: fail() if p.name == "data.lbdb" else real(p))
    else:
        real_write = statedir.write_durably
        monkeypatch.setattr(statedir, "write_durably",
                            lambda p, text: fail() if p.name == "current" else real_write(p, text))
    with EmbeddedBackend(path) as s:
        with pytest.raises(BackendError, match=r"the disk is full \(No space left on device\)") as exc:
            s.load(sample_graph(), origin="import of sample.csv (merge)")
        assert "nothing was written" in str(exc.value) or "cannot write a new state" in str(exc.value)
        assert s.export().fingerprint() == example_graph().fingerprint()  # the handle reads the old state
    monkeypatch.undo()
    assert sorted(p.name for p in (path / "states").iterdir()) == ["1"]
    with EmbeddedBackend(path) as s:
        assert s.notices == [] and s.export().fingerprint() == example_graph().fingerprint()
        s.load(sample_graph(), origin="import of sample.csv (merge)")
    with EmbeddedBackend(path, read_only=True) as s:
        assert [h.number for h in s.history()] == [1, 2]


def test_a_ladybug_write_failure_in_the_child_is_reported_and_the_old_state_kept(tmp_path, monkeypatch):
    """The new state's database is written by a child process; when LadybugDB fails there (here: a
    statement it refuses) the error reaches the user as a BackendError and the old state stays."""
    from ropa.backends import builder
    path = _store(tmp_path)
    real = builder.PlanRecorder.finish

    def spoil(self):
        self.steps.insert(len(self.steps) // 2, {"query": "COPY Nowhere FROM 'nothing.parquet'", "table": None})
        real(self)
    monkeypatch.setattr(builder.PlanRecorder, "finish", spoil)
    with EmbeddedBackend(path) as s:
        with pytest.raises(BackendError, match="nothing was written.*Nowhere"):
            s.load(sample_graph())
    assert sorted(p.name for p in (path / "states").iterdir()) == ["1"]
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()


def _interrupted_import(path, what="import of big.csv (merge)"):
    """What a write killed before its switch leaves: a state directory above `current`, lock released."""
    d = statedir.StateDir(path)
    d.lock()
    n = d.begin(what, {"activities": 9})
    d.data_path(n).write_bytes(b"half a database")
    d.unlock()  # as a killed writer's lock goes with its process
    return d, n


def _on_disk(path):
    """Every entry under the store (and the store directory itself): its kind, bytes and mtime."""
    import os
    entries = {".": ("dir", None, os.stat(path).st_mtime_ns)}
    for p in sorted(path.rglob("*")):
        st = os.stat(p)
        entries[str(p.relative_to(path))] = ("dir", None, st.st_mtime_ns) if p.is_dir() else \
            ("file", p.read_bytes(), st.st_mtime_ns)
    return entries


def test_a_read_only_open_after_an_interrupted_import_writes_nothing_and_says_what_it_found(tmp_path, capsys):
    """A read-only open (`ropa check` on the store, EmbeddedBackend(read_only=True)) after a killed import
    reads the last whole state and says what it found, and leaves every file's bytes and mtime and every
    directory's listing as they were; the next writable open removes the debris and says it was rolled back."""
    import time
    path = _store(tmp_path)
    d, n = _interrupted_import(path)
    before = _on_disk(path)
    time.sleep(0.02)  # an mtime changed by the opens below would differ
    assert main(["check", "--store", str(path), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)  # the findings of the last whole state (the example register has some)
    assert ("note: the interrupted import of big.csv (merge), started " in err and "was found and is ignored: "
            "the store reads state 1, the last whole one; the next write to the store removes what it left" in err)
    assert "rolled back" not in err
    with EmbeddedBackend(path, read_only=True) as s:
        assert len(s.notices) == 1 and "the interrupted import of big.csv (merge)" in s.notices[0]
        assert "was found and is ignored" in s.notices[0]
        assert s.export().fingerprint() == example_graph().fingerprint()
    assert main(["store", "history", "--store", str(path)]) == 0
    assert "was found and is ignored" in capsys.readouterr().err
    assert _on_disk(path) == before  # nothing written, removed, renamed or touched
    assert d.state_dir(n).exists() and d.journal() == []
    with EmbeddedBackend(path) as s:  # the next writable open cleans up, as before
        assert len(s.notices) == 1 and "big.csv (merge)" in s.notices[0] and "was rolled back" in s.notices[0]
    assert not d.state_dir(n).exists() and [e["what"] for e in d.journal()] == ["import of big.csv (merge)"]
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.notices == []


def test_the_next_writable_open_after_an_interrupted_import_rolls_it_back_and_says_so(tmp_path, capsys):
    """A write killed before its switch leaves a state directory above `current`: the next open that
    writes (here `ropa store reset`) removes it, says which import was rolled back, and the history lists
    it; `ropa store history` before it (read-only) only says what it found."""
    path = _store(tmp_path)
    d, n = _interrupted_import(path)
    assert main(["store", "history", "--store", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "note: the interrupted import of big.csv (merge), started " in err and "was found and is ignored" in err
    assert "rolled back" not in out and d.state_dir(n).exists()
    assert main(["store", "reset", "--store", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "note: the interrupted import of big.csv (merge), started " in err and "was rolled back" in err
    assert "the store holds state 1, as before it" in err
    assert d.meta(n).what == "reset: an empty store"  # the killed import's place, taken by the reset's whole state
    assert main(["store", "history", "--store", str(path)]) == 0  # said once
    out, err = capsys.readouterr()
    assert "note:" not in err
    assert "rolled back: the interrupted import of big.csv (merge)" in out


def test_a_reader_leaves_a_running_writers_new_state_alone(tmp_path):
    """The state above `current` may be a writer's at work: a reader that cannot take the lock leaves it."""
    path = _store(tmp_path)
    with EmbeddedBackend(path) as writer:  # holds the lock
        d = writer._dir
        n = d.begin("import of slow.csv (merge)", {})
        with EmbeddedBackend(path, read_only=True) as reader:
            assert reader.notices == [] and reader.export().fingerprint() == example_graph().fingerprint()
        assert d.state_dir(n).exists()
        d.discard(n)


_READER = """
import pathlib, sys
from ropa.backends.statedir import StateDir
path, stop, ready = (pathlib.Path(a) for a in sys.argv[1:4])
store = StateDir(path)
ready.write_text(str(len(store.interrupted())))   # what every read-only open asks of the store directory
while not stop.exists():
    for _ in range(50):
        store.interrupted()
"""

_SHARED_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)          # as StateDir._writer_at_work asks, held for sys.argv[2] s
fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_shared(path, seconds):
    import subprocess
    import sys
    holder = subprocess.Popen([sys.executable, "-c", _SHARED_HOLDER, str(path / "LOCK"), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_the_cli_import_waits_out_a_readers_instant_lock_and_meets_a_writer_at_once(tmp_path, capsys, monkeypatch):
    """A reader that finds a killed import's debris holds LOCK shared for an instant (to tell debris from a
    writer at work). The CLI's import starting in that instant waits for it instead of saying "store in
    use" (the instant is stretched to 0.3 s here, so the import surely meets it); readers that keep it
    longer than statedir.READERS_WAIT get a "busy" message; a writer at work turns the next one away at
    once, as before."""
    import time
    from ropa.errors import StoreLockedError
    path = _store(tmp_path)
    _interrupted_import(path)
    file = tmp_path / "more.csv"
    file.write_bytes(register_bytes(row(activity="Pensions", dpa="")))
    reader = _hold_shared(path, 0.3)
    try:
        assert main(["import", str(file), "--store", str(path)]) == 0, capsys.readouterr().err
    finally:
        reader.kill()
        reader.wait()
    assert "was rolled back" in capsys.readouterr().err
    monkeypatch.setattr(statedir, "READERS_WAIT", 0.5)
    reader = _hold_shared(path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(StoreLockedError, match="busy: readers kept checking its lock for 0.5 s") as info:
            statedir.StateDir(path).lock()
        assert time.monotonic() - start >= 0.5 and "process" not in str(info.value)
    finally:
        reader.kill()
        reader.wait()
    with EmbeddedBackend(path) as holder:       # a writer at work: the next one hears so at once
        start = time.monotonic()
        with pytest.raises(StoreLockedError, match="in use by another program"):
            statedir.StateDir(path).lock()
        assert time.monotonic() - start < 0.25
        assert "Pensions" in set(holder.export().nodes["Activity"]["name"])


def test_writers_are_not_turned_away_by_readers_checking_for_an_interrupted_import(tmp_path):
    """Real reader processes ask what a read-only open asks (StateDir.interrupted, which takes the shared
    lock for an instant while debris is there), over and over; 1,500 writers beginning meanwhile are all
    let in (before the wait, from one to hundreds of them were refused with "store in use", as the
    processes happened to meet)."""
    import os
    import subprocess
    import sys
    import time
    from ropa.errors import StoreLockedError
    path = _store(tmp_path)
    _interrupted_import(path)
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    readers = [subprocess.Popen([sys.executable, "-c", _READER, str(path), str(stop), str(tmp_path / f"ready{k}")],
                                env=env) for k in range(2)]
    try:
        for k in range(2):
            while not (tmp_path / f"ready{k}").exists():
                assert readers[k].poll() is None, "a reader process stopped"
                time.sleep(0.02)
            assert (tmp_path / f"ready{k}").read_text() == "1"   # it saw the debris: it takes the shared lock
        refused = []
        for _ in range(1500):   # each as a writable open begins (the CLI's import, the explorer's edit)
            d = statedir.StateDir(path)
            try:
                d.lock()
            except StoreLockedError as exc:
                refused.append(str(exc))
            else:
                d.unlock()
        assert refused == [], f"{len(refused)} of 1500 writers were turned away by readers: {refused[0]}"
    finally:
        stop.write_text("")
        for r in readers:
            r.wait(30)


def test_store_history_and_restore_undo_a_wrong_import(tmp_path, capsys, monkeypatch):
    """The last N states are kept (ROPA_STORE_KEEP, default 5); restore makes an earlier one current as a
    new state, so the restore itself can be undone; a state that is not kept is a clear error (exit 2)."""
    from ropa.samples import EXAMPLE_REGISTER
    store = str(tmp_path / "s.lbdb")
    wrong = tmp_path / "wrong.csv"
    faults.write_small_register(wrong, "Wrong")
    assert main(["import", str(EXAMPLE_REGISTER), "--store", store]) == 0
    assert main(["import", str(wrong), "--store", store]) == 0
    capsys.readouterr()
    assert main(["store", "history", "--store", store]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x[:1] in "* " and x[2:7].strip().isdigit()]
    assert len(lines) == 2 and lines[1].startswith("*") and f"import of {wrong.name} (merge)" in lines[1]
    assert f"import of {EXAMPLE_REGISTER.name} (merge)" in lines[0] and "   3 " in lines[0]  # 3 activities
    assert main(["store", "restore", "1", "--store", store]) == 0
    assert "Restored state 1 as the new state 3" in capsys.readouterr().out
    with EmbeddedBackend(store, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()
        assert s.history()[-1].what == f"restore of state 1 (import of {EXAMPLE_REGISTER.name} (merge))"
    assert main(["store", "restore", "2", "--store", store]) == 0  # the restore undone
    with EmbeddedBackend(store, read_only=True) as s:
        assert "Fault Wrong Holding" in set(s.export().nodes["Organisation"]["name"])
    assert main(["store", "restore", "99", "--store", store]) == 2
    assert "has no state 99" in capsys.readouterr().err
    monkeypatch.setenv("ROPA_STORE_KEEP", "2")
    assert main(["import", str(EXAMPLE_REGISTER), "--store", store]) == 0
    with EmbeddedBackend(store, read_only=True) as s:
        assert [h.number for h in s.history()] == [4, 5]
    assert main(["store", "restore", "1", "--store", store]) == 2
    assert "keeps the last 2 states: 4, 5" in capsys.readouterr().err
    assert main(["store", "history", "--store", str(tmp_path / "none.lbdb")]) == 2
    assert "there is no store" in capsys.readouterr().err


def test_states_are_whole_closed_databases_and_a_switch_is_one_rename(tmp_path, monkeypatch):
    """What the design rests on: a published state has no WAL (it was checkpointed and closed before the
    switch), and the switch is the os.replace of `current` (nothing of the store is renamed but it)."""
    import os
    path = _store(tmp_path)
    renames = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((str(a), str(b))), real(a, b))[1])
    with EmbeddedBackend(path) as s:
        s.replace(RopaGraph.empty(), origin="import of nothing (replace)")
    # the new state's description (begun, then with the data fingerprint) inside the unpublished state,
    # then the switch
    assert [os.path.basename(b) for a, b in renames] == ["state.json", "state.json", "current"]
    assert all(os.path.dirname(b) == str(path / "states" / "2") for a, b in renames[:2])
    for n in (1, 2):
        assert sorted(p.name for p in (path / "states" / str(n)).iterdir()) == ["data.lbdb", "state.json"]
    assert json.loads((path / "states" / "2" / "state.json").read_text())["what"] == "import of nothing (replace)"


def test_the_explorer_workspace_hears_of_an_interrupted_import(tmp_path):
    """The explorer reads through its workspace: a read after an interrupted import leaves it alone and
    keeps the sentence for the sidebar (ropa/ui/state.py shows the workspace's notices); the workspace's
    next write rolls it back, and the sidebar then says that instead."""
    from ropa.workspace import EmbeddedWorkspace
    path = _store(tmp_path)
    _interrupted_import(path, "import of killed.csv (replace, explorer)")
    ws = EmbeddedWorkspace(path)
    assert ws.read(lambda s: s.export().fingerprint()) == example_graph().fingerprint()
    assert ws.read(lambda s: s.export().fingerprint()) == example_graph().fingerprint()
    assert len(ws.notices) == 1 and "the interrupted import of killed.csv (replace, explorer)" in ws.notices[0]
    assert "was found and is ignored" in ws.notices[0]
    assert sorted(p.name for p in (path / "states").iterdir()) == ["1", "2"]
    with ws.writing() as s:
        s.load(example_graph(), origin="import of example.csv (merge)")
    assert len(ws.notices) == 1 and "killed.csv (replace, explorer), started " in ws.notices[0]
    assert "was rolled back" in ws.notices[0]
    assert statedir.StateDir(path).meta(2).what == "import of example.csv (merge)"  # the killed one's place, now whole


def test_a_store_without_its_pointer_is_refused_and_nothing_of_it_removed(tmp_path, capsys):
    """Recovery removes only states above `current`; with `current` gone (damaged by hand, or a disk
    fault) no state may be taken for an interrupted write: every open refuses, saying what to do."""
    path = _store(tmp_path)
    (path / "current").unlink()
    for read_only in (False, True):
        with pytest.raises(BackendError, match="damaged: its file 'current' is missing.*states 1; nothing was removed"):
            EmbeddedBackend(path, read_only=read_only)
    assert main(["store", "history", "--store", str(path)]) == 2
    assert (path / "states" / "1" / "data.lbdb").exists()
    (path / "current").write_text("1\n")
    with EmbeddedBackend(path, read_only=True) as s:
        assert s.export().fingerprint() == example_graph().fingerprint()


def test_the_explorer_sidebar_says_an_interrupted_import_was_found_and_the_store_is_untouched(tmp_path, monkeypatch):
    """The explorer (Streamlit AppTest, Overview page) on a store a killed import left: the sidebar says the
    import was found and is ignored, the page shows the last whole state, and no file of the store changed."""
    import time
    st = pytest.importorskip("streamlit")
    from conftest import explorer_on
    from streamlit.testing.v1 import AppTest
    path = _store(tmp_path)
    _interrupted_import(path, "import of killed.csv (merge)")
    before = _on_disk(path)
    time.sleep(0.02)
    monkeypatch.setenv("ROPA_SNAPSHOTS", str(tmp_path / "snapshots"))
    env = explorer_on(path)
    next(env)
    try:
        at = AppTest.from_string("from ropa.ui.pages import run\nrun(default='overview')", default_timeout=180).run()
        assert not at.exception, [e.value for e in at.exception]
        said = [i.value.replace("\\", "") for i in at.sidebar.info]  # shown as Markdown, escaped
        assert any("the interrupted import of killed.csv (merge)" in s and "was found and is ignored" in s
                   and "the next write to the store removes what it left" in s for s in said), said
    finally:
        next(env, None)
    assert st is not None and _on_disk(path) == before
