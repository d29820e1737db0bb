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

# A transfer's verdict (decided in ropa.transfers, nowhere else), plus "none" for a hop that is no
# restricted transfer (data stay inside the EEA): the graph, the tables and the reports use these words.
VERDICTS = ("no_valid_basis", "action_needed", "cannot_judge", "basis_recorded", "none")
CANNOT_JUDGE_COLOUR = "#667085"
VERDICT_COLOURS = {"no_valid_basis": SEVERITY_COLOURS["high"], "action_needed": SEVERITY_COLOURS["medium"],
                   "cannot_judge": CANNOT_JUDGE_COLOUR, "basis_recorded": OK_COLOUR, "none": NEUTRAL_COLOUR}
VERDICT_LABELS = {"no_valid_basis": "No valid basis", "action_needed": "Action needed",
                  "cannot_judge": "Cannot be judged", "basis_recorded": "Basis recorded",
                  "none": "Not a restricted transfer (inside the EEA)"}
