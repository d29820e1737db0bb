"""The columnar register importer gives exactly what the old row-by-row one gave.

``register_oracle.py`` is the importer as it was (one Python dict per row). Both read the
same bytes; they must agree on the graph (canonical form, so ids and every property), on
the warnings, and on refusals (the same problems: file, row, column, value, message, in
the same order). Real registers first, then generated ones full of the awkward cases.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import HEADER, ROOT, SHARED
from register_oracle import oracle_read_register, read_register_rows as oracle_rows
from ropa.errors import InputError
from ropa.formats.register import read_register, read_register_rows, rows_to_graph


def outcome(read, data: bytes, name: str):
    """What a reader makes of the bytes: the graph and its warnings, or the refusal."""
    try:
        g = read(data, name)
    except InputError as exc:
        return type(exc).__name__, exc.problems
    return g.canonical(), g.warnings


def plain(graph):
    """The canonical form as the fingerprint sees it (9 and 9.0 differ there)."""
    return json.dumps(graph, sort_keys=True, default=str, indent=0)


def new_read(data: bytes, name: str):
    return read_register(io.BytesIO(data), name)


def assert_same(data: bytes, name: str = "r.csv"):
    old = outcome(oracle_read_register, data, name)
    new = outcome(new_read, data, name)
    assert plain(new[0]) == plain(old[0])
    assert [vars(p) for p in new[1]] == [vars(p) for p in old[1]]
    return old


REGISTERS = [ROOT / "data" / "register-template.csv", *sorted((ROOT / "data" / "samples").glob("*.csv")),
             *sorted(SHARED.glob("examples/*.csv"))]


@pytest.mark.parametrize("path", REGISTERS, ids=lambda p: p.name)
def test_every_register_we_have_gives_the_same_graph(path: Path):
    graph, warnings = assert_same(path.read_bytes(), path.name)
    assert isinstance(graph, dict) and graph["nodes"]["Activity"]  # the real ones import


def test_the_same_graph_from_xlsx():
    import pandas as pd
    rows = list(csv.reader(io.StringIO((ROOT / "data" / "samples" / "seeds-register.csv").read_text("utf-8-sig"))))
    buf = io.BytesIO()
    pd.DataFrame([["Record of processing"], [""]] + rows[:1] + [[""]] + rows[1:]).to_excel(
        buf, header=False, index=False)
    graph, _ = assert_same(buf.getvalue(), "seeds.xlsx")
    assert len(graph["nodes"]["Activity"]) > 40


def test_drafts_from_privacy_notices_give_the_same_graph():
    """rows_to_graph is what the explorer's notice import calls with reviewed draft rows."""
    from register_oracle import rows_to_graph as oracle_rows_to_graph
    from ropa.extract import extract
    from ropa.extract.output import register_rows
    notices = sorted((ROOT / "tests" / "notices").glob("*.txt"))
    assert notices
    for p in notices:
        rows = [(i + 2, r) for i, r in enumerate(register_rows(extract(p.read_text("utf-8"), p.name)))]
        old = oracle_rows_to_graph(rows, p.name)
        new = rows_to_graph(rows, p.name)
        assert new.fingerprint() == old.fingerprint() and new.warnings == old.warnings, p.name


# -- generated registers ---------------------------------------------------------------

NAMES = ["Acme BV", "acme  bv", "ACME BV", "Cloud Inc", "cloud inc", "Other BV", "other bv", "Pay Co", "Nobody", ""]
COUNTRY = ["", "NL", "US", "Verenigde Staten", "Atlantis", "EEA", "uk", "Dublin, Ireland", "n/a"]
PLACES = ["", "US", "US; DE", "Atlantis;Narnia", "EER\nUS", "  ;  ", "IN; Atlantis ; US"]
MECH = ["", "scc_2021", "Standard Contractual Clauses", "EU-US Privacy Shield", "none", "magic", "adequacy"]
YES_NO = ["", "yes", "Nee", "oui", "1", "maybe", " ja "]
DATES = ["", "2021-06-04", "04/06/2021", "2021-02-30", "2021-7", "soon"]
ROLES = ["", "processor", "Verwerker", "sub-processor", "friend", "controller"]
LISTS = ["", "name", "name; health data", "Name;name ; strafrechtelijke gegevens", "employees\npatients"]
FREE = ["", "x", "Pay staff", "=cmd()", "'=cmd()", "  spaced  out  "]
SECTOR = ["", "private", "publiek", "nonsense"]

CELLS = {
    "controller": NAMES[:3] + ["Other BV", ""], "controller_country": COUNTRY, "activity": ["Payroll", "payroll ", "HR", ""],
    "purpose": FREE, "legal_basis": FREE, "special_condition": FREE, "data_subjects": LISTS, "data_categories": LISTS,
    "retention": FREE, "security_measures": LISTS, "recipient": NAMES, "recipient_role": ROLES,
    "engaged_by": NAMES, "recipient_country": COUNTRY, "processing_countries": PLACES, "mechanism": MECH,
    "mechanism_date": DATES, "tia": YES_NO, "dpa": YES_NO, "dpf_certified": YES_NO, "evidence": FREE + ["b", "a"],
    "source": ["", "notice:x", "seed:y", "reg"], "recipient_sector": SECTOR, "occasional": YES_NO,
    "dpf_checked": DATES, "joint": YES_NO,
}
COLUMNS = HEADER + ["recipient_sector", "occasional", "dpf_checked", "joint"]


