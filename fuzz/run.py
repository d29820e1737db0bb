"""Run the fuzz targets, one after the other, each for a bounded time.

    python -m fuzz.run [--seconds N] [--engine auto|atheris|random] [TARGET ...]

``make fuzz`` runs every target for ``FUZZ_SECONDS`` (default 600). With atheris
installed (``requirements-dev.txt``; wheels for CPython 3.11+ on Linux x86-64) each
target runs in its own process under libFuzzer's coverage-guided engine with our
structure-aware mutators (:mod:`fuzz.mutate`); without it, a random mutation loop
runs in-process. Either way a crash is any exception that is not a
``ropa.errors.RopaError``: its input goes to ``fuzz/crashes/<target>-<signature>.bin``
with the traceback beside it, and fuzzing goes on (one file per distinct crash
site). An input that takes longer than ``--slow`` seconds is kept as ``slow-*``.
Exit status 1 when any target crashed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Stats:
    target: str
    engine: str
    seconds: float = 0.0
    execs: int = 0
    accepted: int = 0  # inputs the importer read without error
    refused: int = 0  # inputs refused with a typed error
    crashes: list[str] = field(default_factory=list)  # files written for new crash sites
    slow: list[str] = field(default_factory=list)
    restarts: int = 0


def _signature(exc: BaseException) -> str:
    """Where a crash happened: exception type plus the innermost frame in our code (else the last frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/ropa/" in f.filename] or frames[-1:]
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__}@{where}"


class Harness:
    """Calls a target, sorts the outcome, keeps each new crash site's input."""

    def __init__(self, target, crashes: Path, stats: Stats, slow: float = 10.0, stats_file: Path | None = None):
        self.target, self.crashes, self.stats, self.slow = target, crashes, stats, slow
        self.seen: set[str] = set()
        self.stats_file = stats_file
        self._flushed = 0.0

    def __call__(self, data: bytes) -> bool:
        from fuzz.targets import check
        t0 = time.monotonic()
        ok = False
        try:
            ok = check(self.target, data)
            if ok:
                self.stats.accepted += 1
            else:
                self.stats.refused += 1
        except Exception as exc:  # noqa: BLE001 - this is what we are looking for
            sig = _signature(exc)
            if sig not in self.seen:
                self.seen.add(sig)
                self._keep(data, f"{self.target.name}-{re.sub(r'[^A-Za-z0-9_.@-]', '_', sig)}",
                           "".join(traceback.format_exception(exc)), self.stats.crashes)
        took = time.monotonic() - t0
        if took > self.slow:
            self._keep(data, f"slow-{self.target.name}-{hashlib.sha1(data).hexdigest()[:12]}",
                       f"took {took:.1f} s", self.stats.slow)
        self.stats.execs += 1
        if self.stats_file is not None and time.monotonic() - self._flushed > 0.2:
            self.flush()
        return ok

    def _keep(self, data: bytes, stem: str, note: str, into: list[str]) -> None:
        self.crashes.mkdir(parents=True, exist_ok=True)
        (self.crashes / f"{stem}.bin").write_bytes(data)
        (self.crashes / f"{stem}.txt").write_text(note, encoding="utf-8")
        into.append(f"{stem}.bin")
        self.flush()

    def flush(self) -> None:
        self._flushed = time.monotonic()
        if self.stats_file is not None:
            self.stats_file.write_text(json.dumps(asdict(self.stats)), encoding="utf-8")


def fuzz_random(target, seconds: float, crashes: Path, seed: int | None = None, slow: float = 10.0) -> Stats:
    """The fallback engine: stacked random mutations of the seeds and of mutants that were accepted."""
    stats = Stats(target.name, "random")
    harness = Harness(target, crashes, stats, slow)
    rng = random.Random(seed)
    corpus = list(target.seeds())
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        data = rng.choice(corpus)
        for _ in range(rng.choice((1, 1, 2, 3))):
            data = target.mutate(data, rng, corpus)
        if harness(data) and len(corpus) < 2000 and rng.random() < 0.2:
            corpus.append(data)
    stats.seconds = round(time.monotonic() - t0, 1)
    return stats


