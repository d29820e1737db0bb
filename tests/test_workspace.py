"""How the explorer shares the on-disk store with other processes (the CLI): measured behaviour, pinned."""
from __future__ import annotations

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