@st.composite
def registers(draw):
    """A register with a few columns varied at a time, so most rows are valid and some are not."""
    varied = draw(st.sets(st.sampled_from(COLUMNS), min_size=1, max_size=6)) | draw(
        st.sets(st.sampled_from(["controller", "activity", "recipient", "engaged_by"])))
    base = {c: CELLS[c][1] if len(CELLS[c]) > 1 and c in ("controller", "activity") else "" for c in COLUMNS}
    base.update(controller="Acme BV", activity="Payroll", recipient="Cloud Inc")
    rows = []
    for i in range(draw(st.integers(1, 12))):
        r = {**base, "recipient": f"Vendor {i % 4}"}
        for c in varied:
            r[c] = draw(st.sampled_from(CELLS[c]))
        rows.append(r)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


POOL = ["Acme BV", "Other BV", "other  BV", "Cloud Inc", "Sub Ltd"]


@st.composite
def networks(draw):
    """Organisations that are controller in one row and recipient or engager in another."""
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        rows.append({"controller": draw(st.sampled_from(POOL)), "activity": draw(st.sampled_from(["HR", "Payroll"])),
                     "controller_country": draw(st.sampled_from(["", "NL", "US", "Atlantis"])),
                     "recipient": draw(st.sampled_from(POOL + [""])), "engaged_by": draw(st.sampled_from(POOL + [""] * 3)),
                     "recipient_country": draw(st.sampled_from(["", "NL", "US", "Atlantis"])),
                     "processing_countries": draw(st.sampled_from(PLACES)),
                     "evidence": draw(st.sampled_from(["", "b", "a"])), "source": draw(st.sampled_from(["", "s"])),
                     "mechanism": draw(st.sampled_from(["", "scc_2021"]))})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", restval="")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registers())
def test_generated_registers_give_the_same_graph_and_problems(data):
    assert_same(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_generated_networks_give_the_same_graph_and_problems(data):
    assert_same(data)


# -- the fast CSV path reads what the csv module reads --------------------------------------

TEXT = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t\'=é') + ["\x1f", "\xa0", "\u2028"]), max_size=40)


@settings(max_examples=500, deadline=None)
@given(cells=st.lists(st.lists(TEXT, min_size=1, max_size=4), min_size=1, max_size=5), raw=st.booleans(),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), delimiter=st.sampled_from([",", ";", "\t"]))
def test_csv_cells_and_row_numbers_match_the_csv_module(cells, raw, encoding, delimiter):
    """Quoted or bare (raw: cells written unquoted, stray quotes and all), ragged, blank rows."""
    head = delimiter.join(["controller", "activity", "recipient", "evidence"])
    if raw:
        body = "\n".join(delimiter.join(r) for r in cells)
    else:
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(cells)
        body = buf.getvalue()
    try:
        data = (head + "\n" + body).encode(encoding)
    except UnicodeEncodeError:
        return

    def rows(reader):
        try:
            return reader(io.BytesIO(data), "f.csv")
        except InputError as exc:
            return type(exc).__name__, exc.problems
    assert rows(read_register_rows) == rows(oracle_rows)


def test_the_fast_path_is_taken_for_ordinary_files():
    """Guards the point of the fast path: an ordinary UTF-8 register does not fall back."""
    from ropa.formats.register import _read_csv_fast
    data = (ROOT / "data" / "samples" / "seeds-register.csv").read_bytes()
    header, columns, rownums, ragged = _read_csv_fast(data)
    assert header[:2] == ["controller", "controller_country"] and rownums[0] == 2 and not ragged
    assert _read_csv_fast(b"controller,activity\nA,B\n\nC,D\n") is None  # a blank line: the csv module numbers rows


def test_sub_processor_loops_are_reported_as_before_when_most_chains_end():
    """Only activities whose chains can loop are walked; the warnings are the same, in the same order."""
    rows = [("A", "Cloud Inc", ""), ("A", "Sub Ltd", "Cloud Inc"),           # a chain that ends
            ("B", "Cloud Inc", ""), ("B", "X Ltd", "Cloud Inc"), ("B", "Cloud Inc", "X Ltd"),
            ("A", "Y Ltd", "Cloud Inc"), ("A", "Cloud Inc", "Y Ltd"), ("A", "Z Ltd", "Y Ltd"),
            ("C", "Cloud Inc", ""), ("C", "Sub Ltd", "Cloud Inc")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["controller", "activity", "recipient", "engaged_by"])
    w.writerows([("Acme BV", a, r, e) for a, r, e in rows])
    graph, warnings = assert_same(buf.getvalue().encode())
    loops = [p.message for p in warnings if "loops back" in p.message]
    assert len(loops) == 2 and "activity acme bv::a" in loops[0] and "activity acme bv::b" in loops[1]
