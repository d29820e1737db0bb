"""Faithful reading: a file is read as it means, or what could not be read is said (issue 14).

Each test here failed on the code before its fix: a heading that only resembles an alias
shadowed the real column, a garbage relationships file read as "no relationships", a hidden
sheet read instead of the register, mixed encodings decoded as one, Unicode twins split into
two organisations, control characters breaking exports, and tracebacks where a user needs
file, row, column and value.
"""
from __future__ import annotations

import io

import pytest

from conftest import register_bytes, row
from ropa.cli import main
from ropa.errors import FormatError, InputError
from ropa.formats import read_file
from ropa.formats.register import map_header


def _register(text: str) -> bytes:
    return text.encode("utf-8")


# -- headings ----------------------------------------------------------------------------------

def test_an_alias_prefix_does_not_shadow_the_recipient_country(tmp_path, capsys):
    f = tmp_path / "r.csv"
    f.write_bytes(_register("controller,Country of controller,activity,recipient,recipient_country,mechanism\n"
                            "Acme BV,NL,Payroll,Cloud Inc,US,safe harbour\n"))
    g = read_file(io.BytesIO(f.read_bytes()), f.name)
    orgs = dict(zip(g.nodes["Organisation"]["name"], g.nodes["Organisation"]["country"]))
    assert orgs == {"Acme BV": "NL", "Cloud Inc": "US"}
    assert main(["check", str(f), "--fail-on", "high"]) == 1
    assert "safe_harbor_reliance" in capsys.readouterr().out


def test_a_heading_that_starts_like_an_alias_is_not_that_column():
    mapping, problems = map_header(["controller", "activity", "Safeguard review date", "mechanism"], "r.csv")
    assert mapping == {0: "controller", 1: "activity", 3: "mechanism"}
    assert any(p.column == "Safeguard review date" and "not used" in p.message for p in problems)


def test_an_exact_canonical_heading_wins_over_an_alias_that_comes_first():
    mapping, problems = map_header(["controller", "Transfer mechanism", "activity", "mechanism"], "r.csv")
    assert mapping[3] == "mechanism" and 1 not in mapping
    assert any(p.column == "Transfer mechanism" and "'mechanism'" in p.message for p in problems)


def test_template_headings_with_their_qualifiers_still_map():
    ico = ["controller", "Business function",
           "Names of third countries or international organisations that personal data are transferred to "
           "(if applicable)", "Retention schedule (if possible)", "Finalité(s)"]
    mapping, problems = map_header(ico, "ico.csv")
    assert mapping == {0: "controller", 1: "activity", 2: "recipient_country", 3: "retention", 4: "purpose"}
    assert not problems


def test_a_heading_that_could_be_two_columns_is_reported():
    mapping, problems = map_header(["controller", "activity", "Country"], "r.csv")
    said = [p for p in problems if p.column == "Country"]
    assert said and "controller_country" in said[0].message and "recipient_country" in said[0].message
    assert said[0].row == 1 and said[0].file == "r.csv"


# -- bundles -----------------------------------------------------------------------------------

def _bundle_with(rel_text: str) -> bytes:
    import zipfile
    from ropa.formats import write_file
    from ropa.samples import example_graph
    buf = io.BytesIO()
    write_file(example_graph(), buf, "bundle")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for n in zin.namelist():
            zout.writestr(n, rel_text if n == "relationships.csv" else zin.read(n))
    return out.getvalue()


def test_a_bundle_whose_relationships_file_is_a_garbage_header_is_refused(tmp_path, capsys):
    data = _bundle_with("\x89PNG garbage;;not,a header\r\n")
    with pytest.raises(FormatError) as info:
        read_file(io.BytesIO(data), "b.zip")
    p = info.value.problems[0]
    assert p.file == "b.zip/relationships.csv" and p.row == 1 and "type" in p.message
    f = tmp_path / "b.zip"
    f.write_bytes(data)
    assert main(["check", str(f)]) == 2
    assert "b.zip/relationships.csv, row 1" in capsys.readouterr().err


def test_a_bundle_with_no_relationships_but_a_proper_header_still_reads():
    data = _bundle_with("type,src_label,src,dst_label,dst\r\n")
    g = read_file(io.BytesIO(data), "b.zip")
    assert len(g.nodes["Organisation"]) and not len(g.rels["DISCLOSES_TO"])


# -- what the CLI says -------------------------------------------------------------------------

