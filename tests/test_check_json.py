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


def _reference_json(findings) -> str:
    """What `ropa check --format json` wrote before it was written a column at a time: one
    JSONEncoder call per finding (the definition the column writer must match byte for byte)."""
    keys = ["rule", "severity", "subject", "path", "reason", "legal_source", "evidence", "controller",
            "activity", "exporter", "importer", "destination", "mechanism", "remediation", "source", "row"]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = ["["]
    for i, f in enumerate(findings):
        out.append(("\n" if i == 0 else ",\n") + encode({k: getattr(f, k) for k in keys}))
    out.append("\n]\n" if findings else "]\n")
    return "".join(out)


def _awkward_findings():
    from ropa.findings import Finding
    texts = ['plain', 'quote " and \\ backslash', 'tab\tnew\nline\r', 'ctrl \x00\x1b\x7f', 'é ü 中文 😀',
             '\u2028\u2029', '=cmd|x', '', '</script><script>', '\ud800'.encode('utf-8', 'surrogatepass')
             .decode('utf-8', 'replace')]
    out = []
    for i in range(60):
        t = texts[i % len(texts)]
        u = texts[(i * 7 + 3) % len(texts)]
        out.append(Finding(rule=f"r{i % 3}", severity=("low", "medium", "high")[i % 3], subject=t,
                           path=[] if i % 4 == 0 else [t, u, t][: 1 + i % 3], reason=u + t, legal_source=t,
                           evidence=u, controller=t, activity=u, exporter=t, importer=u, destination="US",
                           mechanism=t if i % 2 else "", remediation=u, source=t,
                           row=None if i % 5 == 0 else i * 1000003 - 7, title="x", article="y"))
    return out


def test_the_column_writer_writes_what_one_encoder_call_per_finding_wrote():
    """Same bytes as the reference, on awkward texts (quotes, control characters, non-BMP, line
    separators), empty and long paths, rows missing or large, and on no findings at all."""
    import io

    from ropa.cli import write_findings_json
    for findings in (_awkward_findings(), _awkward_findings()[:1], []):
        for chunk in (1, 7, 10_000):
            buf = io.StringIO()
            write_findings_json(findings, buf, chunk=chunk)
            assert buf.getvalue() == _reference_json(findings)


def test_the_json_of_the_sample_is_the_reference_json(capsys):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    from ropa.samples import sample_graph
    import datetime as dt
    with EmbeddedBackend() as store:
        store.replace(sample_graph())
        findings = evaluate(store, dt.date(2026, 12, 1))
    assert main(["check", str(SEED_REGISTER), "--as-of", "2026-12-01", "--format", "json"]) == 0
    assert capsys.readouterr().out == _reference_json(findings)
