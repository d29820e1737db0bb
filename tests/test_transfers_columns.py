"""The transfers made a column at a time (ropa.transfers._transfers) are exactly those the row-by-row
reading gave: the same rows kept, the same values, the same order.

The row-by-row reading it replaced is kept here as the oracle (`row_by_row`). The columns are drawn at
random with what makes that reading subtle: hops found by several chains (the shortest path kept, then
the smallest row and ids, the first of equal ones), names equal up to case (the order casefolds them),
unresolved places (named as written), nulls and node values in text columns, null paths and rows, and
mechanisms whose basis depends on the evaluation date."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from ropa.transfers import VERDICTS as VERDICT_IDS, Transfer, _instruments, _name, _transfers, transfer_columns

AS_OF = dt.date(2020, 7, 1)
TEXT = ("controller", "activity", "exporter", "importer", "role", "destination", "destination_name", "mechanism",
        "mechanism_label", "mechanism_raw", "adequacy", "adequacy_scope", "evidence", "source", "activity_id",
        "exporter_id", "importer_id", "hop_type", "src_id", "evidence_at")


def row_by_row(cols: dict[str, list], as_of: dt.date | None = None) -> list[Transfer]:
    """The reading before the columns (main 8a6a078), one row at a time."""
    if not cols:
        return []
    text = {f: [v if type(v) is str else _name(v) for v in cols[f]] for f in TEXT}
    instruments = _instruments() if any(k == "invalidated" for k in cols["mechanism_kind"]) else {}
    best, ranks, paths, bases, keys = {}, {}, {}, {}, {}
    for i in range(len(cols["controller"])):
        kind, mechanism, invalid_from = cols["mechanism_kind"][i], text["mechanism"][i], cols["mechanism_invalid_from"][i]
        if kind == "invalidated" and as_of is not None and invalid_from is not None and as_of < invalid_from:
            basis = instruments.get(mechanism, "") or cols["mechanism_legal_source"][i] or ""
        elif kind in ("art46", "derogation", "invalidated"):
            basis = cols["mechanism_legal_source"][i] or ""
        else:
            basis = cols["adequacy_legal_source"][i] or ""
        path = [p if type(p) is str else _name(p) for p in (cols["path"][i] or ())]
        destination, destination_name = text["destination"][i], text["destination_name"][i]
        if not cols["resolved"][i]:
            destination = destination_name = destination_name or destination
        key = (text["controller"][i], text["activity"][i], text["exporter"][i], text["importer"][i], destination)
        row = cols["row"][i]
        rank = (len(path), path, -1 if row is None else row, text["activity_id"][i], text["exporter_id"][i],
                text["src_id"][i], text["importer_id"][i])
        old = ranks.get(key)
        if old is not None and old <= rank:
            continue
        ranks[key], best[key] = rank, i
        paths[i], bases[i], keys[i] = path, basis, destination_name
    out = {key: Transfer(
        controller=key[0], activity=key[1], exporter=key[2], importer=key[3], role=text["role"][i], path=paths[i],
        destination=key[4], destination_name=keys[i], resolved=bool(cols["resolved"][i]),
        mechanism=text["mechanism"][i], mechanism_label=text["mechanism_label"][i],
        mechanism_raw=text["mechanism_raw"][i], mechanism_date=cols["mechanism_date"][i], tia=cols["tia"][i],
        requires_tia=bool(cols["requires_tia"][i]), adequacy=text["adequacy"][i],
        adequacy_scope=text["adequacy_scope"][i], basis_legal_source=bases[i], evidence=text["evidence"][i],
        source=text["source"][i], row=int(cols["row"][i]) if cols["row"][i] is not None else None,
        activity_id=text["activity_id"][i], exporter_id=text["exporter_id"][i], importer_id=text["importer_id"][i],
        hop_type=text["hop_type"][i], src_id=text["src_id"][i], evidence_at=text["evidence_at"][i])
        for key, i in best.items()}

    def order(key):
        t = out[key]
        return (t.controller.casefold(), t.activity.casefold(), len(t.path), t.importer.casefold(), t.destination,
                t.exporter.casefold(), ranks[key])
    return [out[key] for key in sorted(out, key=order)]


def columns(rnd: random.Random, n: int, awkward: bool) -> dict[str, list]:
    """n rows of the transfers query's columns, drawn from few values so that keys repeat."""
    def name(pool):
        v = rnd.choice(pool)
        if awkward and rnd.random() < 0.1:
            return rnd.choice([None, {"name": v}, {"id": v}, 7])
        return v

    orgs = ["Acme", "acme", "ACME", "Beta", "Zeta", "ärzte", "Ärzte", ""]
    cols: dict[str, list] = {f: [] for f in TEXT}
    for f in ("path", "resolved", "mechanism_kind", "mechanism_legal_source", "adequacy_legal_source",
              "mechanism_invalid_from", "mechanism_date", "tia", "requires_tia", "row"):
        cols[f] = []
    for _ in range(n):
        controller, importer = name(orgs[:4]), name(orgs)
        for f in TEXT:
            cols[f].append(name(["x", "y", "Y", "a"]))
        cols["controller"][-1], cols["importer"][-1] = controller, importer
        cols["activity"][-1] = name(["Payroll", "payroll", "CRM"])
        cols["exporter"][-1] = name(orgs[:5])
        cols["destination"][-1] = name(["US", "IN", "Atlantis", "us"])
        cols["destination_name"][-1] = name(["United States", "India", "", "Atlantis"])
        cols["mechanism"][-1] = name(["privacy_shield", "scc_2021", "none", ""])
        for f in ("activity_id", "exporter_id", "importer_id", "src_id"):
            cols[f][-1] = name(["1", "2", "10"])
        middle = [name(orgs) for _ in range(rnd.randrange(3))]
        path = [controller] + middle + [importer]
        cols["path"].append(None if awkward and rnd.random() < 0.05 else path)
        cols["resolved"].append(rnd.choice([True, True, False, None]) if awkward else rnd.choice([True, False]))
        cols["mechanism_kind"].append(rnd.choice(["invalidated", "art46", "derogation", "adequacy", None]))
        cols["mechanism_legal_source"].append(rnd.choice(["Art. 46", "", None]))
        cols["adequacy_legal_source"].append(rnd.choice(["Decision X", "", None]))
        cols["mechanism_invalid_from"].append(rnd.choice([dt.date(2020, 7, 16), dt.date(2019, 1, 1), None]))
        cols["mechanism_date"].append(rnd.choice([dt.date(2021, 1, 1), None]))
        cols["tia"].append(rnd.choice([True, False, None]))
        cols["requires_tia"].append(rnd.choice([True, False, None]))
        cols["row"].append(rnd.choice([None, 2, 3, 12]))
        if len(cols["row"]) > 1 and rnd.random() < 0.3:  # a twin of an earlier row: the same rank
            j = rnd.randrange(len(cols["row"]) - 1)
            for f in cols:
                cols[f][-1] = cols[f][j]
            if rnd.random() < 0.5:  # the same key: another quote, another role (the first row is kept)
                cols["evidence"][-1], cols["role"][-1] = f"twin {n}", "subprocessor"
            else:                   # another key, the same up to case: the order of the first rows
                cols["exporter"][-1] = str(cols["exporter"][j]).swapcase()
    return cols


