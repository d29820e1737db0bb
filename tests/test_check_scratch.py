"""`ropa check FILE` on a large register checks it in a temporary store on disk (read-only, so that
each rule's memory is given back); the findings are those of the in-memory scratch store, and the
temporary store is removed afterwards, also when the check fails."""
import datetime as dt
import tempfile
from pathlib import Path

import pytest

from ropa.report import source
from ropa.rules import evaluate
from ropa.samples import SEED_REGISTER

AS_OF = dt.date(2026, 12, 1)


def _check(monkeypatch, threshold):
    monkeypatch.setattr(source, "SCRATCH_ON_DISK_ABOVE", threshold)
    with source.open_source([str(SEED_REGISTER)]) as src:
        kind = (src.backend.path, src.backend.read_only)
        found = [f.to_dict() for f in evaluate(src.backend, AS_OF)]
    return kind, found


def test_a_large_register_is_checked_on_disk_with_the_same_findings(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (mem_path, mem_ro), in_memory = _check(monkeypatch, 10**9)
    (disk_path, disk_ro), on_disk = _check(monkeypatch, 0)
    assert mem_path == ":memory:" and not mem_ro
    assert disk_path != ":memory:" and disk_ro and Path(disk_path).is_relative_to(tmp_path)
    assert in_memory and on_disk == in_memory
    assert list(tmp_path.iterdir()) == []  # the temporary store is gone


def test_the_temporary_store_is_removed_when_the_check_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(source, "SCRATCH_ON_DISK_ABOVE", 0)
    with pytest.raises(RuntimeError), source.open_source([str(SEED_REGISTER)]) as src:
        assert any(tmp_path.iterdir()) and src.backend.read_only
        raise RuntimeError("a rule failed")
    assert list(tmp_path.iterdir()) == []


def test_the_scratch_store_on_disk_spends_nothing_on_a_fingerprint(monkeypatch, tmp_path):
    """Only the rule pack reads it, then it is thrown away: its writer hashes no row (the persistent store's
    writer does, tests/test_fingerprint.py), and the findings are the same."""
    from ropa.backends import embedded
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _, in_memory = _check(monkeypatch, 10**9)

    def no_hashing(*a, **k):
        raise AssertionError("a scratch store hashed its rows")
    monkeypatch.setattr(embedded, "row_hashes", no_hashing)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(source, "SCRATCH_ON_DISK_ABOVE", 0)
        with source.open_source([str(SEED_REGISTER)]) as src:
            assert src.backend.stored_fingerprint() is None
            assert [f.to_dict() for f in evaluate(src.backend, AS_OF)] == in_memory
