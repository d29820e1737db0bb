"""The fuzz targets (fuzz/, run by `make fuzz`) keep working, and what they found stays fixed.

- Every input a fuzzer crashed an importer with is kept in tests/fuzz_regressions/<target>/;
  each must now be read or refused with one of the project's typed errors.
- Each target runs for about two seconds (random engine, in this process) and must get
  through inputs without a crash; the atheris driver runs one target for two seconds.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fuzz.run import Harness, Stats, fuzz_random  # noqa: E402
from fuzz.targets import TARGETS, check  # noqa: E402

from ropa.errors import FormatError, RopaError  # noqa: E402

REGRESSIONS = sorted((ROOT / "tests" / "fuzz_regressions").glob("*/*"))


def test_every_regression_input_names_a_target():
    assert REGRESSIONS and {p.parent.name for p in REGRESSIONS} <= set(TARGETS)


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crashing_input_is_now_read_or_refused_with_a_typed_error(path):
    target = TARGETS[path.parent.name]
    try:
        target.call(path.read_bytes())
    except RopaError as exc:
        assert str(exc).startswith("fuzz."), str(exc)  # the message names the file


def test_harness_keeps_an_untyped_crash_and_not_a_typed_refusal(tmp_path):
    """The fuzzers can fail: an exception that is not a RopaError is kept as a crash."""
    def flaky(data: bytes):
        if data == b"boom":
            return {}["missing"]
        raise FormatError("refused")
    from fuzz.targets import Target
    t = Target("flaky", flaky, lambda: [b"boom"])
    stats = Stats("flaky", "test")
    h = Harness(t, tmp_path, stats)
    h(b"fine")
    h(b"boom")
    h(b"boom")  # the same crash site is kept once
    assert stats.refused == 1 and len(stats.crashes) == 1 and stats.execs == 3
    assert (tmp_path / stats.crashes[0]).read_bytes() == b"boom"
    assert "KeyError" in (tmp_path / stats.crashes[0]).with_suffix(".txt").read_text()
    with pytest.raises(KeyError):
        check(t, b"boom")


@pytest.mark.parametrize("name", list(TARGETS))
def test_target_survives_two_seconds_of_fuzzing(name, tmp_path):
    target = TARGETS[name]
    assert all(check(target, s) for s in target.seeds()[:3]), "the seeds are valid inputs"
    stats = fuzz_random(target, 2.0, tmp_path, seed=1)
    assert stats.execs >= 5 and stats.accepted + stats.refused == stats.execs, stats
    assert not stats.crashes, [(tmp_path / c).with_suffix(".txt").read_text() for c in stats.crashes]


def test_atheris_driver_runs_a_target(tmp_path):
    pytest.importorskip("atheris")
    out = subprocess.run([sys.executable, "-m", "fuzz.run", "--seconds", "2", "--crashes", str(tmp_path / "c"),
                          "--corpus", str(tmp_path / "corpus"), "--logs", str(tmp_path / "logs"), "graphml"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    (result,) = json.loads((tmp_path / "logs" / "last-run.json").read_text())
    assert result["engine"] == "atheris" and result["execs"] > 0 and not result["crashes"], result
    assert list((tmp_path / "corpus" / "graphml").iterdir()), "the corpus was seeded"
