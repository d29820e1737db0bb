"""The extraction bench times the extractor on a long notice; it must not run it on the held-out test half."""
import csv
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("extract_bench", ROOT / "bench" / "extract_bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_long_notice_is_built_from_no_test_half_text():
    with open(ROOT / "tests" / "heldout" / "sources.csv", newline="", encoding="utf-8") as f:
        split = {r["id"]: r["split"] for r in csv.DictReader(f)}
    used = [p for p in _bench().source_texts() if "heldout" in p.parts]
    assert used, "the bench should use the shipped dev texts"
    assert {split[p.stem] for p in used} == {"dev"}
    shipped_test = [i for i, s in split.items() if s == "test"
                    and (ROOT / "tests" / "heldout" / "texts" / f"{i}.txt").exists()]
    assert shipped_test, "the test half ships some texts; this test would prove nothing without them"
