"""The canonical register format: one row per (activity, recipient).

Columns (see ``data/register-template.csv``)::

    controller, controller_country, activity, purpose, legal_basis,
    special_condition, data_subjects, data_categories, retention,
    security_measures, recipient, recipient_role, engaged_by,
    recipient_country, processing_countries, mechanism, mechanism_date,
    tia, dpa, dpf_certified, evidence, source

and optionally ``recipient_sector`` (private / public / non_profit),
``occasional`` (marks an Art. 49 derogation as occasional), ``dpf_checked``
(date the DPF List was checked) and ``joint`` (joint controllership).

``engaged_by`` names the organisation that engages a sub-processor (empty: the
controller), so chains of any depth fit one sheet. Multi-value cells split on
``;`` or new lines. Column headings of the ICO and CNIL templates are accepted
as aliases. Row numbers in messages are spreadsheet rows (header = row 1).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from collections import defaultdict
from typing import BinaryIO

import numpy as np
import pandas as pd

from .. import reference
from ..errors import FormatError, Problem, ValidationError
from ..model import RopaGraph
from ..model import factorize as _codes
from .checks import subprocessor_cycles
from .sheets import read_sheet
from .text import MAX_CELL, check_cells, neutralise, read_table, unneutralise

COLUMNS = [
    "controller", "controller_country", "activity", "purpose", "legal_basis",
    "special_condition", "data_subjects", "data_categories", "retention",
    "security_measures", "recipient", "recipient_role", "engaged_by",
    "recipient_country", "processing_countries", "mechanism", "mechanism_date",
    "tia", "dpa", "dpf_certified", "evidence", "source",
]
OPTIONAL_COLUMNS = ["recipient_sector", "occasional", "dpf_checked", "joint", "source_title", "source_location",
                    "evidence_at"]
# source_title / source_location: the title and the file name or URL of the row's document (the first row of a
# document that gives one sets it); evidence_at: where the row's quote stands in it (section, line, characters).
REQUIRED_COLUMNS = ["controller", "activity"]
RECIPIENT_COLUMNS = ["recipient_role", "engaged_by", "recipient_country", "processing_countries",
                     "mechanism", "mechanism_date", "tia", "dpa", "dpf_certified"]

# Recipient-only yes/no cells that may say "no" (or be empty-like) on a row without a recipient: a warning.
NEGATIVE_TOLERATED = ("tia", "dpa", "dpf_certified")
EMPTY_LIKE = frozenset({"-", "--", "n/a", "na", "n.a.", "none", "nvt", "n.v.t.", "—", "–"})


def _says_no(cell: str) -> bool:
    """True for a cell that says no, or nothing, in any of the register's languages ("no", "nee", "-", "n/a")."""
    word = str(cell).strip().casefold()
    if word in EMPTY_LIKE:
        return True
    try:
        return reference.parse_bool(word) is False
    except ValueError:
        return False


# Headings of the ICO (UK) and CNIL (FR) templates, and everyday variants, by
# their normalised form (see _heading_key). A heading matches only as a whole,
# once qualifiers in brackets are left out ("Retention schedule (if possible)"):
# matching a prefix read "Country of controller" as the recipient's country and
# "Safeguard review date" as the transfer mechanism.
COLUMN_ALIASES: dict[str, str] = {
    # ICO documentation template for controllers
    "business_function": "activity",
    "purpose_of_processing": "purpose",
    "purpose_of_the_processing": "purpose",
    "categories_of_individuals": "data_subjects",
    "categories_of_data_subjects": "data_subjects",
    "categories_of_personal_data": "data_categories",
    "categories_of_recipients": "recipient",
    "names_of_third_countries_or_international_organisations": "recipient_country",
    "names_of_third_countries_or_international_organisations_that_personal_data_are_transferred_to":
        "recipient_country",
    "safeguards_for_exceptional_transfers": "mechanism",
    "safeguards_for_exceptional_transfers_of_personal_data_to_third_countries_or_international_organisations":
        "mechanism",
    "retention_schedule": "retention",
    "general_description_of_technical_and_organisational_security_measures": "security_measures",
    "article_6_lawful_basis": "legal_basis",
    "article_6_lawful_basis_for_processing_personal_data": "legal_basis",
    "art_6_lawful_basis": "legal_basis",
    "lawful_basis": "legal_basis",
    "article_9_basis": "special_condition",
    "article_9_condition": "special_condition",
    "article_9_basis_for_processing_special_category_data": "special_condition",
    "article_9_condition_for_processing_special_category_data": "special_condition",
    "location_of_personal_data": "processing_countries",
    "link_to_contract_with_processor": "dpa",
    "source_of_personal_data": "source",
    # CNIL registre
    "nom_du_traitement": "activity",
    "activite_de_traitement": "activity",
    "traitement": "activity",
    "responsable_du_traitement": "controller",
    "finalite": "purpose",
    "base_legale": "legal_basis",
    "base_juridique": "legal_basis",
    "categories_de_personnes_concernees": "data_subjects",
    "personnes_concernees": "data_subjects",
    "categories_de_donnees": "data_categories",
    "donnees_sensibles": "special_condition",
    "duree_de_conservation": "retention",
    "destinataires": "recipient",
    "sous_traitants": "recipient",
    "pays_destinataire": "recipient_country",
    "garanties": "mechanism",
    "type_de_garanties": "mechanism",
    "mesures_de_securite": "security_measures",
    # everyday variants
    "processing_activity": "activity",
    "data_subject_categories": "data_subjects",
    "personal_data_categories": "data_categories",
    "retention_period": "retention",
    "transfer_mechanism": "mechanism",
    "safeguard": "mechanism",
    "safeguards": "mechanism",
    "country_of_controller": "controller_country",
    "country_of_the_controller": "controller_country",
    "controller_s_country": "controller_country",
    "country_of_recipient": "recipient_country",
    "country_of_the_recipient": "recipient_country",
    "recipient_s_country": "recipient_country",
}
# Headings that could name more than one column. The first is how they are read (as
# they always were) when that column is not otherwise given, and a warning says so;
# the others are what the user may have meant.
AMBIGUOUS_HEADINGS: dict[str, tuple[str, ...]] = {
    "country": ("recipient_country", "controller_country"),
    "pays": ("recipient_country", "controller_country"),
    "land": ("recipient_country", "controller_country"),
    "date": ("", "mechanism_date", "dpf_checked"),
    "name": ("", "controller", "activity", "recipient"),
    "organisation": ("", "controller", "recipient"),
    "organization": ("", "controller", "recipient"),
}