def as_dicts(transfers):
    return [dataclasses.asdict(t) for t in transfers]


@pytest.mark.parametrize("awkward", [False, True], ids=["texts", "nulls-and-nodes"])
@pytest.mark.parametrize("seed", range(60))
def test_the_columns_give_the_row_by_row_transfers(seed, awkward):
    rnd = random.Random(seed)
    cols = columns(rnd, rnd.choice([1, 2, 5, 40, 200]), awkward)
    for as_of in (AS_OF, None):
        expected = row_by_row(cols, as_of)
        got = _transfers({k: list(v) for k, v in cols.items()}, as_of)
        assert as_dicts(got) == as_dicts(expected)


def test_the_drawn_columns_hold_what_makes_the_reading_subtle():
    """The draw is not vacuous: repeated keys with several paths, ties up to case, unresolved places."""
    cols = columns(random.Random(3), 200, True)
    expected = row_by_row(cols, AS_OF)
    assert len(expected) < 200                                  # repeated keys, one kept each
    folded = [(t.controller.casefold(), t.activity.casefold(), len(t.path), t.importer.casefold(), t.destination,
               t.exporter.casefold()) for t in expected]
    assert len(set(folded)) < len(folded)                       # rows ordered by their rank beyond the six
    assert any(not t.resolved for t in expected) and any(t.basis_legal_source for t in expected)
    ranks = [(len(t.path), t.path, t.row, t.activity_id, t.exporter_id, t.src_id, t.importer_id) for t in expected]
    assert len(set(map(repr, ranks))) < len(ranks)             # rows of the same rank: kept in first-row order


def test_no_rows_no_transfers():
    assert _transfers({}) == [] and _transfers({f: [] for f in TEXT + ("path",)}) == []


