"""The `ropa` command: every command has help; check gates CI by exit code."""
import json

import pytest

from conftest import register_bytes, row
from ropa.cli import build_parser, main


def subcommands():
    return sorted(build_parser()._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0 and "usage: ropa " + command in capsys.readouterr().out


def test_check_sample_json_has_the_fixed_keys(capsys):
    assert main(["check", "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {"rule", "severity", "subject", "path", "reason", "legal_source", "evidence", "exporter", "importer"} <= set(findings[0])
    assert any(f["rule"] == "privacy_shield_reliance" and f["subject"] == "Rollbar" for f in findings)


@pytest.mark.parametrize("fail_on,code", [("high", 1), ("medium", 1), (None, 0)])
def test_fail_on_sets_the_exit_code(tmp_path, fail_on, code, capsys):
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(row(recipient="Cloud Inc", recipient_country="US", mechanism="safe harbour")))
    args = ["check", str(f)] + (["--fail-on", fail_on] if fail_on else [])
    assert main(args) == code
    assert "safe_harbor_reliance" in capsys.readouterr().out


def test_clean_register_passes_the_gate(tmp_path):
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(row(recipient="Proc GmbH", recipient_role="processor", recipient_country="DE")))
    assert main(["check", str(f), "--fail-on", "low"]) == 0


def test_as_of_changes_the_verdict(tmp_path, capsys):
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(row(recipient="Cloud Inc", recipient_country="US", mechanism="privacy shield")))
    assert main(["check", str(f), "--as-of", "2020-07-01", "--fail-on", "high"]) == 0
    assert main(["check", str(f), "--as-of", "2020-07-16", "--fail-on", "high"]) == 1


def test_bad_input_exits_2_naming_row_and_column(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_bytes(register_bytes(row(recipient="X", tia="perhaps")))
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, row 2, column 'tia', value 'perhaps'" in err


def test_import_then_export_through_the_store(tmp_path, capsys):
    from ropa.samples import EXAMPLE_REGISTER
    store = str(tmp_path / "s.lbdb")
    assert main(["import", str(EXAMPLE_REGISTER), "--store", store]) == 0
    out = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--store", store]) == 0
    assert "SMS Relay Inc" in out.read_text(encoding="utf-8-sig")


def test_piping_into_a_reader_that_stops_early_is_not_an_error():
    import subprocess
    import sys
    out = subprocess.run(f"{sys.executable} -m ropa check --format json | head -c 10", shell=True,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("[") and "Traceback" not in out.stderr, out.stderr


def test_check_without_files_reads_the_store_and_gates_on_it(tmp_path, capsys):
    """`ropa import X && ropa check --fail-on high` gates on X, not on the sample; stderr names the store."""
    store = str(tmp_path / "mine.lbdb")
    clean = tmp_path / "clean.csv"
    clean.write_bytes(register_bytes(row(recipient="Proc GmbH", recipient_role="processor", recipient_country="DE")))
    assert main(["import", str(clean), "--store", store]) == 0
    capsys.readouterr()
    assert main(["check", "--store", store, "--fail-on", "high", "--format", "json"]) == 0  # the sample would fail
    out = capsys.readouterr()
    assert json.loads(out.out) == [] or all(f["severity"] != "high" for f in json.loads(out.out))
    assert "mine.lbdb" in out.err and "sample" not in out.err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(register_bytes(row(recipient="Cloud Inc", recipient_country="US", mechanism="safe harbour")))
    assert main(["import", str(bad), "--store", store]) == 0
    capsys.readouterr()
    assert main(["check", "--store", store, "--fail-on", "high"]) == 1
    out = capsys.readouterr()
    assert "Cloud Inc" in out.out and "Rollbar" not in out.out


def test_check_reads_the_store_named_by_ropa_store(tmp_path, capsys, monkeypatch):
    store = tmp_path / "env.lbdb"
    monkeypatch.setenv("ROPA_STORE", str(store))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(register_bytes(row(recipient="Cloud Inc", recipient_country="US", mechanism="safe harbour")))
    assert main(["import", str(bad)]) == 0
    capsys.readouterr()
    assert main(["check", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert {f["subject"] for f in json.loads(out.out) if f["rule"] == "safe_harbor_reliance"} == {"Cloud Inc"}
    assert str(store) in out.err


def test_check_on_an_empty_store_says_it_reads_the_sample(tmp_path, capsys):
    assert main(["check", "--store", str(tmp_path / "none.lbdb"), "--format", "json"]) == 0
    out = capsys.readouterr()
    assert any(f["subject"] == "Rollbar" for f in json.loads(out.out))
    assert "sample" in out.err and "none.lbdb" in out.err
