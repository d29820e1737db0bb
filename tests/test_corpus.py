"""The corpus of broken and hostile inputs (tests/corpus/manifest.json), through every importer.

For each file: the reader gives the outcome the manifest names (a typed error naming file, row,
column and value; or a clean import, with its warning); the CLI says the same with exit code 2;
a refused file leaves the on-disk store exactly as it was (counts and content hash, reference data
included); an accepted one lands whole (the store holds exactly what it held merged with the file).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest

from ropa import errors
from ropa.backends.embedded import EmbeddedBackend
from ropa.cli import main
from ropa.formats import read_file
from ropa.samples import example_graph

CORPUS = Path(__file__).parent / "corpus"
CASES = json.loads((CORPUS / "manifest.json").read_text("utf-8"))["cases"]
IDS = [c["id"] for c in CASES]
IMPORTERS = {"register-csv", "register-xlsx", "bundle", "graphml", "json", "notice"}

_spec = importlib.util.spec_from_file_location("corpus_generate", CORPUS / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


def case_bytes(case: dict) -> tuple[str, bytes]:
    """(file name, bytes) of a case: a committed file or one made by generate.py."""
    if "file" in case:
        return case.get("name", case["file"]), (CORPUS / case["file"]).read_bytes()
    return case["name"], getattr(generate, case["make"])()


def snapshot(path: Path) -> dict:
    """What the store holds: the RoPA's content hash and counts, and every node and relationship counted."""
    with EmbeddedBackend(path, read_only=True) as s:
        g = s.export()
        return {"fingerprint": g.fingerprint(), "counts": g.counts(),
                "nodes": s.run("MATCH (n) RETURN count(n) AS n")[0]["n"],
                "rels": s.run("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]}


def _problem_matches(p: errors.Problem, case: dict) -> bool:
    if not re.search(case["message"], p.message):
        return False
    if "row" in case and p.row != case["row"]:
        return False
    if "column" in case and p.column != case["column"]:
        return False
    if "value" in case and not str(p.value).startswith(str(case["value"])):
        return False
    return True


def test_the_corpus_covers_every_importer_and_both_outcomes():
    assert len(CASES) >= 40 and len(set(IDS)) == len(IDS)
    assert {c["importer"] for c in CASES} == IMPORTERS
    for imp in IMPORTERS:
        outcomes = {c["expect"] for c in CASES if c["importer"] == imp}
        assert "refused" in outcomes, imp
    for c in CASES:
        assert ("file" in c) != ("make" in c), c["id"]
        assert c["expect"] in ("refused", "imported"), c["id"]
        if c["expect"] == "refused":
            assert issubclass(getattr(errors, c["error"]), errors.InputError), c["id"]
    committed = {c["file"] for c in CASES if "file" in c}
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file()} - {"generate.py", "manifest.json"}
    assert on_disk <= committed, f"files in tests/corpus/ that no case uses: {on_disk - committed}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reader_outcome(case):
    name, data = case_bytes(case)
    if case["importer"] == "notice":
        from ropa.extract import extract, draft_register_csv
        read = lambda: extract(data, name)  # noqa: E731
    else:
        read = lambda: read_file(io.BytesIO(data), name)  # noqa: E731
    if case["expect"] == "refused":
        with pytest.raises(errors.InputError) as info:
            read()
        exc = info.value
        assert type(exc).__name__ == case["error"], (type(exc).__name__, str(exc))
        assert any(_problem_matches(p, case) for p in exc.problems), [str(p) for p in exc.problems]
        assert all(p.file and p.file.startswith(name) for p in exc.problems)  # every problem names the file
        return
    result = read()
    if case["importer"] == "notice":
        text = draft_register_csv(result)
        for n in case.get("names", []):
            assert n in text, (n, text[:500])
        for bad in case.get("absent", []):
            assert bad not in text
        return
    warnings = [str(w) for w in result.warnings]
    assert not [w for w in result.warnings if w.severity == "error"]
    if "warning" in case:
        assert any(re.search(case["warning"], w) for w in warnings), warnings
    names = set(result.nodes["Organisation"]["name"])
    assert set(case.get("names", [])) <= names, names
    if case["id"] == "xlsx_excel_date_cells":
        assert list(result.rels["DISCLOSES_TO"]["mechanism_date"]) == [dt.date(2022, 1, 10)]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An on-disk store holding the example RoPA, shared by the refused cases (none may change it)."""
    path = tmp_path_factory.mktemp("corpus-store") / "store.lbdb"
    with EmbeddedBackend(path) as s:
        s.load(example_graph())
    return path, snapshot(path)


REFUSED = [c for c in CASES if c["expect"] == "refused"]
IMPORTED = [c for c in CASES if c["expect"] == "imported"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_refused_through_the_cli_leaves_the_store_exactly_as_it_was(case, seeded, tmp_path, capsys):
    store, before = seeded
    name, data = case_bytes(case)
    f = tmp_path / name
    f.write_bytes(data)
    argv = ["extract", str(f)] if case["importer"] == "notice" else ["import", str(f), "--store", str(store)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and name in err and "Traceback" not in err
    assert re.search(case["message"], err), err
    lines = err.splitlines()
    if "row" in case or "column" in case:
        want = ([f"row {case['row']}"] if "row" in case else []) + \
            ([f"column {case['column']!r}"] if "column" in case else [])
        assert any(all(w in line for w in want) for line in lines), err
    assert snapshot(store) == before


@pytest.mark.parametrize("case", IMPORTED, ids=[c["id"] for c in IMPORTED])
def test_accepted_lands_whole_through_the_cli(case, tmp_path, capsys):
    store = tmp_path / "store.lbdb"
    with EmbeddedBackend(store) as s:
        s.load(example_graph())
    name, data = case_bytes(case)
    f = tmp_path / name
    f.write_bytes(data)
    if case["importer"] == "notice":  # `ropa extract --format register notice > draft.csv && ropa import draft.csv`
        assert main(["extract", "--format", "register", str(f)]) == 0
        f = tmp_path / "draft.csv"
        f.write_text(capsys.readouterr().out, "utf-8")
    graph = read_file(io.BytesIO(f.read_bytes()), f.name)
    assert main(["import", str(f), "--store", str(store)]) == 0
    out = capsys.readouterr()
    assert "Imported 1 file(s)" in out.out
    if "warning" in case:
        assert re.search("warning: .*" + case["warning"], out.err), out.err
    after = snapshot(store)
    assert after["fingerprint"] == example_graph().merge(graph).fingerprint()
    with EmbeddedBackend(store, read_only=True) as s:
        names = {r["n"] for r in s.run("MATCH (o:Organisation) RETURN o.name AS n")}
        assert set(case.get("names", [])) <= names
        if case.get("reference_intact"):
            # the file said the US is in the EEA and Privacy Shield holds until 2099: the store did not listen
            us = s.run("MATCH (k:Country {id: 'US'}) RETURN k.eea AS eea, k.name AS name")
            assert us == [{"eea": False, "name": "United States"}]
            ps = s.run("MATCH (m:Mechanism {id: 'privacy_shield'}) RETURN m.invalid_from AS d")
            assert ps == [{"d": dt.date(2020, 7, 16)}]
