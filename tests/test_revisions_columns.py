"""The revision's change made a column at a time (``revisions._change``) is the change as first written
(``revisions.diff_by_records``, a dict per row, kept as the oracle) and packs to the same text as
``pack_change`` (json.dumps of the whole, zlib, base64): the store keeps those bytes, so they must not
move. Also ``controllers_of`` against its record-by-record form, and the packing a part at a time."""
from __future__ import annotations

import base64
import io
import random
import zlib

import pandas as pd
import pytest

from ropa import revisions
from ropa.formats.register import read_register
from ropa.generate import generate
from ropa.model import RopaGraph
from ropa.samples import example_graph


def generated(relationships: int, seed: int) -> RopaGraph:
    buf = io.StringIO()
    generate(buf, relationships, seed=seed)
    return read_register(io.BytesIO(buf.getvalue().encode("utf-8")), "register.csv")


def with_table(g: RopaGraph, kind: str, name: str, df: pd.DataFrame) -> RopaGraph:
    nodes, rels = dict(g.nodes), dict(g.rels)
    (nodes if kind == "nodes" else rels)[name] = df
    return RopaGraph(nodes, rels, [])


def edited(g: RopaGraph, seed: int) -> RopaGraph:
    """``g`` with values changed, rows removed and rows added, awkward values among them."""
    rnd = random.Random(seed)
    df = g.rels["ENGAGES"].copy()
    if len(df):
        idx = df.index[rnd.randrange(3)::5]
        df.loc[idx, "mechanism"] = rnd.choice(["SCC 2021", None, 'quote " back\\slash', "naïve 𝄞 %s %%", ""])
        df = df.drop(df.index[rnd.randrange(4)::7])
        extra = df.head(3).copy()
        extra["activity"] = extra["activity"].astype(str) + "::new"
        df = pd.concat([df, extra], ignore_index=True)
    g = with_table(g, "rels", "ENGAGES", df)
    acts = g.nodes["Activity"].copy()
    if len(acts):
        acts.loc[acts.index[::3], "purpose"] = "changed purpose, 'quoted' \u2028 line"
    return with_table(g, "nodes", "Activity", acts)


def hops_only(g: RopaGraph) -> RopaGraph:
    """Only some hops changed (the controllers come from the hops' activities alone)."""
    df = g.rels["ENGAGES"].copy()
    df.loc[df.index[::9], "mechanism"] = "SCC 2010"
    return with_table(g, "rels", "ENGAGES", df)


