"""Reading a register: the cells of a CSV or XLSX, its headings mapped to the canonical columns,
every column cleaned; then :func:`read_register` hands the columns to the graph builder.
"""
from __future__ import annotations

import csv
from typing import BinaryIO

import numpy as np

from ..errors import FormatError, Problem
from ..model import RopaGraph
from .sheets import read_sheet
from .text import MAX_CELL, check_cells, read_table, unneutralise
from .register_columns import (AMBIGUOUS_HEADINGS, BLANK, COLUMNS, COLUMN_ALIASES, OPTIONAL_COLUMNS,
                               REQUIRED_COLUMNS, _factorize, _filled, _heading_key, _object_array, _umap)
from .register_build import columns_to_graph


def map_header(header: list[str], name: str) -> tuple[dict[int, str], list[Problem]]:
    """Map column positions to canonical column names; warn about unused and ambiguous columns.

    An exact canonical heading wins over an alias wherever the alias stands; an alias
    matches a whole heading only; among equals the first column wins. A heading that
    could be two columns (``Country``) is read as it always was when that column is
    free, and reported either way.

    >>> m, problems = map_header(["controller", "Country of controller", "activity", "recipient_country"], "r.csv")
    >>> m
    {0: 'controller', 1: 'controller_country', 2: 'activity', 3: 'recipient_country'}
    """
    mapping: dict[int, str] = {}
    said: list[tuple[int, Problem]] = []
    known = set(COLUMNS + OPTIONAL_COLUMNS)
    keys = [_heading_key(raw) for raw in header]
    taken: dict[str, int] = {}

    def warn(i: int, message: str) -> None:
        said.append((i, Problem(name, 1, header[i], None, message, "warning")))

    # canonical headings first, then aliases, then the ambiguous: none can take the place of a surer one
    for rank in ("exact", "alias"):
        for i, h in enumerate(keys):
            target = (h if h in known else None) if rank == "exact" else \
                (COLUMN_ALIASES.get(h) if h not in known else None)
            if target is None:
                continue
            if taken.setdefault(target, i) != i:
                warn(i, f"a second column maps to {target!r} (the first is {header[taken[target]]!r}); "
                        "only the first is used")
                continue
            mapping[i] = target
    for i, h in enumerate(keys):
        if h in known or h in COLUMN_ALIASES:
            continue
        if h in AMBIGUOUS_HEADINGS:
            guess, *others = AMBIGUOUS_HEADINGS[h]
            could = " or ".join(c for c in (guess, *others) if c)
            if guess and guess not in taken:
                taken[guess], mapping[i] = i, guess
                warn(i, f"the heading could be {could}; read as {guess!r} (rename the column to say which)")
            else:
                warn(i, f"the heading could be {could}; not used (rename the column to say which)")
        elif h:
            warn(i, "column not used by the register format")
    problems = [p for _, p in sorted(said, key=lambda x: x[0])]
    mapping = dict(sorted(mapping.items()))
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.values()]
    if missing:
        problems.append(Problem(name, 1, None, None,
                                f"missing required column(s) {', '.join(missing)}; found: "
                                + _found(header)))
    return mapping, problems


def _found(header: list[str]) -> str:
    """The headings a file has, short enough for one message (a binary file has a 'heading' of any length)."""
    text = ", ".join(h for h in header if h.strip())
    hint = " (is the file delimited by , ; or tab?)" if len(header) == 1 and any(d in text for d in "|:") else ""
    return (text if len(text) <= 200 else text[:197] + "...") + hint

def read_register_rows(fp: BinaryIO, name: str = "register.csv") -> tuple[list[tuple[int, dict]], list[Problem]]:
    """The rows of a register CSV or XLSX as (row number, {canonical column: text}).

    Raises FormatError when the file cannot be read or lacks required columns.
    """
    cols, rownums, problems, mapped = _read_columns(fp, name)
    names = [c for c in mapped]
    return [(int(r), dict(zip(names, vals))) for r, *vals in zip(rownums, *(cols[c] for c in names))], problems



def _read_columns(fp: BinaryIO, name: str, also_stripped: bool = False):
    """The register's steps, each a function: read the cells (XLSX, CSV by pyarrow, else by the csv
    module), map the header to the canonical columns, report ragged rows, clean every column."""
    header, columns, rownums, ragged, notes = _read_cells(fp.read(), name)
    mapping, problems = _map_columns(header, name, notes)
    problems += _ragged_rows(ragged, len(header), name)
    cols, stripped = _clean_columns(columns, mapping, len(rownums), also_stripped)
    if not len(rownums):
        problems.append(Problem(name, None, None, None, "the file has a header but no data rows", "warning"))
    return (cols, stripped) if also_stripped else cols, rownums, problems, [mapping[i] for i in sorted(mapping)]


