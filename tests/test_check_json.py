"""`ropa check --format json`: compact, one finding per line, and the same findings as the table."""
import json

from ropa.cli import main
from ropa.samples import SEED_REGISTER


def test_json_is_one_finding_per_line_and_parses(capsys):
    assert main(["check", str(SEED_REGISTER), "--as-of", "2026-12-01", "--format", "json"]) == 0
    out = capsys.readouterr().out
    found = json.loads(out)
    lines = out.splitlines()
    assert found and lines[0] == "[" and lines[-1] == "]" and len(lines) == len(found) + 2
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == found
    assert "\n  " not in out  # no indentation
    assert {"rule", "severity", "reason", "row", "source"} <= set(found[0])
    assert main(["check", str(SEED_REGISTER), "--as-of", "2026-12-01"]) == 0
    table = capsys.readouterr().out
    assert f"{len(found)} findings as of 2026-12-01" in table
