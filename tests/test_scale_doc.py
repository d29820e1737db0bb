"""docs/scale.md's "Where it stands" table is the targets table of the full bench run kept in bench/RESULTS.md:
the same code, the same figures, the same PASS/MISS (issue 19: the Scale table is the bench's output)."""
from __future__ import annotations

import re

from conftest import ROOT


def _rows(markdown: str, heading: str) -> dict[str, list[str]]:
    part = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in part.splitlines():
        if line.startswith("| ") and not line.startswith(("| target", "| figure")):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].replace("&nbsp;", " ").strip()] = cells[1:]
    return rows


def test_where_it_stands_is_the_last_full_bench_run():
    results = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    scale = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    code = re.search(r"code ([0-9a-f]{7,40})\.", results.splitlines()[2]).group(1)
    stands = scale.split("## Where it stands", 1)[1].split("\n## ", 1)[0]
    assert f"**now** = code {code}," in stands, "the table names another run's code than bench/RESULTS.md"
    bench = _rows(results, "## Targets (embedded)")
    doc = _rows(scale, "## Where it stands")
    names = {"of which the rule pack (CPU)": "report: model, rule pack (CPU)",
             "of which the rest (CPU)": "report: model, rest (CPU)"}
    compared = 0
    for label, cells in doc.items():
        name = names.get(label, label)
        if name not in bench:
            continue  # a row of the doc's own (the ratio against the former floor) is checked below
        want = bench[name]
        assert cells[3:6] == want[:3], (label, cells[3:6], want[:3])
        verdict = want[3].rsplit(" ", 1)[-1] if want[3] else ""
        assert (cells[7] if len(cells) > 7 else "") == (verdict if verdict in ("PASS", "MISS") else ""), label
        compared += 1
    assert compared == len(bench)  # every target of the run is in the doc
    threaded = _rows(results, "## embedded")["ropa import / parse floor, threads (CPU)"]
    assert doc["the same against the former floor (threaded parse)"][3:6] == threaded[:3]