ROLE_ALIASES = {
    "processor": "processor", "verwerker": "processor", "auftragsverarbeiter": "processor",
    "sous_traitant": "processor", "data_processor": "processor",
    "subprocessor": "subprocessor", "sub_processor": "subprocessor", "subverwerker": "subprocessor",
    "sub_verwerker": "subprocessor", "unterauftragsverarbeiter": "subprocessor",
    "sous_traitant_ulterieur": "subprocessor",
    "controller": "controller", "independent_controller": "controller",
    "verwerkingsverantwoordelijke": "controller", "verantwortlicher": "controller",
    "responsable_du_traitement": "controller", "third_party": "controller", "derde": "controller",
    "joint_controller": "joint_controller", "gezamenlijk_verwerkingsverantwoordelijke": "joint_controller",
    "gemeinsam_verantwortlicher": "joint_controller", "responsable_conjoint": "joint_controller",
}
SECTOR_ALIASES = {
    "private": "private", "commercial": "private", "privaat": "private", "privat": "private",
    "public": "public", "publiek": "public", "overheid": "public", "government": "public",
    "offentlich": "public", "public_sector": "public",
    "non_profit": "non_profit", "nonprofit": "non_profit", "ngo": "non_profit",
    "non_commercial": "non_profit", "not_for_profit": "non_profit",
}
SPLIT = re.compile(r"\s*(?:;|\n)\s*")
BLANK = re.compile(rb"\s*")


