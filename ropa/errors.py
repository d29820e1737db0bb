"""The one error hierarchy of the library.

::

    RopaError                      anything the library raises on purpose
    ├── InputError                 a user's file or value is wrong; carries Problems
    │   ├── FormatError            the file cannot be read as the format at all
    │   └── ValidationError        it can be read, but rows/cells are invalid
    ├── ReferenceDataError         data/reference/ is inconsistent (a bug in our data)
    ├── RuleError                  a queries/*.cypher file is malformed
    ├── ReportError                a report cannot be produced
    │   └── PdfEngineMissing       no headless Chromium to print the PDF with
    └── BackendError               the graph store failed or refused
        ├── StoreLockedError       the on-disk store is held by another process
        ├── ConflictError          someone else changed the RoPA since the change was prepared
        ├── ReadOnlyError          a write was attempted through the read-only console
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


class ReportError(RopaError):
    """A report cannot be produced in the requested format."""


class PdfEngineMissing(ReportError):
    """No PDF engine (headless Chromium driven by Playwright) is installed."""


class BackendError(RopaError):
    """The graph store failed or refused an operation."""


class StoreLockedError(BackendError):
    """The on-disk embedded store is locked by another process."""


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