def one_link_gone(g: RopaGraph, rel_type: str) -> RopaGraph:
    """One link of an activity gone (its controller comes from CONTROLS' target, PROCESSES' source)."""
    df = g.rels[rel_type]
    return with_table(g, "rels", rel_type, df.drop(df.index[len(df) // 2]))


def graphs():
    ex = example_graph()
    small = generated(600, 3)
    return {"example": ex, "generated": small, "edited example": edited(ex, 1),
            "edited generated": edited(small, 2), "empty": RopaGraph.empty(),
            "hops only": hops_only(small), "controls only": one_link_gone(small, "CONTROLS"),
            "processes only": one_link_gone(small, "PROCESSES")}


PAIRS = [("empty", "example"), ("example", "empty"), ("example", "edited example"),
         ("edited example", "example"), ("empty", "generated"), ("generated", "edited generated"),
         ("edited generated", "generated"), ("example", "example"), ("example", "generated"),
         ("generated", "hops only"), ("generated", "controls only"), ("generated", "processes only")]


@pytest.fixture(scope="module")
def all_graphs():
    return graphs()


@pytest.mark.parametrize("pair", PAIRS, ids=["->".join(p) for p in PAIRS])
def test_the_change_is_the_record_by_record_change_and_packs_the_same(all_graphs, pair):
    before, after = (all_graphs[p] for p in pair)
    oracle = revisions.diff_by_records(before, after)
    change, packed = revisions._change(before, after)
    assert change == oracle
    assert list(change) == list(oracle)
    for name in oracle:  # the same records in the same order, their keys in the same order
        for part in ("added", "removed", "changed"):
            assert [list(map(list, (r if part == "changed" else [r]))) for r in change[name][part]] == \
                   [list(map(list, (r if part == "changed" else [r]))) for r in oracle[name][part]]
            assert [[list(d) for d in (r if part == "changed" else [r])] for r in change[name][part]] == \
                   [[list(d) for d in (r if part == "changed" else [r])] for r in oracle[name][part]]
    assert packed == revisions.pack_change(oracle)
    assert revisions.diff(before, after) == oracle
    assert revisions.controllers_of(change, (before, after)) == revisions.controllers_by_record(oracle, (before, after))
    assert revisions.unpack_change(packed) == oracle
    lazy, text, (summary, touched) = revisions._change_of(before, after)  # what commit uses
    assert text == packed and summary == revisions.summarise(oracle)
    assert revisions._controllers(touched, (before, after)) == revisions.controllers_by_record(oracle, (before, after))
    assert lazy == oracle and oracle == lazy and dict(lazy) == oracle and list(lazy) == list(oracle)
    if pair[1] in ("hops only", "controls only", "processes only"):
        assert set(oracle) <= {"rels/ENGAGES", "rels/CONTROLS", "rels/PROCESSES"}
        assert revisions.controllers_of(change, (before, after))


def test_awkward_values_pack_as_json_dumps_writes_them():
    """bool beside int in one column (True == 1 as a dict key), floats, texts that need escaping, a
    country left unresolved, a table with no rows after the change."""
    ex = generated(300, 4)
    acts = ex.nodes["Activity"].copy()
    acts["row"] = [True if k % 3 == 0 else k for k in range(len(acts))]  # bool and int mixed
    acts.loc[acts.index[:2], "retention"] = [1.5, float("inf")]
    acts.loc[acts.index[2:4], "name"] = ['a "b" \\ c', "é\x00\x1f%"]
    after = with_table(ex, "nodes", "Activity", acts)
    countries = after.nodes["Country"].copy()
    countries = pd.concat([countries, pd.DataFrame([{"id": "?:Atlantis", "name": "Atlantis", "eea": False,
                                                     "resolved": False}])], ignore_index=True)
    after = with_table(after, "nodes", "Country", countries)
    after = with_table(after, "rels", "CONTROLS", after.rels["CONTROLS"].head(0))
    for before, new in ((ex, after), (after, ex), (RopaGraph.empty(), after)):
        oracle = revisions.diff_by_records(before, new)
        change, packed = revisions._change(before, new)
        assert change == oracle and packed == revisions.pack_change(oracle)
    assert "nodes/Country" in revisions.diff_by_records(ex, after)


def test_a_repeated_key_falls_back_to_the_record_by_record_change():
    ex = example_graph()
    df = ex.rels["ENGAGES"]
    twice = pd.concat([df, df.head(1).assign(mechanism="other")], ignore_index=True)
    after = with_table(ex, "rels", "ENGAGES", twice)
    assert revisions._keyed_columns(after) is None
    oracle = revisions.diff_by_records(RopaGraph.empty(), after)
    assert revisions._change(RopaGraph.empty(), after) == (oracle, revisions.pack_change(oracle))


def test_packing_a_part_at_a_time_gives_the_bytes_of_the_whole():
    rnd = random.Random(7)
    words = ['{"a": 1}', "null", '"naïve"', ", ", "[", "]", "x" * 300]
    text = "".join(rnd.choice(words) for _ in range(60_000))
    for _ in range(5):
        cuts = sorted(rnd.sample(range(1, len(text)), 40))
        parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assert revisions._packed_parts(parts) == revisions._packed_text(text)
    assert revisions._packed_parts(["{", "}"]) == revisions._packed_text("{}") == "{}"
    assert revisions._packed_text(text).startswith(revisions.PACKED)
    assert zlib.decompress(base64.b64decode(revisions._packed_parts([text])[len(revisions.PACKED):])) == text.encode()


def test_commit_stores_the_change_pack_change_writes(tmp_path):
    from ropa.backends.embedded import EmbeddedBackend
    g = generated(400, 5)
    with EmbeddedBackend(str(tmp_path / "s.lbdb")) as store:
        rev = revisions.commit(store, g, author="Dana", reason="import", kind="import")
        (stored,) = store.revisions()
        assert stored["change"] == revisions.pack_change(revisions.diff_by_records(RopaGraph.empty(), g))
        assert rev.change == revisions.history(store)[0].change
        oracle = revisions.diff_by_records(RopaGraph.empty(), g)
        assert rev.counts() == (sum(len(p["added"]) for p in oracle.values()), 0, 0)
        assert rev.summary == revisions.summarise(oracle)
        assert rev.controllers == "; ".join(revisions.controllers_by_record(rev.change, (RopaGraph.empty(), g)))
