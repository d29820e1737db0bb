"""The streaming XLSX writer (ropa/xlsx.py): what it writes reads back as written, in openpyxl and as
well-formed SpreadsheetML, with formulas neutralised, dates as dates and long tables split over sheets."""
import datetime as dt
import io
import zipfile
from xml.dom.minidom import parseString

import pytest

from ropa import xlsx
from ropa.formats.text import unescape_xml_text, FORMULA_PREFIXES


def _book(tables, **kw):
    buf = io.BytesIO()
    names = xlsx.write_workbook(buf, tables, **kw)
    return names, buf.getvalue()


def _open(data):
    from openpyxl import load_workbook
    return load_workbook(io.BytesIO(data))


def test_values_read_back_with_their_types_and_formulas_inert():
    rows = [["=SUM(1+1)", 3, 2.5, dt.date(2021, 4, 29), dt.datetime(2026, 11, 22, 10, 30), None, True],
            ["x\x01y\x0bz", -7, float("nan"), None, "  padded  ", "<b>&amp;</b>", False],
            ["'=already quoted", 0, None, None, "a\nb", "@cmd", None]]
    names, data = _book([("Data", ["text", "int", "float", "date", "when", "more", "flag"], rows)],
                        title="T & <t>", creator="me")
    assert names == ["Data"]
    wb = _open(data)
    got = [list(r) for r in wb["Data"].iter_rows(min_row=2, values_only=True)]
    assert got[0][:3] == ["'=SUM(1+1)", 3, 2.5]
    assert got[0][3] == dt.datetime(2021, 4, 29) and wb["Data"]["D2"].is_date
    assert wb["Data"]["D2"].number_format == "yyyy\\-mm\\-dd"
    assert got[0][4] == dt.datetime(2026, 11, 22, 10, 30) and got[0][5] is None and got[0][6] == "yes"
    assert got[1][0] == "x_x0001_y_x000B_z"   # characters XML cannot carry are escaped as SpreadsheetML says,
    assert unescape_xml_text(got[1][0]) == "x\x01y\x0bz"  # not a broken file, and given back on reading
    assert got[1][2] is None and got[1][4] == "  padded  " and got[1][5] == "<b>&amp;</b>" and got[1][6] == "no"
    assert got[2][0] == "''=already quoted" and got[2][5] == "'@cmd"
    for row in wb["Data"].iter_rows():
        for c in row:
            assert c.data_type != "f"
            assert not (isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES)), c.value
    assert wb.properties.title == "T & <t>" and wb.properties.creator == "me"


def test_every_part_is_well_formed_xml_and_the_sheet_has_the_house_style():
    rows = [[i, "x" * (30 + i), f"row {i}"] for i in range(1, 600)]
    rows[0][1] = "long " * 40
    _, data = _book([("One", ["#", "text", "name"], rows), ("Two", ["a"], [])])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            parseString(z.read(name))
    wb = _open(data)
    ws = wb["One"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C600" and ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws["A1"].font.b and ws["A1"].value == "#"
    # the text column is wide enough to wrap, so it wraps, and a long cell's row is made taller
    assert ws.column_dimensions["B"].width == xlsx.WRAP_WIDTH and ws["B2"].alignment.wrap_text
    assert ws.row_dimensions[2].height == xlsx.ROW_HEIGHT * xlsx._lines(rows[0][1], xlsx.WRAP_WIDTH) > 15
    assert not ws["C2"].alignment.wrap_text and ws["C2"].alignment.vertical == "top"
    assert wb["Two"].max_row == 1 and [c.value for c in wb["Two"][1]] == ["a"]


def test_a_table_longer_than_a_sheet_goes_on_in_numbered_sheets(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)  # 3 data rows a sheet
    rows = [[i] for i in range(1, 8)]
    names, data = _book([("Findings", ["n"], rows), ("Rules", ["r"], [["x"]])])
    assert names == ["Findings", "Findings (2)", "Findings (3)", "Rules"]
    wb = _open(data)
    seen = [v for n in names[:3] for (v,) in wb[n].iter_rows(min_row=2, values_only=True)]
    assert seen == list(range(1, 8))
    assert all([c.value for c in wb[n][1]] == ["n"] for n in names[:3])


@pytest.mark.parametrize("title,expected", [("a/b:c", "a b c"), ("x" * 40, "x" * 31)])
def test_sheet_names_are_ones_excel_accepts(title, expected):
    assert xlsx.part_titles(title, 1) == [expected]


def test_write_xlsx_writes_data_frames_through_this_writer(monkeypatch):
    """ropa.tables.write_xlsx (ropa export --format xlsx, the explorer's Art. 30 download): frames as
    sheets, header as written, text neutralised exactly once, dates as dates, lists joined, missing
    values empty, numbers as numbers, the house style, long frames split."""
    import pandas as pd

    from ropa.tables import write_xlsx
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)  # 3 data rows a sheet
    people = pd.DataFrame({
        "name": ["=HYPERLINK(\"http://x\")", "'=already", "plain", None],
        "since": [dt.date(2021, 4, 29), None, pd.NaT, dt.date(2020, 1, 2)],
        "route": [["A", "B"], None, ["C"], []],
        "count": [3, 4, 5, 6],
        "share": [0.5, float("nan"), 1.0, 2.0],
    })
    buf = io.BytesIO()
    write_xlsx({"Art. 30(1) controllers": people, "Empty": pd.DataFrame(columns=["a", "b"])}, buf)
    wb = _open(buf.getvalue())
    assert wb.sheetnames == ["Art. 30(1) controllers", "Art. 30(1) controllers (2)", "Empty"]
    first, second = wb["Art. 30(1) controllers"], wb["Art. 30(1) controllers (2)"]
    assert [c.value for c in first[1]] == [c.value for c in second[1]] == list(people.columns)
    rows = ([list(r) for r in first.iter_rows(min_row=2, values_only=True)]
            + [list(r) for r in second.iter_rows(min_row=2, values_only=True)])
    assert rows == [
        ["'=HYPERLINK(\"http://x\")", dt.datetime(2021, 4, 29), "A → B", 3, 0.5],
        ["''=already", None, None, 4, None],
        ["plain", None, "C", 5, 1],
        [None, dt.datetime(2020, 1, 2), "", 6, 2],  # an empty list: an empty text
    ]
    assert first["B2"].is_date and first["B2"].number_format == "yyyy\\-mm\\-dd"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
    assert first.freeze_panes == "A2" and first.auto_filter.ref == "A1:E4" and first["A1"].font.b
    assert first.column_dimensions["A"].width == len('=HYPERLINK("http://x")') + 2
    assert [c.value for c in wb["Empty"][1]] == ["a", "b"] and wb["Empty"].max_row == 1
