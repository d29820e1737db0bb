"""A finding as a dict (what the explorer keeps of every finding) is exactly dataclasses.asdict's."""
import dataclasses
import datetime as dt

from ropa.findings import FINDING_COLUMNS, Finding


def test_to_dict_is_asdict_with_a_path_of_its_own():
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    from ropa.samples import example_graph
    with EmbeddedBackend() as store:
        store.replace(example_graph())
        found = evaluate(store, dt.date(2026, 11, 22))
    found.append(Finding("r", "low", "s", row=None))  # every default
    assert [f.name for f in dataclasses.fields(Finding)] == FINDING_COLUMNS
    assert any(f.path for f in found) and any(f.row is not None for f in found)
    for f in found:
        d = f.to_dict()
        assert d == dataclasses.asdict(f) and list(d) == FINDING_COLUMNS
        assert d["path"] is not f.path
        d["path"].append("changed")  # a page changing its copy leaves the finding alone
        assert "changed" not in f.path


def test_the_explorers_dicts_become_the_same_findings():
    from ropa.findings import from_dicts
    found = [Finding("r", "high", "S", ["a", "b"], controller="C", row=3, title="T"),
             Finding("q", "low", "", [], reason="x", row=None, article="Art. 46")]
    back = from_dicts([f.to_dict() for f in found])
    assert back == found and all(type(f) is Finding for f in back)