def _child(name: str, seconds: int, crashes: Path, corpus_dir: Path, stats_file: Path, slow: float) -> None:
    """One target under atheris/libFuzzer (never returns: libFuzzer exits the process)."""
    import warnings

    import atheris
    warnings.simplefilter("ignore")  # openpyxl and networkx warn on every damaged input; the log is for libFuzzer
    with atheris.instrument_imports(include=["ropa", "openpyxl", "csv", "zipfile"]):
        import ropa.extract  # noqa: F401 - instrumented on import
        import ropa.formats.graphio  # noqa: F401
        import ropa.formats.register  # noqa: F401
    from fuzz.targets import TARGETS
    target = TARGETS[name]
    seeds = target.seeds()
    corpus_dir.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    for s in seeds:
        p = corpus_dir / f"seed-{hashlib.sha1(s).hexdigest()[:12]}"
        if not p.exists():
            p.write_bytes(s)
    stats = Stats(name, "atheris")
    harness = Harness(target, crashes, stats, slow, stats_file)
    started = time.monotonic()

    def one(data: bytes) -> None:
        harness(data)
        stats.seconds = round(time.monotonic() - started, 1)

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        return target.mutate(data, rng, seeds, lambda b: atheris.Mutate(b, max_size))[:max_size]

    argv = [sys.argv[0], str(corpus_dir), f"-max_total_time={seconds}", f"-max_len={target.max_size}",
            "-timeout=120", "-rss_limit_mb=4096", f"-report_slow_units={int(slow)}", "-print_final_stats=1",
            f"-artifact_prefix={crashes}/{name}-libfuzzer-"]
    atheris.Setup(argv, one, custom_mutator=mutator)
    atheris.Fuzz()


def fuzz_atheris(name: str, seconds: float, crashes: Path, corpus: Path, slow: float, logs: Path) -> Stats:
    """Run a target in a child process under libFuzzer; restart it if libFuzzer itself stopped early."""
    logs.mkdir(parents=True, exist_ok=True)
    total = Stats(name, "atheris")
    t0 = time.monotonic()
    log = logs / f"{name}.log"
    log.write_text("", encoding="utf-8")
    while True:
        left = int(seconds - (time.monotonic() - t0))
        if left < 1:
            break
        stats_file = logs / f"{name}.stats.json"
        stats_file.unlink(missing_ok=True)
        with open(log, "a", encoding="utf-8") as out:
            rc = subprocess.call([sys.executable, "-m", "fuzz.run", "--one", name, "--seconds", str(left),
                                  "--crashes", str(crashes), "--corpus", str(corpus / name), "--slow", str(slow),
                                  "--stats-file", str(stats_file)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        part = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        text = log.read_text(encoding="utf-8", errors="replace")
        done = re.findall(r"stat::number_of_executed_units: (\d+)", text)
        total.execs += int(done[-1]) if done and rc == 0 else part.get("execs", 0)
        for k in ("accepted", "refused"):
            setattr(total, k, getattr(total, k) + part.get(k, 0))
        total.crashes += part.get("crashes", [])
        total.slow += part.get("slow", [])
        if rc == 0:
            break
        # libFuzzer stopped on its own (a hard crash, a time-out, out of memory): note it and go on.
        total.crashes.append(f"{name}-libfuzzer (exit {rc}, see {log})")
        total.restarts += 1
        if total.restarts > 5:
            break
    total.seconds = round(time.monotonic() - t0, 1)
    return total


def main(argv: list[str] | None = None) -> int:
    from fuzz.targets import TARGETS
    ap = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", help=f"default: all ({', '.join(TARGETS)})")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS") or 600))
    ap.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    ap.add_argument("--crashes", type=Path, default=HERE / "crashes")
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--logs", type=Path, default=HERE / "logs", help="libFuzzer logs and last-run.json")
    ap.add_argument("--slow", type=float, default=30.0, help="keep inputs slower than this many seconds")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--stats-file", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        _child(a.one, int(a.seconds), a.crashes, a.corpus, a.stats_file, a.slow)
        return 0
    unknown = [t for t in a.targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}")
    engine = a.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "random"
    results = []
    for name in a.targets or list(TARGETS):
        print(f"fuzz {name}: {a.seconds:.0f} s ({engine})", flush=True)
        if engine == "atheris":
            s = fuzz_atheris(name, a.seconds, a.crashes, a.corpus, a.slow, a.logs)
        else:
            s = fuzz_random(TARGETS[name], a.seconds, a.crashes, slow=a.slow)
        results.append(s)
        print(f"  {s.seconds:.0f} s, {s.execs} inputs ({s.accepted} read, {s.refused} refused with a typed error), "
              f"{len(s.crashes)} crash(es), {len(s.slow)} slow" + "".join(f"\n  crash: {c}" for c in s.crashes)
              + "".join(f"\n  slow: {c}" for c in s.slow), flush=True)
    summary = a.logs / "last-run.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps([asdict(s) for s in results], indent=1), encoding="utf-8")
    return 1 if any(s.crashes for s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
