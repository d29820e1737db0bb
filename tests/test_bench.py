"""bench/run.py end to end at two tiny sizes: every figure measured, with its growth exponent."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
FIGURES = ["parse floor", "import (read + load)", "import / parse floor", "rules: total",
           "rule: onward_transfer_chain", "rule: privacy_shield_reliance", "report: HTML", "report: XLSX",
           "neighbourhood view: build", "neighbourhood view: render", "neighbourhood view (build + render)",
           "peak RSS (MB)", "generate", "neighbourhood: finding index (once per evaluation)",
           "peak RSS in parse floor (MB)", "peak RSS in import (MB)", "peak RSS in rules (MB)",
           "peak RSS in neighbourhood (MB)", "peak RSS in report (MB)"]
# CPU figures: at these tiny sizes one may be 0.00 (no exponent then), but each is measured.
CPU_FIGURES = ["peer (CPU)", "ropa check register.csv (CPU)", "ropa check register.csv / peer (CPU)",
           "rules: total (CPU)", "two headline rules / peer (CPU)", "report: model (CPU)", "report: XLSX (CPU)",
           "ropa import / parse floor (CPU)", "ropa --help (CPU)", "ropa rules (CPU)",
           "report: model, rule pack (CPU)", "report: model, rest (CPU)"]
# Issue 19's targets: each printed with its value and PASS or MISS.
TARGETS = ["ropa check register.csv / peer (CPU)", "ropa check register.csv: peak RSS (MB)", "rules: total (CPU)",
           "two headline rules / peer (CPU)", "report: model (CPU)", "report: XLSX (CPU)",
           "ropa import / parse floor (CPU)", "ropa --help (CPU)", "ropa rules (CPU)",
           "neighbourhood view (CPU)", "peer findings = rule pack's (two headline rules)",
           "findings = baseline (whole pack)"]


def test_bench_prints_every_figure_with_exponents(tmp_path):
    baseline = tmp_path / "baseline.json"
    # A recorded finding that the code no longer finds: the check must say MISS (no PASS by skipping work).
    from run import findings_digest  # noqa: E402 (bench/ is on the path below)
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "150,300", "--no-neo4j",
                          "--out", str(tmp_path), "--markdown", str(tmp_path / "R.md"), "--rule-timeout", "60",
                          "--baseline", str(baseline), "--write-baseline"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = {line.split("  ")[0].strip(): line for line in out.stdout.splitlines() if "  " in line}
    for fig in FIGURES:
        small, large, exp = lines[fig][len(fig):].split()[:3]
        float(small.rstrip("x")), float(large.rstrip("x")), float(exp)  # numbers, not "stopped" or "-"
    for fig in CPU_FIGURES:
        small, large = lines[fig][len(fig):].split()[:2]
        float(small.rstrip("x")), float(large.rstrip("x"))
    for fig in TARGETS[:-1]:
        assert lines[fig].endswith(("PASS", "MISS")), fig
    assert lines["peer findings = rule pack's (two headline rules)"].endswith("equal PASS")
    for figs in json.loads((tmp_path / "results.json").read_text())["embedded"].values():
        # `ropa check register.csv` (its JSON) found what the library found in the bench's store
        assert figs["ropa check findings = the library's"]["value"] == figs["findings"]["value"] > 0
    # This run recorded its findings; the first run had no baseline to compare with: MISS, not PASS.
    assert lines["findings = baseline (whole pack)"].endswith("same MISS")
    recorded = json.loads(baseline.read_text())
    assert {v["findings"] for v in recorded.values()} == {figs["findings"]["value"]
                                                          for figs in json.loads((tmp_path / "results.json").read_text())["embedded"].values()}
    assert findings_digest([]) != next(iter(recorded.values()))["sha256"]
    assert "Neo4j: skipped: --no-neo4j" in out.stdout
    for n in ("150", "300"):  # how the import's parse floor was taken, with the spread of its samples
        assert f"{n}: parse floor (CPU), the import's ratio's denominator = pyarrow.csv.read_csv on one thread, " \
               "user CPU, best of 5" in out.stdout
    fig = "ropa import / parse floor, threads (CPU)"  # the former definition too
    float(lines[fig][len(fig):].split()[0].rstrip("x"))
    res = json.loads((tmp_path / "results.json").read_text())
    emb = res["embedded"]
    assert set(emb) == {"150", "300"}
    for figs in emb.values():
        assert figs["relationships (imported)"]["value"] == figs["relationships (generated)"]["value"]
        assert figs["findings"]["value"] > 0
        assert figs["peak RSS (MB)"]["value"] > 50
    md = (tmp_path / "R.md").read_text()
    assert "| rules: total |" in md
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if head:  # the table names the code it measured
        assert f"code {head}" in md and res["machine"]["code"].startswith(head)


def test_a_step_that_runs_over_its_limit_stops_alone_and_the_table_is_printed(tmp_path):
    # A limit no rule, report model or render can meet: each step is shown as stopped, the steps
    # after it still run and the table is printed with the peak RSS.
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "150", "--no-neo4j",
                          "--out", str(tmp_path), "--markdown", "", "--rule-timeout", "0.001"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = {line.split("  ")[0].strip(): line for line in out.stdout.splitlines() if "  " in line}
    figs = json.loads((tmp_path / "results.json").read_text())["embedded"]["150"]
    assert figs["report: model (build_report)"]["value"] is None and "rule-timeout" in \
        figs["report: model (build_report)"]["stopped"]
    assert figs["report: HTML"]["stopped"] == "no report model"
    assert figs["neighbourhood view (build + render)"]["value"] > 0  # after the stopped rules
    assert "_stopped" not in figs and figs["peak RSS (MB)"]["value"] > 50
    assert lines["peak RSS (MB)"].split()[3] != "-" and "report: model (build_report) stopped" in out.stdout


def test_bench_fills_the_neo4j_column_beside_the_embedded_one(tmp_path, neo4j_server):
    """On the session's Neo4j (NEO4J_URI: the bench replaces its content), every step runs and finds
    what the embedded store finds."""
    import os
    env = {**os.environ, **neo4j_server["env"]}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "150", "--out", str(tmp_path),
                          "--markdown", str(tmp_path / "R.md"), "--rule-timeout", "120"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads((tmp_path / "results.json").read_text())
    emb, neo = res["embedded"]["150"], res["neo4j"]["150"]
    assert "_stopped" not in neo
    for fig in ("import (read + load)", "rules: total", "neighbourhood view (build + render)", "report: HTML"):
        assert neo[fig]["value"] > 0, fig
    assert neo["findings"]["value"] == emb["findings"]["value"] > 0
    assert neo["relationships (imported)"]["value"] == emb["relationships (imported)"]["value"]
    md = (tmp_path / "R.md").read_text()
    assert "## neo4j" in md and f"Neo4j server: neo4j ({neo4j_server['uri']}" in md


def test_findings_other_than_the_baseline_are_a_miss_and_the_same_a_pass(tmp_path):
    """The findings check compares every field of every finding with the recorded run."""
    base = tmp_path / "baseline.json"
    run = [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "150", "--no-neo4j", "--out", str(tmp_path),
           "--markdown", "", "--baseline", str(base)]
    first = subprocess.run(run + ["--write-baseline"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-2000:]
    recorded = json.loads(base.read_text())
    again = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert "findings = baseline (whole pack)" in again.stdout
    assert [l for l in again.stdout.splitlines() if l.startswith("findings = baseline")][-1].endswith("same PASS")
    (name, entry), = recorded.items()
    entry["sha256"] = "0" * 16  # as if one finding had changed
    entry["by_rule"]["transfer_without_safeguard"] = entry["by_rule"].get("transfer_without_safeguard", 0) + 1
    base.write_text(json.dumps({name: entry}))
    changed = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert [l for l in changed.stdout.splitlines() if l.startswith("findings = baseline")][-1].endswith("same MISS")
    figs = json.loads((tmp_path / "results.json").read_text())["embedded"]["150"]
    assert "transfer_without_safeguard" in figs["findings = baseline (whole pack)"]["stopped"]


def test_the_parse_floor_is_the_least_of_five_single_threaded_parses(tmp_path):
    """The import's parse floor in CPU: pyarrow on one thread, best of 5 samples after a warm-up parse;
    beside it the threaded parse (the former definition), each a real parse of the file."""
    import pyarrow.csv as pacsv
    from run import FLOOR_SAMPLES, parse_floor_cpu
    data = tmp_path / "r.csv"
    data.write_text("a,b\n" + "".join(f"{i},x{i % 7}\n" for i in range(20000)))
    seen = []

    def parse(opts):
        seen.append(None if opts is None else opts.use_threads)
        return pacsv.read_csv(data, read_options=opts)
    floor, threaded, (least, most) = parse_floor_cpu(parse, pacsv)
    assert 0 < floor == least <= most and threaded > 0
    assert seen[0] is False  # the warm-up
    single, with_threads = seen.count(False), seen.count(None)
    assert single >= FLOOR_SAMPLES + 1 and with_threads >= FLOOR_SAMPLES and single + with_threads == len(seen)
    assert seen.index(None) == single  # the single-threaded samples first, then the threaded ones
