"""The Neo4j backend on a real Neo4j 5 server (the session's own, conftest.neo4j_server): the CLI's
store commands with --backend neo4j, and findings identical to the embedded store's on the real
registers (the seeds register, the clinic example, a generated 10k register) at two dates.

test_parity.py compares the rule fixtures row for row; this module takes registers as users have them.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import ROOT, open_neo4j

from ropa.backends.embedded import EmbeddedBackend
from ropa.formats import read_path
from ropa.rules import evaluate

SEEDS = ROOT / "data" / "samples" / "seeds-register.csv"
CLINIC = ROOT / "data" / "samples" / "clinic-example.csv"
DATES = [dt.date(2020, 7, 1), dt.date.today()]


@pytest.fixture(scope="module")
def generated_10k(tmp_path_factory):
    from ropa.generate import REGISTER_NAME, write_generated
    out = tmp_path_factory.mktemp("generated")
    write_generated(out, 10_000, seed=0)
    return out / REGISTER_NAME


def _key(f) -> tuple:
    return (f.rule, f.subject, f.destination, tuple(f.path))


def _rows(findings) -> list[dict]:
    return sorted((f.to_dict() for f in findings), key=lambda r: repr(sorted(r.items())))


@pytest.mark.parametrize("register", ["seeds", "clinic", "generated-10k"])
def test_findings_are_the_embedded_stores_at_both_dates(register, neo4j_store, request):
    path = {"seeds": SEEDS, "clinic": CLINIC}.get(register) or request.getfixturevalue("generated_10k")
    graph = read_path(path)
    neo4j_store.replace(graph)
    with EmbeddedBackend(None) as embedded:
        embedded.replace(graph)
        assert neo4j_store.export().fingerprint() == embedded.export().fingerprint()
        for as_of in DATES:
            expected, got = evaluate(embedded, as_of), evaluate(neo4j_store, as_of)
            assert expected, f"{register} has no findings as of {as_of}: the comparison would prove nothing"
            assert sorted(map(_key, got)) == sorted(map(_key, expected)), as_of
            assert _rows(got) == _rows(expected), as_of  # and every other column of each finding


# -- the CLI on Neo4j ---------------------------------------------------------------------------

def _cli(capsys, *argv) -> tuple[int, str, str]:
    from ropa.cli import main
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_check_export_report_on_neo4j(neo4j_env, neo4j_server, capsys, tmp_path):
    with open_neo4j(neo4j_server, clear=True):
        pass
    code, out, _ = _cli(capsys, "import", str(SEEDS), "--backend", "neo4j")
    assert code == 0 and f"into neo4j ({neo4j_env['NEO4J_URI']}" in out
    assert neo4j_env["NEO4J_PASSWORD"] not in out

    # check: what Neo4j holds gives exactly the embedded findings of the same file, field by field
    for as_of in ("2020-07-01", dt.date.today().isoformat()):
        code_n, on_neo4j, _ = _cli(capsys, "check", "--backend", "neo4j", "--format", "json", "--as-of", as_of)
        code_e, on_embedded, _ = _cli(capsys, "check", str(SEEDS), "--format", "json", "--as-of", as_of)
        assert code_n == code_e == 0
        neo, emb = json.loads(on_neo4j), json.loads(on_embedded)
        assert emb and sorted(map(json.dumps, neo)) == sorted(map(json.dumps, emb))

    # import is a MERGE: the same file again changes nothing
    with open_neo4j(neo4j_server) as store:
        before = store.export().fingerprint()
    assert _cli(capsys, "import", str(SEEDS), "--backend", "neo4j")[0] == 0
    with open_neo4j(neo4j_server) as store:
        assert store.export().fingerprint() == before

    # export: the same tables as the embedded store holding the same file
    store_dir = tmp_path / "store"
    assert _cli(capsys, "import", str(SEEDS), "--store", str(store_dir))[0] == 0
    exported = {}
    for fmt in ("csv", "json"):
        neo_out, emb_out = tmp_path / f"neo4j.{fmt}", tmp_path / f"embedded.{fmt}"
        assert _cli(capsys, "export", "--backend", "neo4j", "--format", fmt, "--out", str(neo_out))[0] == 0
        assert _cli(capsys, "export", "--store", str(store_dir), "--format", fmt, "--out", str(emb_out))[0] == 0
        exported[fmt] = neo_out.read_bytes(), emb_out.read_bytes()
    assert exported["csv"][0] == exported["csv"][1]
    # node-link JSON lists edges in the order the store returns them (not sorted): equal as sets
    neo, emb = (json.loads(b) for b in exported["json"])
    for part in ("nodes", "edges"):
        assert len(neo[part]) == len(emb[part]) > 0
        assert sorted(map(json.dumps, neo[part])) == sorted(map(json.dumps, emb[part]))

    # report: the same transfers and findings as from the embedded store
    code, out, _ = _cli(capsys, "report", "--backend", "neo4j", "--out", str(tmp_path / "neo4j.csv"),
                        "--as-of", "2020-07-01")
    assert code == 0
    code_e, out_e, _ = _cli(capsys, "report", "--store", str(store_dir), "--out", str(tmp_path / "embedded.csv"),
                            "--as-of", "2020-07-01")
    assert code_e == 0
    counts = out.split(": ", 1)[1].split(" as of")[0]
    assert counts == out_e.split(": ", 1)[1].split(" as of")[0] and not counts.startswith("0 restricted")
    assert (tmp_path / "neo4j.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()


def test_cli_refuses_a_wrong_password_in_one_line(neo4j_env, monkeypatch, capsys):
    monkeypatch.setenv("NEO4J_PASSWORD", "not-the-password-123")
    code, _, err = _cli(capsys, "check", "--backend", "neo4j")
    assert code == 2 and "refused the credentials of user 'neo4j'" in err
    assert err.count("\n") == 1 and "not-the-password-123" not in err and neo4j_env["NEO4J_PASSWORD"] not in err


def test_cli_reports_an_unknown_database(neo4j_env, monkeypatch, capsys):
    monkeypatch.setenv("NEO4J_DATABASE", "nosuchdb")
    code, _, err = _cli(capsys, "check", "--backend", "neo4j")
    assert code == 2 and "has no database 'nosuchdb'" in err


def test_an_import_into_a_filled_database_keeps_what_was_there(neo4j_store):
    """`ropa import` MERGEs: the hops already stored stay beside the new ones (an import writes the
    hops of the merged whole again), as in the embedded store after the same two imports."""
    clinic, seeds = read_path(CLINIC), read_path(SEEDS)
    neo4j_store.replace(clinic)
    merged = neo4j_store.load(seeds)
    with EmbeddedBackend(None) as embedded:
        embedded.replace(clinic)
        expected = embedded.load(seeds)
        assert merged.fingerprint() == expected.fingerprint() == neo4j_store.export().fingerprint()
        hops = sum(len(merged.rels[t]) for t in ("DISCLOSES_TO", "ENGAGES"))
        assert hops > sum(len(seeds.rels[t]) for t in ("DISCLOSES_TO", "ENGAGES")) > 0
        for as_of in DATES:
            assert _rows(evaluate(neo4j_store, as_of)) == _rows(evaluate(embedded, as_of))


# -- an import killed mid-way ---------------------------------------------------------------------

CHILD_IMPORT = r"""
import sys
from ropa.backends.neo4j_backend import Neo4jBackend
from ropa.formats import read_path
graph = read_path(sys.argv[1])
store = Neo4jBackend(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] or None, batch_size=200)
def progress(fraction, what):
    print(f"{fraction:.3f} {what}", flush=True)
    if "ENGAGES" in what:
        input()  # mid-way, with the transaction open: wait to be killed
