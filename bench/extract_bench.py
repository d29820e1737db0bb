"""Extraction speed: a notice of 128 KB .. 1 MB built from the notices in the repository.

    .venv/bin/python bench/extract_bench.py            # sizes 128k, 256k, 512k, 1M; best of 1
    .venv/bin/python bench/extract_bench.py --sizes 1000000 --repeat 3 --profile

The notice is the test notices and the held-out dev half's shipped texts (never the test half's), one after another, repeated until the
size is reached (real prose, tables and lists; vendors recur as in a long notice); each later copy
has its sentences numbered, so no sentence repeats word for word. It prints seconds per
size (wall and CPU), the growth exponent of CPU time between sizes (1.0 = linear) and whether the 1 MB notice stays under the
5 s target. Wall-clock on a shared machine: compare figures from the same run.
"""
from __future__ import annotations

import argparse
import csv
import cProfile
import math
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ropa.extract import extract  # noqa: E402

TARGET_S = 5.0


def source_texts() -> list[Path]:
    """The test notices and the held-out dev half's shipped texts (never the test half's: it is scored once)."""
    with open(ROOT / "tests" / "heldout" / "sources.csv", newline="", encoding="utf-8") as f:
        dev = {r["id"] for r in csv.DictReader(f) if r["split"] == "dev"}
    return (sorted((ROOT / "tests" / "notices").glob("*.txt"))
            + sorted(p for p in (ROOT / "tests" / "heldout" / "texts").glob("*.txt") if p.stem in dev))


def notice(size: int) -> str:
    parts = [t for t in (p.read_text(encoding="utf-8") for p in source_texts()) if not t.lstrip().startswith("<")]
    out, n, i = [], 0, 0
    while n < size:
        p = parts[i % len(parts)]
        if i >= len(parts):  # a later copy: mark its sentences so none repeats word for word (no cache flatters it)
            p = "\n".join(ln if not ln.strip() or ln.lstrip().startswith(("|", "#", "<")) else
                          ln.replace(". ", f" ({i}). ") + f" ({i})" for ln in p.split("\n"))
        out.append(p)
        n += len(p.encode("utf-8")) + 2
        i += 1
    return "\n\n".join(out).encode("utf-8")[:size].decode("utf-8", "ignore")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="128000,256000,512000,1000000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile the largest size, top 25 by own time")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",")]
    prev = None
    for size in sizes:
        text = notice(size)
        best = cpu = math.inf
        for _ in range(a.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            d = extract(text, "bench.md")
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        growth = f"  growth x{math.log(cpu / prev[2]) / math.log(size / prev[0]):.2f} (CPU)" if prev else ""
        print(f"{size:>9} bytes  {best:7.2f} s wall  {cpu:7.2f} s CPU  {len(d.recipients):4} recipients{growth}")
        prev = (size, best, cpu)
    if sizes[-1] >= 1_000_000:
        print(f"1 MB target {TARGET_S:.0f} s: {'met' if prev[1] < TARGET_S else 'NOT met'} ({prev[1]:.2f} s wall, "
              f"{prev[2]:.2f} s CPU; the machine's load shows as wall minus CPU)")
    if a.profile:
        pr = cProfile.Profile()
        pr.enable()
        extract(notice(sizes[-1]), "bench.md")
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
