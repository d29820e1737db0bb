"""The colours and words every view uses for severities, verdicts and node types.

One place, so the map, the graph, the tables and the reports agree: a "high"
finding is the same red everywhere. Colours were chosen to stay apart for the
common colour-vision deficiencies when paired with the shapes and dash styles
the graph adds (see :mod:`ropa.render`).
"""
from __future__ import annotations

SEVERITY_COLOURS = {"high": "#c62828", "medium": "#ef6c00", "low": "#f2b705"}
OK_COLOUR = "#2e7d32"          # a restricted transfer with no finding
EEA_COLOUR = "#9cc3e6"         # data stay inside the EEA
NEUTRAL_COLOUR = "#9aa5b1"     # a hop that is not a transfer and has no finding

# A hop's verdict: its worst finding decides; a transfer without one is "ok".
VERDICTS = ("violation", "warning", "ok", "none")
VERDICT_COLOURS = {"violation": SEVERITY_COLOURS["high"], "warning": SEVERITY_COLOURS["medium"],
                   "ok": OK_COLOUR, "none": NEUTRAL_COLOUR}
VERDICT_LABELS = {"violation": "violation (a high finding)", "warning": "warning (a medium or low finding)",
                  "ok": "restricted transfer, no finding", "none": "inside the EEA, no finding"}


def verdict_for(severity: str | None, transfer: bool) -> str:
    """The verdict of a hop from its worst finding's severity.

    >>> verdict_for("high", True), verdict_for("low", False), verdict_for(None, True), verdict_for(None, False)
    ('violation', 'warning', 'ok', 'none')
    """
    if severity == "high":
        return "violation"
    if severity in ("medium", "low"):
        return "warning"
    return "ok" if transfer else "none"