def _read_cells(data: bytes | str, name: str):
    """(header, columns, row numbers, ragged rows, notes) of an XLSX's register sheet or of a CSV: by
    pyarrow when the CSV is well formed, else by the csv module (the reference behaviour)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, name)
    notes: list[Problem] = []
    fast = _read_csv_fast(data)
    if fast is None:
        header, body = read_table(data, name, notes)
        return (*_columns_of(header, body), notes)
    return (*fast, notes)


def _map_columns(header: list[str], name: str, notes: list[Problem]) -> tuple[dict[int, str], list[Problem]]:
    """Which file column is which canonical column; a file that cannot be read as a register is refused."""
    mapping, problems = map_header(header, name)
    problems = notes + problems
    if any(p.severity == "error" for p in problems):
        raise FormatError(problems)
    return mapping, problems


def _ragged_rows(ragged, width: int, name: str) -> list[Problem]:
    return [Problem(name, rownum, None, extra, f"row has {ncells} cells but the header has {width}")
            for rownum, ncells, extra in ragged]


def _clean_columns(columns, mapping: dict[int, str], n: int, also_stripped: bool):
    """Every canonical column, cleaned once per distinct text (stripped, un-neutralised); a column the
    file lacks is empty. With ``also_stripped`` also the texts stripped once more (un-neutralising can
    bare a space), else None."""
    unmapped = set(COLUMNS + OPTIONAL_COLUMNS) - set(mapping.values())
    cols = {c: _filled("", n) for c in COLUMNS + OPTIONAL_COLUMNS if c in unmapped}
    stripped = dict(cols)
    for i, col in mapping.items():
        codes, uniques = columns[i] if isinstance(columns[i], tuple) else _factorize(columns[i])
        if also_stripped:  # the builder strips once more: same pass
            clean = [_clean_twice(u) for u in uniques]
            cols[col] = _object_array(c for c, _ in clean)[codes]
            # mostly nothing is left to strip (str.strip then returns the string itself): one array for both
            stripped[col] = cols[col] if all(c is t for c, t in clean) else _object_array(t for _, t in clean)[codes]
        else:
            cols[col] = _object_array(_clean_cell(u) for u in uniques)[codes]
    cols = {c: cols[c] for c in COLUMNS + OPTIONAL_COLUMNS}
    return cols, ({c: stripped[c] for c in COLUMNS + OPTIONAL_COLUMNS} if also_stripped else None)


def _clean_cell(cell: str) -> str:
    return unneutralise(cell.strip())


def _clean_twice(cell: str) -> tuple[str, str]:
    clean = unneutralise(cell.strip())
    return clean, clean.strip()

def _columns_of(header: list[str], body: list[tuple[int, list[str]]]):
    """Rows of cells (as the csv module gives them) as columns padded to the header's width."""
    width = len(header)
    ragged = []
    for rownum, cells in body:
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            ragged.append((rownum, len(cells), extra[0]))
    columns = [_object_array(cells[i] if i < len(cells) else "" for _, cells in body) for i in range(width)]
    return header, columns, np.array([r for r, _ in body], dtype=np.int64), ragged




