"""Properties of the whole pipeline on random RoPAs (hypothesis).

- The rule pack's findings do not depend on names or ids: rename every controller,
  activity and vendor (a bijection; countries and mechanisms kept) and the findings
  are the same, names swapped.
- Nor on row order: shuffle the rows and the findings are the same; each finding's
  row still points at a row of its activity.
- Importing the same file twice changes nothing (add/merge and replace mode).

Budgets come from the hypothesis profile (tests/conftest.py): ``ropa`` for ``make
test``, ``ropa-deep`` (HYPOTHESIS_PROFILE=ropa-deep) for a long run.
"""
import io
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TODAY, register_bytes
from strategies import EXTRA, ropas

from ropa.backends.embedded import EmbeddedBackend
from ropa.formats import read_file, write_file
from ropa.formats.register import read_register
from ropa.rules import evaluate

TAG = re.compile(r"⟦(\d+)⟧")
NAMED = ("controller", "activity", "recipient", "engaged_by")


def budget(share: float) -> settings:
    """A share of the profile's max_examples (the profile sets deadline and health checks)."""
    return settings(max_examples=max(1, round(settings().max_examples * share)))


def findings_of(rows):
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=EXTRA)), "r.csv")
    with EmbeddedBackend(None) as store:  # as `ropa check FILE` does: a scratch store
        store.replace(g)
        return evaluate(store, TODAY)


def masked(findings, names: dict[str, str]):
    """Findings with every tagged name replaced by its tag, as sorted comparable records (row left out)."""
    def mask(text: str) -> str:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, names[name])
        return text
    out = []
    for f in findings:
        rec = {k: v for k, v in vars(f).items() if k != "row"}
        rec = {k: [mask(x) for x in v] if isinstance(v, list) else mask(v) if isinstance(v, str) else v
               for k, v in rec.items()}
        out.append(repr(sorted(rec.items())))
    return sorted(out)


def name_index(rows) -> dict[str, str]:
    """Each organisation/activity name as the importer shows it -> its tag."""
    out = {}
    for r in rows:
        for col in NAMED:
            v = r.get(col, "")
            m = TAG.search(v)
            if m:
                out[" ".join(v.split())] = f"<{m.group(1)}>"
    return out


@budget(0.4)
@given(rows=ropas(), new_names=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzÄÖÜßé -.&", min_size=1,
                                                 max_size=15), min_size=60, max_size=60),
       seed=st.integers(0, 2**32 - 1))
def test_findings_do_not_depend_on_names_or_row_order(rows, new_names, seed):
    before = findings_of(rows)
    # A bijection on names: the same tag, other text. Countries, mechanisms and the rest stay.
    renamed_name = {}
    for r in rows:
        for col in NAMED:
            m = TAG.search(r.get(col, ""))
            if m:
                i = int(m.group(1))
                renamed_name[r[col]] = (" ".join(new_names[i % 60].split()) or "x") + m.group(0)
    renamed = [{k: renamed_name.get(v, v) if k in NAMED else v for k, v in r.items()} for r in rows]
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    shuffled = [renamed[i] for i in order]
    after = findings_of(shuffled)
    assert masked(after, name_index(shuffled)) == masked(before, name_index(rows))
    # Row numbers are the shuffled file's: each still points at a row of the finding's activity.
    for f in after:
        if f.row is not None and f.activity:
            assert " ".join(shuffled[f.row - 2]["activity"].split()) == f.activity, (f.rule, f.row, f.activity)


@budget(0.3)
@given(first=ropas(max_vendors=3), other=st.none() | ropas(max_controllers=1, max_vendors=2),
       fmt=st.sampled_from(["csv", "xlsx", "bundle", "json", "graphml"]))
def test_importing_the_same_file_twice_changes_nothing(first, other, fmt):
    g = read_register(io.BytesIO(register_bytes(*first, extra_columns=EXTRA)), "r.csv")
    buf = io.BytesIO()
    write_file(g, buf, fmt)
    data, name = buf.getvalue(), "file." + {"bundle": "zip"}.get(fmt, fmt)
    with EmbeddedBackend(None) as store:
        if other is not None:  # add to a store that already holds another RoPA
            store.load(read_register(io.BytesIO(register_bytes(*other, extra_columns=EXTRA)), "o.csv"))
        store.load(read_file(io.BytesIO(data), name))
        once = store.export().fingerprint()
        store.load(read_file(io.BytesIO(data), name))
        assert store.export().fingerprint() == once
        store.replace(read_file(io.BytesIO(data), name))
        replaced = store.export().fingerprint()
        store.replace(read_file(io.BytesIO(data), name))
        assert store.export().fingerprint() == replaced
        if other is None:
            assert replaced == once


def test_fingerprint_sees_a_changed_import():
    """The idempotence check above can fail: a second, different import changes the fingerprint."""
    rows = [{"controller": "A⟦0⟧", "activity": "P⟦1⟧", "recipient": "V⟦2⟧", "recipient_country": "US"}]
    with EmbeddedBackend(None) as store:
        store.load(read_register(io.BytesIO(register_bytes(*rows)), "r.csv"))
        once = store.export().fingerprint()
        rows[0]["mechanism"] = "scc_2021"
        store.load(read_register(io.BytesIO(register_bytes(*rows)), "r.csv"))
        assert store.export().fingerprint() != once


@budget(0.3)
@given(rows=ropas(max_vendors=3))
def test_fingerprint_is_one_function_of_the_data(rows):
    """The fingerprint of a register's graph, of the store's export and of its tables read one at a time
    (what the report hashes) is one value; the rows in the reverse order give it too."""
    from ropa.model import RopaGraph, fingerprint_of
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=EXTRA)), "r.csv")
    with EmbeddedBackend(None) as store:
        store.replace(g)
        stored = store.export()
        from_tables = fingerprint_of(store.export_tables())
    reverse = RopaGraph({k: df.iloc[::-1].reset_index(drop=True) for k, df in g.nodes.items()},
                        {k: df.iloc[::-1].reset_index(drop=True) for k, df in g.rels.items()})
    assert g.fingerprint() == stored.fingerprint() == from_tables == reverse.fingerprint()