def test_a_transfer_has_slots_and_no_dict():
    """Transfers are many (303,571 at 1M relationships): no per-object dict, no attribute by mistake."""
    t = row_by_row(columns(random.Random(1), 1, False))[0]
    with pytest.raises(AttributeError):
        t.verdit = "no_valid_basis"


# -- the query's lookups laid on the hops (ropa.transfers._joined) as the joins in the query laid them ------------

def _store_with(*statements):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.samples import example_graph
    store = EmbeddedBackend(None)
    store.replace(example_graph())
    for statement in statements:
        store.conn.execute(statement)
    return store


TWIN_DECISION = ("CREATE (:Adequacy {id: 'twin', country: 'US', instrument: 'Twin decision', "
                 "valid_from: date('2020-01-01'), scope: 'Twin scope', legal_source: 'Twin source'})",
                 "MATCH (a:Adequacy), (k:Country) WHERE a.id = 'twin' AND k.id = 'US' CREATE (a)-[:COVERS]->(k)")
NO_EXPORTER = ("MATCH (:Activity)-[h:DISCLOSES_TO]->(o:Organisation) WHERE o.name = 'Mail Blast LLC' "
               "SET h.exporter = 'nobody'",)
NO_MECHANISM = ("MATCH (:Organisation)-[h:ENGAGES]->(o:Organisation) WHERE o.name = 'SMS Relay Inc' "
                "SET h.mechanism = 'no_such_mechanism'",)


@pytest.mark.parametrize("change", ["none", "two decisions in force", "no such exporter", "no such mechanism",
                                    "all three"])
@pytest.mark.parametrize("as_of", [dt.date(2020, 7, 1), dt.date(2026, 11, 22)])
def test_the_lookups_are_laid_on_the_hops_as_the_joins_did(change, as_of):
    """On a store changed where the joins are subtle: a country with two decisions in force (a row per
    decision), a hop whose exporter is no organisation (left out), a mechanism id that is no mechanism (nulls)."""
    from test_chain import assert_same_rows_as_the_joins
    statements = {"none": (), "two decisions in force": TWIN_DECISION, "no such exporter": NO_EXPORTER,
                  "no such mechanism": NO_MECHANISM,
                  "all three": TWIN_DECISION + NO_EXPORTER + NO_MECHANISM}[change]  # row by row (two decisions)
    with _store_with() as plain, _store_with(*statements) as store:
        n, before = assert_same_rows_as_the_joins(store, as_of), assert_same_rows_as_the_joins(plain, as_of)
        cols = transfer_columns(store, as_of)
    assert n > 0 and "Organisation" not in cols["hop_type"]
    if change == "two decisions in force":
        assert n > before and "Twin decision" in cols["adequacy"]
    elif change == "no such exporter":
        assert n < before
    elif change == "no such mechanism":
        i = cols["mechanism"].index("no_such_mechanism")
        assert n == before and cols["mechanism_label"][i] is None and cols["requires_tia"][i] is None


# -- the register's order after the verdicts, and the explorer's findings back as objects ------------------------

def test_read_transfers_are_in_the_registers_order_so_the_verdicts_pass_alone_sorts_them():
    """build_report and build_register sort by the verdict alone (presorted): read_transfers gives the rest's
    order, and the result is the two-sort order, on a register whose verdicts are mixed."""
    import io
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats.register import read_register
    from ropa.generate import generate
    from ropa.rules import evaluate
    from ropa.transfers import judge, read_transfers, sort_worst_first
    buf = io.StringIO()
    generate(buf, 3000, 5)
    as_of = dt.date(2026, 11, 22)
    with EmbeddedBackend(None) as store:
        store.replace(read_register(io.BytesIO(buf.getvalue().encode("utf-8")), "g.csv"))
        transfers = read_transfers(store, as_of)
        judge(transfers, evaluate(store, as_of))
    rest = [(t.controller.casefold(), t.activity.casefold(), len(t.path), t.importer.casefold(), t.destination)
            for t in transfers]
    assert rest == sorted(rest)
    assert len({t.verdict for t in transfers}) >= 3 and len({t.controller for t in transfers}) > 1
    some = transfers[::2]   # a scope leaves some out: still in order
    for part in (transfers, some):
        fast = sort_worst_first(part, presorted=True)
        assert fast == sort_worst_first(part) and [t.verdict for t in fast] != [t.verdict for t in part]
        assert fast == sorted(part, key=lambda t: (list(VERDICT_IDS).index(t.verdict),) + (
            t.controller.casefold(), t.activity.casefold(), len(t.path), t.importer.casefold(), t.destination))