def _read_csv_fast(data: bytes):
    """A well-formed UTF-8 CSV read by pyarrow: (header, columns, row numbers, []) or None.

    None sends the file to the csv module (the reference behaviour: cp1252, blank
    lines, ragged rows, NUL bytes, malformed quoting, oversized cells), so both
    paths give the same cells and row numbers; the tests hold them to it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a BOM is skipped, not copied away
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if (BLANK.fullmatch(data, start) or b"\x00" in data or b"\n\n" in data
            or data.startswith(b"\n", start)):
        return None
    end = data.find(b"\n", start)
    first = data[start:end if end >= 0 else len(data)]
    counts = {d: first.count(d.encode()) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        delimiter = ","
    try:
        width = len(next(csv.reader([first.decode("utf-8")], delimiter=delimiter)))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data)[start:],
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 22),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)}, strings_can_be_null=False,
                                                quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    header, columns, blank = [], [], None
    for col in table.columns:
        if col.type != pa.string() or col.null_count:
            return None
        enc = col.combine_chunks().dictionary_encode()  # a column is a few distinct texts: work on those
        if len(enc.dictionary) and pc.max(pc.utf8_length(enc.dictionary)).as_py() > MAX_CELL:
            return None
        values = _object_array(enc.dictionary.to_pylist())
        codes = enc.indices.to_numpy(zero_copy_only=False)
        header.append(values[codes[0]])
        codes = codes[1:]
        empty = np.fromiter((not v.strip() for v in values), dtype=bool, count=len(values))[codes]
        blank = empty if blank is None else blank & empty
        columns.append((codes, values))
    keep = ~blank
    rownums = np.flatnonzero(keep).astype(np.int64) + 2
    if not keep.all():
        columns = [(codes[keep], values) for codes, values in columns]
    return header, columns, rownums, []


def _read_xlsx(data: bytes, name: str):
    """Header, columns, row numbers (and no ragged rows) of an XLSX's register sheet, and what to say of it."""
    sheet = read_sheet(data, name)
    xl = sheet.frame
    # The header is the first row that names the required columns (ICO sheets have a header block).
    header_idx = 0
    for i in range(min(len(xl), 20)):
        mapped, _ = map_header([sheet.text(x) for x in xl.iloc[i]], name)
        if set(REQUIRED_COLUMNS) <= set(mapped.values()):
            header_idx = i
            break
    header = [sheet.text(x) for x in xl.iloc[header_idx]]
    # ESC and the like come escaped as SpreadsheetML says (_x001B_; we write them so): read once per distinct text
    columns = [_umap(xl.iloc[header_idx + 1:, j].to_numpy(dtype=object), sheet.text)
               for j in range(xl.shape[1])]
    blank = np.ones(len(xl) - header_idx - 1, dtype=bool)
    for c in columns:
        blank &= _umap(c, lambda v: not v.strip()).astype(bool)
    keep = ~blank
    rownums = np.flatnonzero(keep).astype(np.int64) + header_idx + 2
    columns = [c[keep] for c in columns]
    too_long = np.zeros(len(rownums), dtype=bool)
    for c in columns:
        too_long |= _umap(c, len).astype(np.int64) > MAX_CELL
    check_cells(header, [(int(rownums[k]), [str(c[k]) for c in columns]) for k in np.flatnonzero(too_long)], name)
    return header, columns, rownums, [], sheet_notes(sheet, header, header_idx, name)


def sheet_notes(sheet, header: list[str], header_idx: int, name: str) -> list[Problem]:
    """Which sheet was read, and a warning for each formula cell below the header that has no saved value."""
    notes = list(sheet.notes)
    for row, col, ref, formula in sheet.formulas:
        if row <= header_idx + 1:
            continue
        heading = header[col] if col < len(header) and header[col].strip() else None
        notes.append(Problem(name, row, heading, formula, f"sheet {sheet.title!r}, cell {ref}: the formula has no "
                             "saved value (the workbook was not saved by a spreadsheet program) and is read as "
                             "empty; open and save it in Excel or LibreOffice", "warning"))
    return notes


def read_register(fp: BinaryIO, name: str = "register.csv") -> RopaGraph:
    """Read a register CSV/XLSX into a :class:`RopaGraph`; all or nothing.

    Parameters
    ----------
    fp : a binary file object
    name : the file name shown in messages

    Raises
    ------
    FormatError : the file cannot be read as a register
    ValidationError : rows are invalid; ``.problems`` lists every one

    Examples
    --------
    >>> import io
    >>> g = read_register(io.BytesIO(b"controller,activity,recipient,recipient_country\\nAcme BV,Payroll,Pay Inc,US\\n"))
    >>> sorted(g.nodes["Organisation"]["name"])
    ['Acme BV', 'Pay Inc']
    """
    cols, rownums, problems, _ = _read_columns(fp, name, also_stripped=True)
    cols, stripped = cols
    return columns_to_graph(cols, rownums, name, problems, stripped=stripped)


def rows_to_graph(rows: list[tuple[int, dict]], name: str, problems: list[Problem] | None = None) -> RopaGraph:
    """Turn register rows into a graph, collecting every problem before refusing."""
    cols = {c: _object_array(rec.get(c, "") for _, rec in rows) for c in COLUMNS + OPTIONAL_COLUMNS}
    return columns_to_graph(cols, np.array([r for r, _ in rows], dtype=np.int64), name, problems)
