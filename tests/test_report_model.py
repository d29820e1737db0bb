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


# -- the verdicts (transfers.judge) against the judge they replaced, a finding at a time -----------------------

def judge_before(transfers, findings) -> None:
    """ropa.transfers.judge as it was (main d54dadc): a dict lookup and an append per finding, a sort per
    transfer. The oracle of the column-wise judge."""
    from collections import defaultdict
    from ropa.findings import SEVERITY_RANK
    from ropa.transfers import _place_rules, _transfer_rules, _verdict
    deciding, places = _transfer_rules(), _place_rules()
    by_hop, unresolved = {}, defaultdict(list)
    for t in transfers:
        t.findings = []
        by_hop.setdefault((t.controller, t.activity, t.exporter, t.importer), []).append(t)
        if not t.resolved:
            unresolved[t.importer].append(t)
    dests_of = {}
    for f in findings:
        if f.rule not in deciding:
            if f.rule in places:
                for t in unresolved.get(f.subject, ()):
                    t.findings.append(f)
            continue
        key = (f.controller, f.activity, f.exporter, f.importer)
        hop = by_hop.get(key)
        if hop is None:
            continue
        if len(hop) == 1:
            hop[0].findings.append(f)
            continue
        dests = dests_of.get(key)
        if dests is None:
            dests = dests_of[key] = {t.destination for t in hop}
        for t in hop:
            if f.destination == t.destination or f.destination not in dests:
                t.findings.append(f)
    for t in transfers:
        if len(t.findings) > 1:
            t.findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.rule))
        t.verdict = _verdict(next((f.severity for f in t.findings if f.rule in deciding), ""), t.resolved)


def _judged(judge, transfers, findings) -> list[tuple]:
    judge(transfers, findings)
    return [(t.verdict, [id(f) for f in t.findings]) for t in transfers]


@pytest.fixture(scope="module")
def generated_register():
    """A generated register's transfers and findings: hops with several destinations, unresolved places,
    findings that name no destination of their hop."""
    import io
    from ropa.formats.register import read_register
    from ropa.generate import generate
    from ropa.rules import evaluate
    from ropa.transfers import read_transfers
    buf = io.StringIO()
    generate(buf, 20000, 7)
    with EmbeddedBackend(None) as store:
        store.replace(read_register(io.BytesIO(buf.getvalue().encode("utf-8")), "g.csv"))
        return read_transfers(store, TODAY), evaluate(store, TODAY)


def test_the_verdicts_and_their_findings_are_the_old_judges(generated_register):
    import dataclasses
    import random
    from collections import Counter
    from ropa.transfers import judge, place_rules, transfer_rules
    transfers, findings = generated_register
    hops = Counter(t.hop for t in transfers)
    # besides the rule pack's: findings on a hop of several transfers that name none of its destinations (no
    # country, or another one), and one on a hop that is no transfer
    several = list({t.hop: t for t in transfers if hops[t.hop] > 1}.values())[:3]
    deciding = next(f for f in findings if f.rule in transfer_rules())
    extra = [dataclasses.replace(deciding, controller=t.controller, activity=t.activity, exporter=t.exporter,
                                 importer=t.importer, destination=d, severity=s)
             for t, d, s in zip(several, ["", "ZZ", several[0].destination], ["low", "high", "medium"])]
    extra.append(dataclasses.replace(deciding, controller="Nobody BV"))
    findings = findings + extra
    want = _judged(judge_before, transfers, findings)
    assert _judged(judge, transfers, findings) == want
    # what the register holds: every verdict, hops of several transfers, place findings
    assert set(Counter(v for v, _ in want)) == {"no_valid_basis", "action_needed", "cannot_judge", "basis_recorded"}
    assert len(several) == 3 and any(f.rule in place_rules() for t in transfers for f in t.findings)
    assert sum(f is extra[0] for t in transfers for f in t.findings) == hops[several[0].hop]
    # findings in another order (a caller's own), given twice, or as a generator; part of them
    shuffled = findings[:]
    random.Random(3).shuffle(shuffled)
    for given in (shuffled, findings + findings[:500], findings[::3]):
        assert _judged(judge, transfers, given) == _judged(judge_before, transfers, given)
    assert _judged(judge, transfers, iter(shuffled)) == _judged(judge_before, transfers, shuffled)
    assert _judged(judge, transfers, []) == _judged(judge_before, transfers, [])
    assert _judged(judge, transfers[:1], findings) == _judged(judge_before, transfers[:1], findings)
    judge([], findings)
