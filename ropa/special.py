"""Special categories of personal data (Art. 9 GDPR) and criminal-offence data (Art. 10): which
activities process them, under which Art. 9(2) condition, where those data go and which restricted
transfers carry them. Pure: reads through a backend, returns tables; the explorer only shows them.
"""
from __future__ import annotations

import re

import pandas as pd

from .transfers import VERDICTS, verdict_label

NOT_RECORDED = "not recorded"
_CONDITION = re.compile(r"^(?:art(?:icle)?\.?\s*)?9\s*[(.\s]?\s*2\s*[).\s]?\s*[(.\s]?\s*([a-j])\s*\)?\.?$", re.I)
ACTIVITY_COLUMNS = ["controller", "activity", "article", "special data", "condition", "legal basis", "recipients",
                    "countries", "restricted transfers", "worst verdict", "activity_id"]


def condition_label(text: object) -> str:
    """The Art. 9(2) condition as the GDPR cites it; other text as written; :data:`NOT_RECORDED` if empty.

    >>> [condition_label(t) for t in ("9(2)(h)", "h", "Art. 9.2.a", "article 9(2)(j)", "explicit consent", None)]
    ['Art. 9(2)(h)', 'Art. 9(2)(h)', 'Art. 9(2)(a)', 'Art. 9(2)(j)', 'explicit consent', 'not recorded']
    """
    if text is None or (isinstance(text, float) and text != text):
        return NOT_RECORDED
    s = " ".join(str(text).split())
    if not s:
        return NOT_RECORDED
    if len(s) == 1 and s.lower() in "abcdefghij":
        return f"Art. 9(2)({s.lower()})"
    m = _CONDITION.match(s)
    return f"Art. 9(2)({m.group(1).lower()})" if m else s


def article_label(article: object) -> str:
    """'Art. 9' or 'Art. 10' from the stored article (an integer, or a float when pandas read it with
    gaps), never 'Art. 9.0'.

    >>> article_label(9.0), article_label(10), article_label(None)
    ('Art. 9', 'Art. 10', 'Art. 9')
    """
    try:
        return f"Art. {int(float(article))}"
    except (TypeError, ValueError):
        return "Art. 9"


# the register's verdict words (ropa.transfers decides them), worst first
_WORST_FIRST = [verdict_label(v) for v in VERDICTS]


def read_special(store) -> pd.DataFrame:
    """One row per (activity, special data category) in the store (the query
    ``ropa/browse/queries/special_categories.cypher``)."""
    from .browse import run  # here: ropa.art30 uses the labels above without loading the explorer's queries
    cols = ["activity_id", "activity", "controller_id", "controller", "special_condition", "legal_basis",
            "category", "special", "article"]
    return pd.DataFrame.from_records(run(store, "special_categories"), columns=cols).astype(object)


def special_activities(rows: pd.DataFrame, hops: pd.DataFrame, places: pd.DataFrame,
                       transfers: pd.DataFrame) -> pd.DataFrame:
    """One row per activity processing special-category data: its categories, the condition it relies on
    (:func:`condition_label`), its recipients and the countries they process data in, and the restricted
    transfers that carry its data with the worst verdict among them.

    ``hops`` and ``places`` are the catalogue's (:class:`ropa.browse.Catalogue`), ``transfers`` the
    evaluation's restricted-transfer table (``activity_id`` and ``verdict`` columns)."""
    if rows.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    # where each recipient processes data; where it is established when that is all the register says
    country_names: dict[str, list[str]] = {}
    for processing in (True, False):
        part = places[places["processing"].astype(bool) == processing]
        for org, names in part.groupby("org")["name"]:
            country_names.setdefault(org, sorted(set(map(str, names))))
    wanted = set(rows["activity_id"])
    # one pass over the (possibly huge) hop and transfer tables, not one per activity
    hops_of = {k: g for k, g in hops[hops["activity_id"].isin(wanted)].groupby("activity_id", sort=False)}
    carried_of = ({k: g for k, g in transfers[transfers["activity_id"].isin(wanted)].groupby("activity_id", sort=False)}
                  if len(transfers) else {})
    no_hops = hops.iloc[:0]
    out = []
    for act_id, group in rows.groupby("activity_id", sort=False):
        first = group.iloc[0]
        mine = hops_of.get(act_id, no_hops)
        recipients = sorted(set(map(str, mine["importer"])), key=str.casefold)
        countries = sorted({c for org in set(mine["importer_id"]) for c in country_names.get(org, [])})
        carried = carried_of.get(act_id, transfers.iloc[:0])
        verdicts = set(map(str, carried["verdict"])) if len(carried) else set()
        worst = min(verdicts, key=lambda v: _WORST_FIRST.index(v) if v in _WORST_FIRST else 9) if verdicts else ""
        articles = sorted({article_label(a) for a in group["article"]})
        out.append({
            "controller": first["controller"], "activity": first["activity"], "article": ", ".join(articles),
            "special data": "; ".join(f"{c} ({s})" for c, s in zip(group["category"], group["special"])),
            "condition": condition_label(first["special_condition"]) if "Art. 9" in articles else
            (first["legal_basis"] or NOT_RECORDED),
            "legal basis": first["legal_basis"] or NOT_RECORDED,
            "recipients": ", ".join(recipients), "countries": ", ".join(countries),
            "restricted transfers": len(carried), "worst verdict": worst, "activity_id": act_id,
        })
    return pd.DataFrame(out, columns=ACTIVITY_COLUMNS)


def activity_flags(rows: pd.DataFrame) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Each activity's special data as a short flag ("Art. 9: health"), by activity id and by (controller
    name, activity name) (findings name activities that way).

    >>> rows = pd.DataFrame([{"activity_id": "c::a", "controller": "C", "activity": "A", "article": 9.0,
    ...                       "special": "health"}])
    >>> activity_flags(rows)
    ({'c::a': 'Art. 9: health'}, {('C', 'A'): 'Art. 9: health'})
    """
    by_id: dict[str, str] = {}
    by_name: dict[tuple[str, str], str] = {}
    for act_id, group in rows.groupby("activity_id", sort=False):
        flag = "; ".join(sorted({f"{article_label(a)}: {s}" for a, s in zip(group["article"], group["special"])}))
        by_id[act_id] = flag
        by_name[(group["controller"].iloc[0], group["activity"].iloc[0])] = flag
    return by_id, by_name
