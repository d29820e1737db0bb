"""What goes to one country: the map's country view (pure; the explorer's Overview shows it).

A country outside the EEA lists the restricted transfers whose destination it is, with their
verdicts as the evaluation laid them; a country inside the EEA lists the recipients that process
data there and the activities whose data they receive (no transfer: nothing to verdict).
"""
from __future__ import annotations

import pandas as pd

# the verdict first: it is what one looks for; the data categories and subjects are those of the transfer's activity
COLUMNS = ["verdict", "importer", "activity", "mechanism", "data categories", "data subjects", "controller", "rules",
           "evidence"]
FROM_TABLE = {"data categories": "data_categories", "data subjects": "data_subjects"}  # the transfer table's names


def country_choices(cat, transfers: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, "Name: n restricted transfers" or "Name (EEA): n recipients") for every country data go to,
    countries with transfers first, then by name."""
    names = dict(zip(cat.places["country"], cat.places["name"]))
    counts: dict[str, int] = {}
    for dest in transfers["destination"] if len(transfers) else []:
        for code in str(dest).split(", "):
            if code:
                counts[code] = counts.get(code, 0) + 1
    out = [(c, f"{names.get(c, c)}: {n} restricted transfer{'s' if n != 1 else ''}") for c, n in counts.items()]
    inside = cat.places[cat.places["processing"].astype(bool) & cat.places["eea"].astype(bool)]
    for code, orgs in inside.groupby("country")["org"]:
        if code not in counts:
            n = len(set(orgs))
            out.append((code, f"{names.get(code, code)} (EEA): {n} recipient{'s' if n != 1 else ''}"))
    return sorted(out, key=lambda kv: (kv[0] not in counts, kv[1].casefold()))


def country_flows(cat, transfers: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of :data:`COLUMNS` for one country (see the module docstring)."""
    if len(transfers):
        hit = transfers[[code in str(d).split(", ") for d in transfers["destination"]]]
        if len(hit):
            return hit[[FROM_TABLE.get(c, c) for c in COLUMNS]].set_axis(COLUMNS, axis=1).reset_index(drop=True)
    places = cat.places
    orgs = set(places["org"][(places["country"] == code) & places["processing"].astype(bool)])
    hops = cat.hops[cat.hops["importer_id"].isin(orgs)]
    out = pd.DataFrame({"verdict": ["inside the EEA"] * len(hops), "importer": hops["importer"],
                        "activity": hops["activity"], "mechanism": ["not needed: inside the EEA"] * len(hops),
                        "data categories": [""] * len(hops), "data subjects": [""] * len(hops),
                        "controller": hops["controller"], "rules": [""] * len(hops), "evidence": [""] * len(hops)})
    return out.drop_duplicates().sort_values(["importer", "activity"]).reset_index(drop=True)


def data_summary(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The data categories and the data subjects of a country's rows, each once, by name."""
    def each(column: str) -> list[str]:
        found = {v for cell in rows[column] for v in str(cell).split("; ") if v}
        return sorted(found, key=str.casefold)
    return each("data categories"), each("data subjects")
