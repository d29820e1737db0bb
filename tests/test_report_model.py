"""The report model's own work (ropa.report.content.build_report, the rule pack aside), made faster in
ways that must not change what it gives: the collector's generations, the store's reopening, the verdicts
and the Art. 30 records against the code they replaced (kept here as oracles)."""
import gc
import weakref

import pytest

from conftest import TODAY
from ropa.backends.embedded import EmbeddedBackend
from ropa.report import content
from ropa.samples import example_graph


@pytest.fixture(scope="module")
def example_store():
    with EmbeddedBackend() as store:
        store.replace(example_graph())
        yield store


# -- the collector: the model's objects go to the oldest generation (content.promote_young) ----------------

def _young_ids() -> set[int]:
    return {id(o) for o in gc.get_objects(generation=0)} | {id(o) for o in gc.get_objects(generation=1)}


def test_the_models_objects_leave_the_young_generations(example_store):
    """Made while the collector was paused, the transfers, their paths, the findings and the records are not
    left for the first young collection to walk."""
    assert gc.isenabled()
    report = content.build_report(example_store, TODAY)
    young = _young_ids()
    made = [*report.transfers, *(t.path for t in report.transfers), *report.findings, *report.records]
    assert report.transfers and report.findings and report.records
    assert not [o for o in made if id(o) in young]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_garbage_cycle_made_while_the_model_is_built_is_still_collected(example_store, monkeypatch):
    """Promoted objects are still the collector's: a cycle left over from the build goes at the next full
    collection."""
    gone = []

    class Node:
        pass

    def reference_files_with_a_cycle(*a, _real=content.reference_files, **k):
        a_, b_ = Node(), Node()
        a_.other, b_.other = b_, a_
        weakref.finalize(a_, gone.append, "collected")
        return _real(*a, **k)
    monkeypatch.setattr(content, "reference_files", reference_files_with_a_cycle)
    content.build_report(example_store, TODAY)
    assert gone == []          # a cycle: reference counting alone does not free it
    gc.collect()
    assert gone == ["collected"]


def test_objects_another_caller_froze_stay_frozen(example_store):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        content.build_report(example_store, TODAY)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


# -- the store's memory: given back between the model's steps only after growth (rules.MemoryGate) ----------

def _outputs(report) -> tuple[bytes, bytes]:
    import datetime as dt
    from ropa.report import render
    report.generated = dt.datetime(2026, 12, 7, 12, 0, 0)
    return render(report, "md"), render(report, "csv")


@pytest.fixture(scope="module")
def sample_on_disk(tmp_path_factory):
    from ropa.samples import sample_graph
    path = tmp_path_factory.mktemp("store") / "s.lbdb"
    with EmbeddedBackend(path) as s:
        s.replace(sample_graph())
    return path


def test_a_small_read_only_store_is_not_reopened_between_the_models_steps(sample_on_disk):
    with EmbeddedBackend(sample_on_disk, read_only=True) as s:
        conn = s.conn
        content.build_report(s, TODAY)
        assert s.conn is conn


def test_a_store_reopened_between_every_step_gives_the_same_report(sample_on_disk, monkeypatch):
    """Where the resident memory cannot be read the gate releases at every step, as the model used to:
    the same report as from a store left open (and as from one that never reopens)."""
    import ropa.rules
    with EmbeddedBackend(sample_on_disk, read_only=True) as s:
        kept_open = _outputs(content.build_report(s, TODAY))
    monkeypatch.setattr(ropa.rules, "resident_bytes", lambda: None)
    with EmbeddedBackend(sample_on_disk, read_only=True) as s:
        conn = s.conn
        reopened = _outputs(content.build_report(s, TODAY))
        assert s.conn is not conn
    assert reopened == kept_open
    assert kept_open[1].count(b"\n") > 20   # the register's rows