store.replace(graph, progress)
print("finished", flush=True)
"""


def test_an_import_killed_mid_way_leaves_the_previous_graph(neo4j_store, neo4j_server, generated_10k):
    """The client dies (SIGKILL) half way through a 10k import, its transaction open: meanwhile readers
    see the previous graph, and afterwards the server has rolled the half import back."""
    import os
    import signal
    import subprocess
    import sys
    from ropa.samples import example_graph
    neo4j_store.replace(example_graph())
    before = neo4j_store.export().fingerprint()
    s = neo4j_server
    child = subprocess.Popen([sys.executable, "-c", CHILD_IMPORT, str(generated_10k), s["uri"], s["user"],
                              s["password"], s["database"] or ""],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        seen = []
        for line in child.stdout:
            seen.append(line.strip())
            if "ENGAGES" in line:
                break
        assert seen and "ENGAGES" in seen[-1], (seen, child.stderr.read() if child.poll() is not None else "")
        loaded = float(seen[-1].split()[0])
        assert loaded > 0.3, seen[-1]  # the nodes and several relationship types are written by now
        assert neo4j_store.export().fingerprint() == before  # a reader never sees the half import
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert neo4j_store.export().fingerprint() == before
    # the server rolled the open transaction back when the connection closed: no lock is left behind,
    # the next import lands
    neo4j_store.replace(example_graph())
    assert neo4j_store.export().fingerprint() == before