def test_the_cli_prints_every_problem_once_in_order_warning_first(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_bytes(register_bytes(row(recipient="X", recipient_country="Atlantis", tia="perhaps"),
                                 row(activity="Billing", recipient="Y", dpa="maybe")))
    assert main(["check", str(f)]) == 2
    lines = capsys.readouterr().err.splitlines()
    body = [ln.strip() for ln in lines[1:]]
    assert lines[0].startswith("error: bad.csv") and "2 error(s) and 1 warning(s)" in lines[0]
    assert body == ["warning: bad.csv, row 2, column 'recipient_country', value 'Atlantis': country not recognised; "
                    "kept as written and reported as unknown_country",
                    "error: bad.csv, row 2, column 'tia', value 'perhaps': expected yes/no (ja/nee, oui/non, "
                    "true/false, 1/0)",
                    "error: bad.csv, row 3, column 'dpa', value 'maybe': expected yes/no (ja/nee, oui/non, "
                    "true/false, 1/0)"]


def test_a_hundred_thousand_unknown_columns_are_one_line(tmp_path, capsys):
    n = 100_000
    header = "controller,activity," + ",".join(f"x{i}" for i in range(n))
    f = tmp_path / "wide.csv"
    f.write_bytes((header + "\nAcme BV,Payroll" + "," * n + "\n").encode())
    assert main(["check", str(f)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) < 10, err[:12]
    assert any("column not used by the register format (100000 times: row 1 column 'x0'" in e for e in err), err


# -- no traceback reaches a user ---------------------------------------------------------------

def _snapshot_zip(path, manifest: str) -> None:
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("nodes.csv", "label,id\r\n")
        z.writestr("relationships.csv", "type,src_label,src,dst_label,dst\r\n")
        z.writestr("snapshot.json", manifest)


@pytest.mark.parametrize("manifest,column", [
    ('[1, 2]', None),
    ('{"name": "q4"}', "as_of"),
    ('{"as_of": "soon"}', "as_of"),
    ('{"as_of": "2026-01-01", "findings": {"a": 1}}', "findings"),
    ('{"as_of": "2026-01-01", "findings": [{"rule": "x"}]}', "findings[0].severity"),
    ('{"as_of": "2026-01-01", "findings": [{"rule": "x", "severity": 5, "subject": "s"}]}', "findings[0].severity"),
    ('{"as_of": "2026-01-01", "name": ["x"]}', "name"),
])
def test_a_malformed_snapshot_manifest_is_named_not_a_traceback(tmp_path, capsys, manifest, column):
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    _snapshot_zip(snaps / "q4.zip", manifest)
    assert main(["snapshot", "list", "--snapshots", str(snaps)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "q4.zip/snapshot.json" in err and "not a readable snapshot" in err
    assert main(["report", "--out", str(tmp_path / "r.md"), "--diff-against", "q4", "--snapshots", str(snaps),
                 "--store", str(tmp_path / "none.lbdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "q4.zip/snapshot.json" in err
    if column:
        assert f"column {column!r}" in err
    assert not (tmp_path / "r.md").exists()


def test_folders_fifos_and_devices_are_refused_as_inputs(tmp_path, capsys):
    import os
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path, kind in ((tmp_path, "a folder"), (fifo, "a pipe (FIFO)"), ("/dev/zero", "a character device")):
        for argv in (["check", str(path)], ["import", str(path), "--store", str(tmp_path / "s.lbdb")],
                     ["report", str(path), "--out", str(tmp_path / "r.md")], ["extract", str(path)]):
            assert main(argv) == 2, argv  # neither blocks on the FIFO nor reads /dev/zero forever
            err = capsys.readouterr().err
            assert err == f"error: {path}, column 'FILE': is {kind}, not a file; give a register or graph file\n"


@pytest.mark.parametrize("argv", [["export", "--sample", "--format", "csv"], ["report", "--format", "md"]])
def test_out_naming_a_folder_is_refused(tmp_path, capsys, argv):
    assert main(argv + ["--out", str(tmp_path), "--store", str(tmp_path / "none.lbdb")]) == 2
    err = capsys.readouterr().err
    assert f"column '--out', value '{tmp_path}': is a folder; give a file name" in err
    assert list(tmp_path.iterdir()) == []


def _run_capped(argv, cwd, fsize):
    """``ropa ARGV`` in a child whose files may not grow past ``fsize`` bytes (a write fails as on a full disk)."""
    import resource
    import signal
    import subprocess
    import sys

    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing the child
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return subprocess.run([sys.executable, "-m", "ropa", *argv], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=cap, timeout=300)


@pytest.mark.parametrize("argv", [["export", "--sample", "--format", "csv", "--out", "out.csv"],
                                  ["export", "--sample", "--format", "graphml", "--out", "out.graphml"],
                                  ["report", "--format", "html", "--out", "out.html", "--store", "none.lbdb"]])
def test_a_write_that_runs_out_of_room_exits_2_and_leaves_nothing(tmp_path, argv):
    (tmp_path / "out.csv").write_text("the old export\n")
    out = _run_capped(argv, tmp_path, 4096)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]  # a "reading ..." note may come first
    assert len(errors) == 1 and errors[0].startswith(f"error: cannot write {argv[argv.index('--out') + 1]}: File too large")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["out.csv"] and (tmp_path / "out.csv").read_text() == "the old export\n", left


def test_a_full_disk_during_export_exits_2_and_leaves_nothing(tmp_path):
    """A real ENOSPC on a 64 KiB tmpfs, where the machine lets a user namespace mount one."""
    import shutil
    import subprocess
    import sys
    if not shutil.which("unshare"):
        pytest.skip("no unshare(1) to mount a small tmpfs")
    mnt = tmp_path / "small"
    mnt.mkdir()
    script = (f"mount -t tmpfs -o size=64k none {mnt} && echo old > {mnt}/out.csv && "
              f"head -c 56000 /dev/zero > {mnt}/fill && cd {mnt} && "
              f"{sys.executable} -m ropa export --sample --format csv --out out.csv; echo rc=$?; ls -A {mnt}")
    run = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    if "rc=" not in run.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()[:200]}")
    assert "rc=2" in run.stdout and "Traceback" not in run.stderr, run.stderr
    assert "error: cannot write out.csv: No space left on device" in run.stderr
    assert run.stdout.split("rc=2", 1)[1].split() == ["fill", "out.csv"]  # the old file, and no .part


def test_a_zero_byte_store_is_not_read_as_the_sample_data(tmp_path, capsys):
    store = tmp_path / "ropa.lbdb"
    store.touch()
    for argv in (["report", "--out", str(tmp_path / "r.md")], ["export", "--format", "csv", "--out", "-"],
                 ["snapshot", "save", "q4"]):
        assert main(argv + ["--store", str(store)]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"error: the store {store} is an empty file (0 bytes)"), err
    assert not (tmp_path / "r.md").exists()


def test_a_store_whose_text_is_damaged_exits_2(tmp_path, capsys):
    """Bytes of the stored names overwritten: reading them fails to decode, which is said, not raised."""
    import random
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.samples import example_graph
    with EmbeddedBackend(tmp_path / "base") as s:  # a store directory: damage its current state's database
        s.load(example_graph())
        data0 = s._dir.data_path(s._state).read_bytes()
    at = data0.find(b"SMS Relay Inc")
    assert at > 0
    hit = None
    for seed in range(40):  # damage near the names until a read meets bytes that are not UTF-8
        rnd = random.Random(seed)
        data = bytearray(data0)
        for _ in range(4):
            data[at + rnd.randrange(-2000, 2000)] = rnd.choice([0xFF, 0xC3, 0x80, 0xFE])
        store = tmp_path / f"s{seed}.lbdb"
        store.write_bytes(bytes(data))
        try:
            with EmbeddedBackend(store, read_only=True) as s:
                s.export()
        except UnicodeDecodeError:
            hit = store
            break
        except Exception:  # noqa: BLE001 - other damage is said otherwise; this test is about undecodable text
            continue
    if hit is None:
        pytest.skip("no damage pattern met undecodable text in this version of the store")
    assert main(["export", "--format", "json", "--out", "-", "--store", str(hit)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the store {hit} holds text that is not valid UTF-8"), err


def test_extract_refuses_a_huge_file_without_reading_it(tmp_path):
    """A 6 GB sparse file under a 3 GB address-space limit: reading it whole would fail with MemoryError."""
    import resource
    import subprocess
    import sys
    big = tmp_path / "notice.txt"
    with open(big, "wb") as fp:
        fp.truncate(6 * 1024 ** 3)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))
    out = subprocess.run([sys.executable, "-m", "ropa", "extract", str(big)], capture_output=True, text=True,
                         preexec_fn=cap, timeout=300)
    assert out.returncode == 2, out.stderr[-500:]
    assert "notice.txt: the notice is 6,442,450,944 bytes long; at most 8,388,608 are read" in out.stderr


# -- one organisation, however its name is encoded ---------------------------------------------

NFC, NFD = "Caf\u00e9 Cloud SAS", "Cafe\u0301 Cloud SAS"


def test_nfc_and_nfd_twins_are_one_organisation_with_the_name_first_written():
    g = read_file(io.BytesIO(register_bytes(row(recipient=NFC, recipient_country="FR"),
                                            row(activity="Billing", recipient=NFD, recipient_country="FR"))), "r.csv")
    names = list(g.nodes["Organisation"]["name"])
    assert sorted(names) == ["Acme BV", NFC]
    assert len(g.rels["DISCLOSES_TO"]) == 2 and len(set(g.rels["DISCLOSES_TO"]["dst"])) == 1


@pytest.mark.parametrize("twin", [NFD, "Caf\u00e9\u200b Cloud SAS", "\ufeffCaf\u00e9 Cloud\u2060 SAS", "Caf\u00e9 Clou\u00add SAS"])
def test_unicode_twins_do_not_escape_the_country_conflict_check(twin):
    data = register_bytes(row(recipient=NFC, recipient_country="FR"),
                          row(activity="Billing", recipient=twin, recipient_country="US"))
    with pytest.raises(InputError) as info:
        read_file(io.BytesIO(data), "r.csv")
    p = next(p for p in info.value.problems if p.severity == "error")
    assert (p.row, p.column, p.value) == (3, "recipient_country", "US") and "already has recipient_country 'FR'" in p.message


def test_a_name_of_invisible_characters_only_still_has_an_identity():
    g = read_file(io.BytesIO(register_bytes(row(recipient="\u200b", recipient_country="FR"))), "r.csv")
    assert all(g.nodes["Organisation"]["id"])


# -- control characters: every writer, every re-import ----------------------------------------

CONTROL = "Acme\x1b[31m Cloud\x01\x7f Inc"  # an ESC sequence pasted from a terminal, SOH and DEL
LITERAL = "Data _x001B_ Ltd"                 # text that looks like the spreadsheet escape itself


def _controlled():
    from ropa.samples import example_graph
    data = register_bytes(row(recipient=CONTROL, recipient_country="US", mechanism="scc_2021",
                              mechanism_date="2022-01-10", tia="yes", evidence="quote\x0bwith a vertical tab"),
                          row(activity="Billing", recipient=LITERAL, recipient_country="FR"))
    return example_graph().merge(read_file(io.BytesIO(data), "ctl.csv"))


def _round_trip(g, fmt):
    from ropa.formats import write_file
    buf = io.BytesIO()
    write_file(g, buf, fmt)
    return read_file(io.BytesIO(buf.getvalue()), f"out.{'zip' if fmt == 'bundle' else fmt}")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "bundle", "json", "graphml"])
def test_every_export_of_control_characters_reimports_to_the_same_fingerprint(fmt):
    from test_formats import assert_same
    g = _controlled()
    back = _round_trip(g, fmt)
    names = set(back.nodes["Organisation"]["name"])
    assert CONTROL in names and LITERAL in names
    assert_same(g, back, register_like=fmt in ("csv", "xlsx"))  # every value, control characters included
    assert back.merge(g).counts() == g.counts()  # no twin organisation, activity or hop appears
    if fmt in ("csv", "xlsx"):  # a register has no row numbers or quotes of its own: from the first export on
        assert _round_trip(back, fmt).fingerprint() == back.fingerprint()
    else:
        assert back.fingerprint() == g.fingerprint()


def test_graphml_with_control_characters_is_well_formed_xml(tmp_path, capsys):
    import xml.etree.ElementTree as ET
    from ropa.backends.embedded import EmbeddedBackend
    store = tmp_path / "s.lbdb"
    with EmbeddedBackend(store) as s:
        s.load(_controlled())
    out = tmp_path / "g.graphml"
    assert main(["export", "--format", "graphml", "--out", str(out), "--store", str(store)]) == 0
    ET.parse(out)  # raises on an illegal character


# -- workbooks ---------------------------------------------------------------------------------

def _workbook(sheets: list[tuple[str, str, list[list]]]) -> bytes:
    """An XLSX of (title, state, rows) sheets, as openpyxl writes it (formulas without saved values)."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for title, state, rows in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEAD = ["controller", "activity", "recipient", "recipient_country", "mechanism"]


def test_a_hidden_first_sheet_is_not_read_instead_of_the_register():
    data = _workbook([("Old", "hidden", [HEAD, ["Acme BV", "Payroll", "Old Vendor", "DE", ""]]),
                      ("Lists", "veryHidden", [["countries"], ["DE"]]),
                      ("Sheet1", "visible", [HEAD, ["Acme BV", "Payroll", "Cloud Inc", "US", "safe harbour"]])])
    g = read_file(io.BytesIO(data), "r.xlsx")
    assert sorted(g.nodes["Organisation"]["name"]) == ["Acme BV", "Cloud Inc"]
    said = [str(w) for w in g.warnings if "sheet" in w.message]
    assert said and "'Sheet1'" in said[0] and "'Old' (hidden)" in said[0], said


def test_the_sheet_named_like_a_register_is_read_and_said():
    data = _workbook([("Instructions", "visible", [["Fill in the register on the next sheet"]]),
                      ("Verwerkingsregister", "visible", [HEAD, ["Acme BV", "Payroll", "Cloud Inc", "US", ""]])])
    g = read_file(io.BytesIO(data), "r.xlsx")
    assert "Cloud Inc" in set(g.nodes["Organisation"]["name"])
    assert any("'Verwerkingsregister'" in w.message for w in g.warnings)


def test_a_formula_without_a_saved_value_is_warned_per_cell():
    data = _workbook([("Register", "visible", [HEAD, ["Acme BV", "Payroll", "Cloud Inc", '=IF(1,"US","")', ""],
                                               ["Acme BV", "Billing", "Mail Inc", "US", "=E2"]])])
    g = read_file(io.BytesIO(data), "r.xlsx")
    said = [w for w in g.warnings if "formula" in w.message]
    assert [(w.file, w.row, w.column) for w in said] == [("r.xlsx", 2, "recipient_country"), ("r.xlsx", 3, "mechanism")]
    assert "sheet 'Register', cell D2" in said[0].message and said[0].value == '=IF(1,"US","")'
    assert "sheet 'Register', cell E3" in said[1].message


# -- one file, two encodings -------------------------------------------------------------------

def _mixed() -> bytes:
    head = "controller,controller_country,activity,recipient,recipient_country\n".encode()
    return (head + "Müller & Söhne GmbH,DE,Payroll,Straßburger Lohnbüro AG,FR\n".encode("utf-8")
            + "Müller & Söhne GmbH,DE,Billing,Café Crème SARL,FR\n".encode("cp1252")
            + "Müller & Söhne GmbH,DE,Hiring,Jobs Inc,US\n".encode("utf-8"))


def test_utf8_and_cp1252_rows_in_one_file_are_each_decoded_right_and_said():
    g = read_file(io.BytesIO(_mixed()), "mixed.csv")
    assert sorted(g.nodes["Organisation"]["name"]) == ["Café Crème SARL", "Jobs Inc", "Müller & Söhne GmbH",
                                                       "Straßburger Lohnbüro AG"]
    said = [w for w in g.warnings if "cp1252" in w.message]
    assert [(w.file, w.row) for w in said] == [("mixed.csv", 3)], [str(w) for w in g.warnings]
    assert "UTF-8" in said[0].message


def test_a_row_in_neither_encoding_is_named():
    data = _mixed() + b"Acme BV,NL,Payroll,Bad \x81\x8d Inc,US\n"  # bytes cp1252 leaves undefined, not UTF-8
    with pytest.raises(FormatError) as info:
        read_file(io.BytesIO(data), "mixed.csv")
    p = info.value.problems[0]
    assert (p.file, p.row) == ("mixed.csv", 5) and "UTF-8 or cp1252" in p.message


def test_an_unexpected_failure_is_one_line_and_exit_2(monkeypatch, capsys):
    import ropa.cli as cli
    monkeypatch.delenv("ROPA_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_rules", lambda args: {}["boom"])
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["rules"].set_defaults(func=cli.cmd_rules)
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected KeyError: 'boom'") and "Traceback" not in err
    monkeypatch.setenv("ROPA_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["rules"])


def test_a_full_standard_output_exits_2_in_one_line():
    import subprocess
    import sys
    with open("/dev/full", "wb") as full:
        out = subprocess.run([sys.executable, "-m", "ropa", "export", "--sample", "--format", "csv", "--out", "-"],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert out.returncode == 2 and out.stderr == "error: No space left on device\n", out.stderr


@pytest.mark.parametrize("fmt", ["xlsx", "graphml"])
@pytest.mark.parametrize("text", ["_x005F_", "_x005F_x005F_", "a_x0041_x0042_b", "_x001B_\x1b"])
def test_text_that_looks_like_an_escape_survives_the_escaping_formats(fmt, text):
    """Found by the format-chain property test: '_x005F_' came back from an XLSX as '_'."""
    g = read_file(io.BytesIO(register_bytes(row(recipient=text + " Inc", recipient_country="FR"))), "r.csv")
    back = _round_trip(g, fmt)
    assert text + " Inc" in set(back.nodes["Organisation"]["name"])