def _norm_header(h: str) -> str:
    h = unicodedata.normalize("NFKD", h.replace("\ufeff", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_")


# Characters that show as nothing: a name with one pasted in is the same name. (Identity only: a
# name is shown as first written.)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def _key(name: str) -> str:
    """Identity of an organisation, activity, subject or category: insensitive to case, spacing,
    Unicode normalisation (NFC: ``é`` one character or ``e`` + accent) and invisible characters.

    >>> _key("Cafe\u0301  Cloud\u200b") == _key("CAF\u00c9 Cloud")
    True
    """
    seen = unicodedata.normalize("NFC", name).translate(_INVISIBLE)
    key = unicodedata.normalize("NFC", " ".join(seen.split()).casefold())
    return key or " ".join(name.split()).casefold()


def _split(cell: str) -> list[str]:
    return [p for p in SPLIT.split(cell.strip()) if p]


def _heading_key(raw: str) -> str:
    """A heading as the alias table spells it: qualifiers in brackets left out, then normalised."""
    return _norm_header(re.sub(r"\([^()]*\)", " ", raw)) or _norm_header(raw)


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


def _parse_date(value: str) -> dt.date:
    v = value.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"):  # last: XLSX dates
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", v)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    raise ValueError(f"not a date (use YYYY-MM-DD): {value!r}")


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
            cols[col] = _obj(c for c, _ in clean)[codes]
            # mostly nothing is left to strip (str.strip then returns the string itself): one array for both
            stripped[col] = cols[col] if all(c is t for c, t in clean) else _obj(t for _, t in clean)[codes]
        else:
            cols[col] = _obj(_clean_cell(u) for u in uniques)[codes]
    cols = {c: cols[c] for c in COLUMNS + OPTIONAL_COLUMNS}
    return cols, ({c: stripped[c] for c in COLUMNS + OPTIONAL_COLUMNS} if also_stripped else None)


def _clean_cell(cell: str) -> str:
    return unneutralise(cell.strip())


def _clean_twice(cell: str) -> tuple[str, str]:
    clean = unneutralise(cell.strip())
    return clean, clean.strip()


def _filled(value, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _obj(values) -> np.ndarray:
    """A 1-d object array of the given Python values (tuples and lists stay elements)."""
    if not isinstance(values, (list, tuple)):
        values = list(values)
    return np.fromiter(values, dtype=object, count=len(values))


def _umap(values: np.ndarray, func) -> np.ndarray:
    """``func`` of every value, computed once per distinct value (columns repeat themselves)."""
    if not len(values):
        return _obj([])
    codes, uniques = _factorize(values)
    return _obj(func(u) for u in uniques)[codes]


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes and distinct values, with None kept as None (pandas would make it NaN)."""
    codes, uniques = _codes(values)
    return codes, [None if isinstance(u, float) and u != u else u for u in uniques]


def _columns_of(header: list[str], body: list[tuple[int, list[str]]]):
    """Rows of cells (as the csv module gives them) as columns padded to the header's width."""
    width = len(header)
    ragged = []
    for rownum, cells in body:
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            ragged.append((rownum, len(cells), extra[0]))
    columns = [_obj(cells[i] if i < len(cells) else "" for _, cells in body) for i in range(width)]
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
        values = _obj(enc.dictionary.to_pylist())
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
    cols = {c: _obj(rec.get(c, "") for _, rec in rows) for c in COLUMNS + OPTIONAL_COLUMNS}
    return columns_to_graph(cols, np.array([r for r, _ in rows], dtype=np.int64), name, problems)


# -- building the graph, a whole column at a time --------------------------------------
#
# A row's problems are reported in the order a reader meets them along the row, so each
# check has a step number; problems sort by (position of the row in the file, step, place
# in the cell). The engaged_by checks need the whole file and come last.
(S_CONTROLLER, S_ACTIVITY, S_CCOUNTRY, S_CCOUNTRY_SET, S_PURPOSE, S_LEGAL_BASIS, S_SPECIAL, S_RETENTION,
 S_SECURITY, S_JOINT, S_NO_RECIPIENT, S_SELF, S_RCOUNTRY, S_RCOUNTRY_SET, S_PLACES, S_SECTOR, S_SECTOR_SET,
 S_DPF, S_DPF_SET, S_DPF_CHECKED, S_DPF_CHECKED_SET, S_ROLE, S_MECHANISM, S_MECHANISM_DATE, S_TIA, S_DPA,
 S_OCCASIONAL, S_DUPLICATE) = range(28)
UNKNOWN_COUNTRY = "country not recognised; kept as written and reported as unknown_country"
YES_NO = "expected yes/no (ja/nee, oui/non, true/false, 1/0)"
HOP_COMPARED = ("exporter", "role", "mechanism", "mechanism_raw", "mechanism_date", "tia", "dpa", "occasional")


class _Problems:
    """Problems found column by column, put back in the order of a row-by-row reading."""

    def __init__(self, name: str):
        self.name = name
        self.found: list[tuple[int, int, int, Problem]] = []

    def add(self, pos, step, sub, row, col, value, msg, severity="error"):
        self.found.append((int(pos), step, sub, Problem(self.name, int(row), col, value, msg, severity)))

    def each(self, idx, pos, rows, step, col, values, msg, severity="error"):
        for i in idx:
            self.add(pos[i], step, 0, rows[i], col, values[i], msg, severity)

    def ordered(self) -> list[Problem]:
        return [p for *_, p in sorted(self.found, key=lambda f: f[:3])]


def _spaced(name: str) -> str:
    return " ".join(name.split())


def _place(text: str) -> tuple[str | None, bool]:
    """(country code, unresolved): a place as the importer keeps it."""
    text = text.strip()
    if not text:
        return None, False
    code = reference.resolve_country(text)
    return (("?:" + text, True) if code is None else (code, False))


def _yes_no(text) -> tuple[bool | None, bool]:
    try:
        return reference.parse_bool(text), False
    except ValueError:
        return None, True


def _date(text: str) -> tuple[dt.date | None, str | None]:
    if not text:
        return None, None
    try:
        return _parse_date(text), None
    except ValueError as exc:
        return None, str(exc)


def _umap2(values: np.ndarray, func) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_umap` for a function returning a pair: two arrays."""
    if not len(values):
        return _obj([]), _obj([])
    codes, uniques = _factorize(values)
    results = [func(u) for u in uniques]
    return _obj(r[0] for r in results)[codes], _obj(r[1] for r in results)[codes]


def _group_codes(*arrays: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of the arrays' values, numbered in order of first appearance."""
    codes = np.zeros(len(arrays[0]), dtype=np.int64)
    for a in arrays:
        c, u = _codes(a)
        codes = pd.factorize(codes * max(len(u), 1) + c, use_na_sentinel=False)[0].astype(np.int64)
    return codes


def _firsts(codes: np.ndarray) -> np.ndarray:
    """Index of the first element of every group (groups numbered in order of appearance)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())


def _explode(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-value cells split: (index of the cell, place in the cell, value) per value."""
    if not len(cells):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), _obj([])
    codes, uniques = _factorize(cells)  # split each distinct cell once; the rows are index arithmetic
    parts = [_split(u) for u in uniques]
    ulengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    uflat = _obj(itertools.chain.from_iterable(parts))
    ustarts = np.cumsum(ulengths) - ulengths
    lengths = ulengths[codes]
    where = np.repeat(np.arange(len(cells)), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return where, within, uflat[ustarts[codes[where]] + within]


def _with_loops(activity: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Which hops belong to an activity whose sub-processor chains may loop (a mask).

    An organisation that engages no one, or only such organisations, is on no loop:
    its hops are peeled off, round after round, until none is left or only loops and
    what leads into them remain. Activities with nothing left cannot loop and need not
    be walked; the others are kept whole, so the walk sees them as before.
    """
    n = len(activity)
    if not n:
        return np.zeros(0, dtype=bool)
    node = _group_codes(np.concatenate([activity, activity]), np.concatenate([src, dst]))
    s, d = node[:n], node[n:]
    alive = np.ones(n, dtype=bool)
    while True:
        engages = np.zeros(int(node.max()) + 1, dtype=bool)
        engages[s[alive]] = True
        still = alive & engages[d]
        if still.sum() == alive.sum():
            break
        alive = still
    return pd.Series(activity).isin(set(activity[alive])).to_numpy()


def _set_once(found: _Problems, owner, value, pos, rows, step, col, labels: dict, kind: str, sub=None,
              owner_codes: np.ndarray | None = None) -> dict:
    """The first value given for each owner's property wins; a different later one is an error.

    ``owner_codes``: the owners already factorized (integers: renumbering them is cheap).
    """
    given = np.flatnonzero(_umap(value, lambda v: v is not None and v != "").astype(bool))
    step = np.broadcast_to(np.asarray(step), len(owner))
    col = np.broadcast_to(np.asarray(col, dtype=object), len(owner))
    if (step.strides == (0,) or len(given) < 2) and (np.diff(pos[given]) >= 0).all():
        order = given  # one step, rows in file order: already sorted (lexsort is stable)
    else:
        order = given[np.lexsort((step[given], pos[given]))]
    o, v = owner[order], value[order]
    if not len(o):
        codes = np.zeros(0, dtype=np.int64)
    else:
        codes = (_codes(o) if owner_codes is None else pd.factorize(owner_codes[order]))[0]
    first = _firsts(codes)
    first_value = v[first][codes] if len(o) else v
    first_row = rows[order][first][codes] if len(o) else rows[order]
    for j in np.flatnonzero(v != first_value):
        i = order[j]
        old = first_value[j]
        found.add(pos[i], int(step[i]), 0, rows[i], col[i], v[j],
                  f"{kind} {labels[o[j]]!r} already has {col[i]} {old!r} (row {first_row[j]}); one value per {kind}")
    return dict(zip(o[first], v[first]))


def _rows_with_owner(found: _Problems, cols, stripped, rows_all, pos_all):
    """Rows without a controller or an activity are reported and left out: (raw, stripped, row numbers,
    positions) of the rest."""
    n = len(rows_all)
    no_c = stripped["controller"] == ""
    no_a = stripped["activity"] == ""
    found.each(np.flatnonzero(no_c), pos_all, rows_all, S_CONTROLLER, "controller", _filled("", n),
               "every row needs a controller")
    found.each(np.flatnonzero(no_a), pos_all, rows_all, S_ACTIVITY, "activity", _filled("", n),
               "every row needs an activity")
    keep = np.flatnonzero(~(no_c | no_a))
    if len(keep) == n:  # the usual case: no copies of the columns
        return cols, stripped, rows_all, pos_all
    return ({c: v[keep] for c, v in cols.items()}, {c: v[keep] for c, v in stripped.items()},
            rows_all[keep], pos_all[keep])


def _check_rows_without_recipient(found: _Problems, raw, t, rows, pos, missing) -> None:
    """A row without a recipient that fills a recipient column: an error, once per row (a "no" in a
    yes/no column only a warning)."""
    reported = np.zeros(len(missing), dtype=bool)
    for c in RECIPIENT_COLUMNS:
        given = t[c][missing] != ""
        if c in NEGATIVE_TOLERATED:
            # A spreadsheet fills "no" (or "-") down a yes/no column: on a row without a recipient it says
            # nothing about a transfer, so it is ignored with a warning rather than refusing the file.
            idle = given & np.array([_says_no(v) for v in t[c][missing]], dtype=bool)
            for i in missing[idle]:
                found.add(pos[i], S_NO_RECIPIENT, 0, rows[i], c, raw[c][i],
                          "ignored: the row names no recipient, so this recipient-only cell has no effect", "warning")
            given &= ~idle
        hit = ~reported & given
        for i in missing[hit]:
            found.add(pos[i], S_NO_RECIPIENT, 0, rows[i], c, raw[c][i], "recipient details given but the recipient is empty")
        reported |= hit


def _check_repeated_hops(found: _Problems, hop_codes, hop, hpos, hrows, recipient_text, haid, act_label) -> np.ndarray:
    """One hop per (activity, sender, recipient): a repeat with the same details is a warning, with other
    details an error. The first row of each hop, which is kept."""
    hop_first = _firsts(hop_codes)
    first_of = hop_first[hop_codes] if len(hop_codes) else hop_first
    for j in np.flatnonzero(first_of != np.arange(len(hop_codes))):
        f = first_of[j]
        if all(hop[k][f] == hop[k][j] for k in HOP_COMPARED):
            found.add(hpos[j], S_DUPLICATE, 0, hrows[j], "recipient", recipient_text[j],
                      f"duplicate of row {hrows[f]}; ignored", "warning")
        else:
            found.add(hpos[j], S_DUPLICATE, 0, hrows[j], "recipient", recipient_text[j],
                      f"recipient listed twice for activity {act_label[haid[j]]!r} with different details "
                      f"(row {hrows[f]})")
    return hop_first


def columns_to_graph(cols: dict[str, np.ndarray], rownums: np.ndarray, name: str,
                     problems: list[Problem] | None = None, stripped: dict[str, np.ndarray] | None = None) -> RopaGraph:
    """Turn register columns into a graph, collecting every problem before refusing.

    The work is done on whole columns: a country, mechanism, role, yes/no or date is
    read once per distinct text and spread back, multi-value cells are split once and
    exploded, identities come from grouping. The graph, its ids and every problem are
    those a row-by-row reading gives (``tests/register_oracle.py`` is that reading).
    """
    found = _Problems(name)
    n = len(rownums)
    rows_all = np.asarray(rownums, dtype=np.int64)
    pos_all = np.arange(n)
    cols = {c: cols.get(c, _filled("", n)) for c in COLUMNS + OPTIONAL_COLUMNS}
    if stripped is None:
        stripped = {c: _umap(v, str.strip) for c, v in cols.items()}

    raw, t, rows, pos = _rows_with_owner(found, cols, stripped, rows_all, pos_all)
    m = len(rows)

    # -- controllers, their countries, documents, activities
    cid = _umap(t["controller"], _key)
    cname = _umap(t["controller"], _spaced)
    ccode, cunknown = _umap2(t["controller_country"], _place)
    unknown_places = []  # (pos, step, sub, code, text)
    for i in np.flatnonzero(cunknown.astype(bool)):
        found.add(pos[i], S_CCOUNTRY, 0, rows[i], "controller_country", t["controller_country"][i], UNKNOWN_COUNTRY,
                  "warning")
        unknown_places.append((pos[i], S_CCOUNTRY, 0, ccode[i], t["controller_country"][i]))
    doc = _umap(t["source"], lambda s: s or name)
    aid = _obj(f"{c}::{a}" for c, a in zip(cid, _umap(t["activity"], _key)))

    # -- recipients
    has_recipient = t["recipient"] != ""
    _check_rows_without_recipient(found, raw, t, rows, pos, np.flatnonzero(~has_recipient))
    h0 = np.flatnonzero(has_recipient)
    rid0 = _umap(t["recipient"][h0], _key)
    self_ = rid0 == cid[h0]
    found.each(h0[self_], pos, rows, S_SELF, "recipient", t["recipient"], "the recipient is the controller itself")
    h = h0[~self_]
    rid = rid0[~self_]
    hpos, hrows = pos[h], rows[h]

    # organisations: named as first written, controller before recipient within a row
    ev_id = np.concatenate([cid, rid0])
    ev_name = np.concatenate([cname, _umap(t["recipient"][h0], _spaced)])
    ev_order = np.lexsort((np.concatenate([np.zeros(m, np.int64), np.ones(len(h0), np.int64)]),
                           np.concatenate([pos, pos[h0]])))
    ev_id, ev_name = ev_id[ev_order], ev_name[ev_order]
    org_first = _firsts(_codes(ev_id)[0]) if len(ev_id) else np.zeros(0, np.int64)
    org_ids, org_names = ev_id[org_first], ev_name[org_first]
    org_label = dict(zip(org_ids, org_names))

    rtext = t["recipient_country"][h]
    rcode, runknown = _umap2(rtext, _place)
    for j in np.flatnonzero(runknown.astype(bool)):
        found.add(hpos[j], S_RCOUNTRY, 0, hrows[j], "recipient_country", rtext[j], UNKNOWN_COUNTRY, "warning")
        unknown_places.append((hpos[j], S_RCOUNTRY, 0, rcode[j], rtext[j]))
    org_country = _set_once(
        found, np.concatenate([cid, rid]), np.concatenate([ccode, rcode]), np.concatenate([pos, hpos]), np.concatenate([rows, hrows]),
        np.concatenate([np.full(m, S_CCOUNTRY_SET), np.full(len(h), S_RCOUNTRY_SET)]),
        np.concatenate([np.full(m, "controller_country", dtype=object),
                        np.full(len(h), "recipient_country", dtype=object)]),
        org_label, "organisation")

    pw, psub, ptext = _explode(raw["processing_countries"][h])
    pcode, punknown = _umap2(ptext, _place)
    for k in np.flatnonzero(punknown.astype(bool)):
        j = pw[k]
        place = ptext[k].strip()
        found.add(hpos[j], S_PLACES, int(psub[k]), hrows[j], "processing_countries", place, UNKNOWN_COUNTRY, "warning")
        unknown_places.append((hpos[j], S_PLACES, int(psub[k]), pcode[k], place))

    sector_text = t["recipient_sector"][h]
    sector = _umap(sector_text, lambda s: SECTOR_ALIASES.get(_norm_header(s)) if s else None)
    for j in np.flatnonzero((sector_text != "") & _umap(sector, lambda v: v is None).astype(bool)):
        found.add(hpos[j], S_SECTOR, 0, hrows[j], "recipient_sector", sector_text[j],
                  "expected private, public or non_profit")
    rid_codes = _codes(rid)[0]
    org_sector = _set_once(found, rid, sector, hpos, hrows, S_SECTOR_SET, "recipient_sector", org_label,
                           "organisation", owner_codes=rid_codes)

    def yes_no(col, step, where=h):
        values, bad = _umap2(raw[col][where], _yes_no)
        found.each(np.flatnonzero(bad.astype(bool)), pos[where], rows[where], step, col, raw[col][where], YES_NO)
        return values

    def date(col, step):
        text = t[col][h]
        values, bad = _umap2(text, _date)
        for j in np.flatnonzero(_umap(bad, lambda b: b is not None).astype(bool)):
            found.add(hpos[j], step, 0, hrows[j], col, text[j], bad[j])
        return values

    dpf = yes_no("dpf_certified", S_DPF)
    org_dpf = _set_once(found, rid, dpf, hpos, hrows, S_DPF_SET, "dpf_certified", org_label, "organisation",
                        owner_codes=rid_codes)
    dpf_checked = date("dpf_checked", S_DPF_CHECKED)
    org_dpf_checked = _set_once(found, rid, dpf_checked, hpos, hrows, S_DPF_CHECKED_SET, "dpf_checked", org_label,
                                "organisation", owner_codes=rid_codes)

    role_text = t["recipient_role"][h]
    role = _umap(role_text, lambda s: ROLE_ALIASES.get(_norm_header(s)) if s else None)
    found.each(np.flatnonzero((role_text != "") & _umap(role, lambda v: v is None).astype(bool)), hpos, hrows,
               S_ROLE, "recipient_role", role_text, "expected processor, subprocessor, controller or joint_controller")
    mech_text = t["mechanism"][h]
    mechanism = _umap(mech_text, lambda s: reference.resolve_mechanism(s) if s else None)
    bad_mech = np.flatnonzero((mech_text != "") & _umap(mechanism, lambda v: v is None).astype(bool))
    if len(bad_mech):
        found.each(bad_mech, hpos, hrows, S_MECHANISM, "mechanism", mech_text,
                   "unknown transfer mechanism; use one of " + ", ".join(reference.load_mechanisms()["id"]))
    engaged_text = t["engaged_by"][h]
    engager = _umap(engaged_text, lambda s: _key(s) if s else None)
    engager[engager == cid[h]] = None
    engaged = _umap(engager, lambda e: e is not None).astype(bool)
    role[engaged & _umap(role, lambda v: v is None).astype(bool)] = "subprocessor"
    mechanism_date = date("mechanism_date", S_MECHANISM_DATE)
    tia = yes_no("tia", S_TIA)
    dpa = yes_no("dpa", S_DPA)
    occasional = yes_no("occasional", S_OCCASIONAL)
    joint = yes_no("joint", S_JOINT, where=np.arange(m))

    # engaged_by must name a recipient of the same activity (anywhere in the file)
    haid, recipient_text = aid[h], t["recipient"][h]
    recipients_of = set(zip(haid, rid))
    late = [Problem(name, int(hrows[j]), "engaged_by", engaged_text[j],
                    "names no recipient of this activity; list that organisation as a recipient of the same "
                    "activity first")
            for j in np.flatnonzero(engaged) if (haid[j], engager[j]) not in recipients_of]

    # -- activities and their properties
    aid_codes = _codes(aid)[0]
    act_first = _firsts(aid_codes) if m else np.zeros(0, np.int64)
    act_ids = aid[act_first]
    act_label = dict(zip(act_ids, _umap(t["activity"][act_first], _spaced)))
    act_props = {}
    for col, step in (("purpose", S_PURPOSE), ("legal_basis", S_LEGAL_BASIS), ("special_condition", S_SPECIAL),
                      ("retention", S_RETENTION)):
        act_props[col] = _set_once(found, aid, t[col], pos, rows, step, col, act_label, "activity", owner_codes=aid_codes)
    security = _umap(raw["security_measures"], lambda s: "; ".join(_split(s)))
    act_props["security_measures"] = _set_once(found, aid, security, pos, rows, S_SECURITY, "security_measures",
                                               act_label, "activity", owner_codes=aid_codes)

    # -- hops: one per (activity, sender, recipient); repeats are duplicates or conflicts
    hop = {
        "activity": aid[h], "exporter": _obj(e if e is not None else c for e, c in zip(engager, cid[h])),
        "role": role, "mechanism": mechanism, "mechanism_raw": _umap(mech_text, lambda s: s or None),
        "mechanism_date": mechanism_date, "tia": tia, "dpa": dpa, "occasional": occasional,
        "evidence": _umap(t["evidence"][h], lambda s: s or None), "source": doc[h], "row": hrows,
        "evidence_at": _umap(t["evidence_at"][h], lambda s: s or None),
    }
    hop_first = _check_repeated_hops(found, _group_codes(engaged, aid[h], engager, rid), hop, hpos, hrows,
                                     recipient_text, haid, act_label)

    all_problems = list(problems or []) + found.ordered() + late
    if any(p.severity == "error" for p in all_problems):
        raise ValidationError(all_problems)

    # -- the graph
    orgs = _organisation_nodes(org_ids, org_names, org_country, org_sector, org_dpf, org_dpf_checked)
    nodes = {"Organisation": orgs,
             "Activity": _activity_nodes(act_ids, act_first, act_label, act_props, cid, org_label, doc, rows),
             "Document": _document_nodes(doc, t),
             "Country": _unresolved_country_nodes(unknown_places)}
    rels = {}
    for label, rel, col in (("DataCategory", "PROCESSES", "data_categories"), ("DataSubject", "CONCERNS", "data_subjects")):
        nodes[label], rels[rel] = _listed_value_nodes(aid, raw[col], label)
    rels["CONTROLS"] = _controls(cid, aid, joint)
    rels["DISCLOSES_TO"], rels["ENGAGES"] = _hop_rels(hop_first, engaged, aid[h], engager, rid, hop)
    rels["EVIDENCED_BY"] = _evidence_rels(aid, doc, rows, pos, hop_first, hop, rid, doc[h], hrows, hpos)
    rels["ESTABLISHED_IN"], rels["PROCESSES_IN"] = _place_rels(orgs, org_ids, rid[pw], pcode)
    engages = rels["ENGAGES"]
    looping = engages[_with_loops(engages["activity"].to_numpy(), engages["src"].to_numpy(), engages["dst"].to_numpy())]
    all_problems += subprocessor_cycles(looping[["src", "dst", "activity", "row"]].to_dict("records"),
                                        dict(zip(org_ids, org_names)), name)
    return RopaGraph(nodes, rels, all_problems)


# The graph's parts, one function each, from the columns columns_to_graph has read and checked.

def _organisation_nodes(org_ids, org_names, org_country, org_sector, org_dpf, org_dpf_checked) -> pd.DataFrame:
    """Organisations (controllers and recipients), named as first written, with what was set once for each."""
    return pd.DataFrame({
        "id": org_ids, "name": org_names,
        "country": _obj(org_country.get(o) for o in org_ids), "sector": _obj(org_sector.get(o) for o in org_ids),
        "dpf_certified": _obj(org_dpf.get(o) for o in org_ids),
        "dpf_checked": _obj(org_dpf_checked.get(o) for o in org_ids)}, dtype=object)


def _activity_nodes(act_ids, act_first, act_label, act_props, cid, org_label, doc, rows) -> pd.DataFrame:
    """Activities, from the first row naming each, with their controller's name and their properties."""
    return pd.DataFrame({
        "id": act_ids, "name": _obj(act_label[a] for a in act_ids),
        "controller": _obj(org_label[c] for c in cid[act_first]),
        **{c: _obj(act_props[c].get(a) for a in act_ids) for c in ("purpose", "legal_basis", "special_condition",
                                                                      "retention", "security_measures")},
        "source": doc[act_first], "row": rows[act_first]}, dtype=object)


def _document_nodes(doc, t) -> pd.DataFrame:
    """The documents rows come from (the source column, else the file), in order of first use, with the
    title and location (file or URL) the first row that gives them gives."""
    doc_first = _firsts(_codes(doc)[0]) if len(doc) else np.zeros(0, np.int64)
    return pd.DataFrame({"id": doc[doc_first], "name": doc[doc_first],
                         "kind": _umap(doc[doc_first], lambda d: "notice" if d.startswith(("seed:", "notice:"))
                                       else "register"),
                         **{prop: _obj(_first_given(doc, t[col]).get(d) for d in doc[doc_first])
                            for prop, col in (("title", "source_title"), ("location", "source_location"))}},
                        dtype=object)


def _unresolved_country_nodes(unknown_places) -> pd.DataFrame:
    """A Country node per place that could not be resolved, named as first written (in row order)."""
    unknown_places.sort(key=lambda u: u[:3])
    seen_places: dict[str, str] = {}
    for *_, code, text in unknown_places:
        seen_places.setdefault(code, text)
    return pd.DataFrame({"id": _obj(seen_places), "name": _obj(seen_places.values()),
                         "eea": _filled(False, len(seen_places)), "resolved": _filled(False, len(seen_places))},
                        dtype=object)


def _listed_value_nodes(aid, cells, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data categories (or subjects) of a multi-value column, and one relationship per (activity, value)."""
    # Rows of one activity repeat its cell: the first row of each (activity, cell) holds the first
    # appearance of every (activity, value) and of every value, so only those rows are split.
    firsts = _firsts(_group_codes(aid, cells)) if len(aid) else np.zeros(0, np.int64)
    w, _, values = _explode(cells[firsts])
    w = firsts[w]
    ids = _umap(values, _key)
    first = _firsts(_codes(ids)[0]) if len(ids) else np.zeros(0, np.int64)
    node = {"id": ids[first], "name": values[first]}
    if label == "DataCategory":
        special, article = _umap2(values[first], reference.classify_category)
        # typed the way pandas types a list of records: [None, 9] becomes 9.0, as it always was
        node.update(special=special, article=pd.Series(list(article), dtype=None).to_numpy())
    pairs = _firsts(_group_codes(aid[w], ids)) if len(ids) else np.zeros(0, np.int64)
    rel = pd.DataFrame({"src": aid[w][pairs], "dst": ids[pairs], "src_label": "Activity", "dst_label": label},
                       dtype=object)
    return pd.DataFrame(node, dtype=object), rel


def _controls(cid, aid, joint) -> pd.DataFrame:
    """Controller -> activity, ``joint`` as the activity's last row says."""
    controls = _group_codes(cid, aid)
    first = _firsts(controls)
    last = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last, controls, np.arange(len(aid)))
    return pd.DataFrame({"src": cid[first], "dst": aid[first], "src_label": "Organisation",
                         "dst_label": "Activity", "joint": joint[last]}, dtype=object)


def _hop_rels(kept, engaged, hop_activity, engager, rid, hop) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The kept hops: from the activity to a recipient (DISCLOSES_TO), from an engaging recipient to a
    sub-processor (ENGAGES); each with the hop's properties."""
    disclose, engage = kept[~engaged[kept]], kept[engaged[kept]]
    out = []
    for idx, src, src_label in ((disclose, hop_activity, "Activity"), (engage, engager, "Organisation")):
        out.append(pd.DataFrame({"src": src[idx], "dst": rid[idx], "src_label": src_label,
                                 "dst_label": "Organisation", **{k: v[idx] for k, v in hop.items()}}, dtype=object))
    return out[0], out[1]


def _evidence_rels(aid, doc, rows, pos, kept, hop, rid, hop_doc, hrows, hpos) -> pd.DataFrame:
    """Provenance: each activity from the first row naming it; each recipient with the least quote."""
    act_ev = _firsts(_group_codes(aid, doc))
    org_ev = pd.DataFrame({"g": _group_codes(rid[kept], hop_doc[kept]), "quote": hop["evidence"][kept],
                           "row": hrows[kept], "pos": hpos[kept], "src": rid[kept], "dst": hop_doc[kept]})
    quoted = org_ev[org_ev["quote"].notna()].sort_values(["g", "quote", "pos"], kind="stable")
    best = quoted.drop_duplicates("g").set_index("g")
    org_ev = org_ev.drop_duplicates("g").copy()
    has = org_ev["g"].isin(best.index)
    org_ev.loc[has, "quote"] = best.loc[org_ev.loc[has, "g"], "quote"].to_numpy()
    org_ev.loc[has, "row"] = best.loc[org_ev.loc[has, "g"], "row"].to_numpy()
    evidenced = pd.concat([
        pd.DataFrame({"src": aid[act_ev], "dst": doc[act_ev], "src_label": "Activity", "dst_label": "Document",
                      "quote": None, "row": rows[act_ev], "pos": pos[act_ev], "step": 0}),
        pd.DataFrame({"src": org_ev["src"].to_numpy(), "dst": org_ev["dst"].to_numpy(), "src_label": "Organisation",
                      "dst_label": "Document", "quote": org_ev["quote"].to_numpy(), "row": org_ev["row"].to_numpy(),
                      "pos": org_ev["pos"].to_numpy(), "step": 1})], ignore_index=True)
    return evidenced.sort_values(["pos", "step"], kind="stable").drop(columns=["pos", "step"])


def _place_rels(orgs, org_ids, place_owner, place_code) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where organisations are (ESTABLISHED_IN) and where they process data (PROCESSES_IN): the places
    given for them, else their own country (``inferred``)."""
    explicit = pd.DataFrame({"src": place_owner, "dst": place_code}).drop_duplicates()
    order = {o: i for i, o in enumerate(org_ids)}
    explicit["o"] = explicit["src"].map(order)
    explicit = explicit.sort_values(["o", "dst"], kind="stable")
    with_country = orgs[orgs["country"].notna()]
    inferred = with_country[~with_country["id"].isin(set(explicit["src"]))]
    established = pd.DataFrame({"src": with_country["id"].to_numpy(), "dst": with_country["country"].to_numpy(),
                                "src_label": "Organisation", "dst_label": "Country"})
    processes_in = pd.concat([
        pd.DataFrame({"src": explicit["src"].to_numpy(), "dst": explicit["dst"].to_numpy(), "o": explicit["o"].to_numpy(),
                      "inferred": False}),
        pd.DataFrame({"src": inferred["id"].to_numpy(), "dst": inferred["country"].to_numpy(),
                      "o": inferred["id"].map(order).to_numpy(), "inferred": True})], ignore_index=True)
    processes_in = processes_in.sort_values("o", kind="stable").drop(columns="o")
    processes_in["src_label"], processes_in["dst_label"] = "Organisation", "Country"
    return established, processes_in


def _text(v) -> str:
    """A stored text as a cell: "" for a missing one (None or NaN)."""
    return "" if v is None or v != v else str(v)


def _first_given(doc, cells) -> dict:
    """Document id -> the first non-empty cell given for it (only the rows that give one are looked at)."""
    out: dict = {}
    for i in np.flatnonzero(cells != ""):
        out.setdefault(doc[i], cells[i])
    return out


# -- writing -------------------------------------------------------------------

def graph_to_rows(graph: RopaGraph) -> list[dict]:
    """The register rows of a graph: one per hop, one per activity without hops."""
    orgs = graph.nodes["Organisation"].set_index("id").to_dict("index")
    countries = graph.nodes["Country"].set_index("id")["name"].to_dict() if len(graph.nodes["Country"]) else {}

    def place(code):
        if code is None:
            return ""
        return countries.get(code, code[2:]) if str(code).startswith("?:") else code

    by_act = defaultdict(list)
    for rt in ("DISCLOSES_TO", "ENGAGES"):
        for h in graph.rels[rt].to_dict("records"):
            by_act[h["activity"]].append((rt, h))
    controller_of = {r["dst"]: r for r in graph.rels["CONTROLS"].to_dict("records")}
    cats = defaultdict(list)
    cat_names = graph.nodes["DataCategory"].set_index("id")["name"].to_dict() if len(graph.nodes["DataCategory"]) else {}
    for r in graph.rels["PROCESSES"].to_dict("records"):
        cats[r["src"]].append(cat_names.get(r["dst"], r["dst"]))
    subs = defaultdict(list)
    sub_names = graph.nodes["DataSubject"].set_index("id")["name"].to_dict() if len(graph.nodes["DataSubject"]) else {}
    for r in graph.rels["CONCERNS"].to_dict("records"):
        subs[r["src"]].append(sub_names.get(r["dst"], r["dst"]))
    docs = graph.nodes["Document"].set_index("id").to_dict("index") if len(graph.nodes["Document"]) else {}

    def provenance(source) -> dict:
        d = docs.get(source) or {}
        return {"source_title": _text(d.get("title")), "source_location": _text(d.get("location"))}
    explicit = defaultdict(list)
    for r in graph.rels["PROCESSES_IN"].to_dict("records"):
        if not r.get("inferred"):
            explicit[r["src"]].append(r["dst"])

    def yn(v):
        return "" if v is None else ("yes" if v else "no")

    rows = []
    for act in graph.nodes["Activity"].sort_values(["id"]).to_dict("records"):
        ctl = controller_of.get(act["id"])
        corg = orgs.get(ctl["src"], {}) if ctl else {}
        base = {
            "controller": corg.get("name") or act.get("controller") or "",
            "controller_country": place(corg.get("country")),
            "activity": act["name"], "purpose": act.get("purpose") or "",
            "legal_basis": act.get("legal_basis") or "", "special_condition": act.get("special_condition") or "",
            "data_subjects": "; ".join(sorted(subs[act["id"]])),
            "data_categories": "; ".join(sorted(cats[act["id"]])),
            "retention": act.get("retention") or "", "security_measures": act.get("security_measures") or "",
            "joint": yn(ctl.get("joint")) if ctl else "",
        }
        hops = sorted(by_act.get(act["id"], []), key=lambda x: (x[0] != "DISCLOSES_TO", x[1].get("row") or 0))
        if not hops:
            rows.append({**{c: "" for c in COLUMNS + OPTIONAL_COLUMNS}, **base,
                         "source": act.get("source") or "", **provenance(act.get("source"))})
            continue
        for rt, h in hops:
            org = orgs.get(h["dst"], {})
            date = h.get("mechanism_date")
            dpf_checked = org.get("dpf_checked")
            rows.append({
                **base,
                "recipient": org.get("name", h["dst"]), "recipient_role": h.get("role") or "",
                "engaged_by": orgs.get(h["src"], {}).get("name", "") if rt == "ENGAGES" else "",
                "recipient_country": place(org.get("country")),
                "processing_countries": "; ".join(place(c) for c in sorted(explicit[h["dst"]])),
                "mechanism": h.get("mechanism_raw") or h.get("mechanism") or "", "mechanism_date": date.isoformat() if date else "",
                "tia": yn(h.get("tia")), "dpa": yn(h.get("dpa")), "dpf_certified": yn(org.get("dpf_certified")),
                "evidence": h.get("evidence") or "", "source": h.get("source") or act.get("source") or "",
                "recipient_sector": org.get("sector") or "", "occasional": yn(h.get("occasional")),
                "dpf_checked": dpf_checked.isoformat() if dpf_checked else "",
                "evidence_at": _text(h.get("evidence_at")), **provenance(h.get("source") or act.get("source")),
            })
    return rows


def write_register(graph: RopaGraph, fp, fmt: str = "csv") -> None:
    """Write the graph as a register CSV (UTF-8 with BOM, for Excel) or XLSX.

    Cells that a spreadsheet would run as a formula are neutralised.
    """
    rows = graph_to_rows(graph)
    cols = COLUMNS + OPTIONAL_COLUMNS
    if fmt == "xlsx":  # write_xlsx neutralises every cell itself (once: neutralising twice adds a quote)
        from ..tables import write_xlsx
        write_xlsx({"Register": pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols)}, fp)
        return
    safe = [{c: neutralise(r.get(c, "")) for c in cols} for r in rows]
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    w.writerows(safe)
    fp.write(("\ufeff" + text.getvalue()).encode("utf-8"))
