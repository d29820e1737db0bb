"""The one error hierarchy of the library.

::

    RopaError                      anything the library raises on purpose
    ├── InputError                 a user's file or value is wrong; carries Problems
    │   ├── FormatError            the file cannot be read as the format at all
    │   └── ValidationError        it can be read, but rows/cells are invalid
    ├── ReferenceDataError         data/reference/ is inconsistent (a bug in our data)
    ├── RuleError                  a queries/*.cypher file is malformed
    ├── OutputError                an output file cannot be written (full disk, quota, permissions)
    ├── ReportError                a report cannot be produced
    │   └── PdfEngineMissing       no headless Chromium to print the PDF with
    └── BackendError               the graph store failed or refused
        ├── StoreLockedError       the on-disk store is held by another process
        ├── StoreOutdatedError     the store was written by another version: `ropa store upgrade`
        ├── ConflictError          someone else changed the RoPA since the change was prepared
        ├── ReadOnlyError          a write through the read-only console or a read-only handle
        ├── BackendUnavailable     the server cannot be reached
        ├── AuthenticationFailed   wrong credentials
        └── UnsupportedServer      the server is too old or not the kind we speak to

Every message names what the user has to look at: file, row, column and value.
The CLI and the UI translate these into one-line messages; nothing else should
print or exit.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can.

    ``row`` is the spreadsheet row number (the header is row 1), so a user can
    find it in Excel.

    >>> str(Problem("r.csv", 4, "recipient_country", "Atlantis", "unknown country"))
    "r.csv, row 4, column 'recipient_country', value 'Atlantis': unknown country"
    """

    file: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    severity: str = "error"  # "error" refuses the import; "warning" lets it land
    axis: str = "column"     # what ``column`` names: a file's column, or a page's "field"

    def __str__(self) -> str:
        where = [self.file or "<input>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"{self.axis} {self.column!r}")
        if self.value not in (None, ""):
            shown = str(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            where.append(f"value {shown!r}")
        return ", ".join(where) + ": " + self.message


class RopaError(Exception):
    """Base of every error the library raises on purpose."""


class InputError(RopaError):
    """A user's input is wrong. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file, None, None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"] or self.problems
        head = str(errors[0]) if errors else "invalid input"
        more = len(errors) - 1
        super().__init__(head + (f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""))


class FormatError(InputError):
    """The file cannot be read as the expected format at all."""


class ValidationError(InputError):
    """The file was read, but some rows or cells are invalid."""


class ReferenceDataError(RopaError):
    """The bundled legal reference data are inconsistent."""


class RuleError(RopaError):
    """A rule file is malformed (missing header field, bad severity, ...)."""


class OutputError(RopaError):
    """An output file cannot be written; nothing was left half-written."""


class ReportError(RopaError):
    """A report cannot be produced in the requested format."""


class PdfEngineMissing(ReportError):
    """No PDF engine (headless Chromium driven by Playwright) is installed."""


class BackendError(RopaError):
    """The graph store failed or refused an operation."""


class StoreLockedError(BackendError):
    """The on-disk embedded store is locked by another process."""


class StoreOutdatedError(BackendError):
    """The store was written by another version of this tool (its schema stamp differs); nothing was changed."""


class ConflictError(BackendError):
    """The RoPA changed (a newer revision) since the change was prepared: nothing was written; reload."""


class ReadOnlyError(BackendError):
    """A write was attempted where only reads are allowed."""


class BackendUnavailable(BackendError):
    """The graph server cannot be reached."""


class AuthenticationFailed(BackendError):
    """The graph server refused the credentials."""


class UnsupportedServer(BackendError):
    """The graph server is not a version or kind we support."""


GROUP_AT = 4        # this many problems with one message (up to names and numbers) are said on one line
MAX_LINES = 200     # lines of problems a terminal is given; the rest is counted


def problem_lines(problems: list[Problem], max_lines: int = MAX_LINES) -> list[str]:
    """Every problem in the order found, one line each, as ``error: ...`` or ``warning: ...``.

    Problems that say the same thing about many places (100,000 unknown columns) are
    grouped on the line of the first: the message once, the count, the first places.
    Nothing is dropped silently: past ``max_lines`` a last line counts what is left.

    >>> ps = [Problem("r.csv", 1, f"x{i}", None, "column not used", "warning") for i in range(5)]
    >>> ps.insert(0, Problem("r.csv", 2, "tia", "perhaps", "expected yes/no"))
    >>> for line in problem_lines(ps): print(line)
    error: r.csv, row 2, column 'tia', value 'perhaps': expected yes/no
    warning: r.csv: column not used (5 times: row 1 column 'x0', row 1 column 'x1', row 1 column 'x2', row 1 column 'x3', row 1 column 'x4')
    """
    import re
    shape = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.severity, p.file, shape.sub("#", p.message)), []).append(p)
    lines: list[str] = []
    told = 0
    for (severity, file, _), members in groups.items():
        if len(lines) >= max_lines:
            break
        if len(members) < GROUP_AT:
            for p in members:
                if len(lines) < max_lines:
                    lines.append(f"{severity}: {p}")
                    told += 1
            continue
        places = []
        for p in members[:5]:
            where = [f"row {p.row}"] if p.row is not None else []
            if p.column:
                where.append(f"column {p.column!r}")
            if p.value not in (None, ""):
                shown = str(p.value)
                where.append(f"value {shown[:37] + '...' if len(shown) > 40 else shown!r}")
            places.append(" ".join(where) or "-")
        message = members[0].message if len({m.message for m in members}) == 1 else \
            f"{members[0].message} (and the like)"
        lines.append(f"{severity}: {file or '<input>'}: {message} ({len(members)} times: "
                     + ", ".join(places) + (", ...)" if len(members) > len(places) else ")"))
        told += len(members)
    if told < len(problems):
        lines.append(f"... and {len(problems) - told} more problem(s) not shown")
    return lines
