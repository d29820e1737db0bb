"""`ropa generate`: a synthetic RoPA that imports cleanly, has the requested size and the shape of a group."""
import datetime as dt
import io
from collections import defaultdict

import pytest

from ropa.formats.register import read_register
from ropa.generate import generate, write_generated
from ropa.rules import evaluate, load_rules, run_rule

AS_OF = dt.date(2026, 12, 1)


def _csv(n: int, seed: int) -> tuple[bytes, object]:
    buf = io.StringIO()
    stats = generate(buf, relationships=n, seed=seed)
    return buf.getvalue().encode("utf-8"), stats


@pytest.fixture(scope="module")
def big():
    data, stats = _csv(3000, 11)
    return read_register(io.BytesIO(data), "gen.csv"), stats


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, _ = _csv(2000, 5)
    b, _ = _csv(2000, 5)
    c, _ = _csv(2000, 6)
    assert a == b
    assert a != c
    write_generated(tmp_path / "x", 2000, 5)
    assert (tmp_path / "x" / "register.csv").read_bytes() == a


@pytest.mark.parametrize("n", [1000, 2500])
def test_imported_relationships_match_the_request(n):
    data, stats = _csv(n, 3)
    graph = read_register(io.BytesIO(data), "gen.csv")  # raises on any error
    got = sum(len(df) for df in graph.rels.values())
    assert abs(got - n) <= 0.1 * n
    assert got == stats.relationships  # the generator's own count is the importer's
    assert {k: len(v) for k, v in graph.rels.items() if len(v)} == {k: v for k, v in stats.by_type.items() if v}


def test_imports_without_problems_but_unknown_places(big):
    graph, _ = big
    assert all(p.severity == "warning" and "country not recognised" in p.message for p in graph.warnings)


def test_group_shape(big):
    graph, stats = big
    orgs = graph.nodes["Organisation"].set_index("id")
    controls = graph.rels["CONTROLS"]
    controllers = set(controls["src"])
    assert len(controllers) >= 3
    assert len({orgs.loc[c, "country"] for c in controllers}) >= 3
    # Shared vendors: one vendor serves activities of several controllers.
    owner = dict(zip(controls["dst"], controls["src"]))
    d = graph.rels["DISCLOSES_TO"]
    served = defaultdict(set)
    for act, vendor in zip(d["src"], d["dst"]):
        served[vendor].add(owner[act])
    assert max(len(s) for s in served.values()) >= 3
    # Sub-processor chains five ENGAGES deep below the processor, within one activity.
    e = graph.rels["ENGAGES"]
    children = defaultdict(list)
    for act, src, dst in zip(e["activity"], e["src"], e["dst"]):
        children[(act, src)].append(dst)

    def depth(act, org):
        return 1 + max((depth(act, c) for c in children.get((act, org), [])), default=0) \
            if children.get((act, org)) else 0
    deepest = max(depth(act, v) for act, v in zip(d["src"], d["dst"]))
    assert deepest == 5
    # Destinations and mechanisms, stale ones included.
    places = set(graph.rels["PROCESSES_IN"]["dst"])
    assert {"US", "GB", "CH", "IN", "PH", "DE"} <= places
    hops = list(d["mechanism"]) + list(e["mechanism"])
    assert {"privacy_shield", "scc_2010", "none", "dpf", "scc_2021", "bcr", "adequacy"} <= set(hops)
    assert hops.count(None) > len(hops) / 3  # most hops stay in the EEA with no mechanism
    # Special-category data on a minority of activities.
    cats = graph.nodes["DataCategory"].set_index("id")
    special_acts = {a for a, c in zip(graph.rels["PROCESSES"]["src"], graph.rels["PROCESSES"]["dst"])
                    if cats.loc[c, "article"] is not None}
    assert 0 < len(special_acts) < 0.3 * len(graph.nodes["Activity"])
    assert stats.special_activities == len(special_acts)


def test_rules_find_the_planted_problems(big, store):
    graph, _ = big
    store.replace(graph)
    # onward_transfer_chain enumerates chains over every activity's ENGAGES edges before filtering them
    # by activity; on shared vendor trees this grows exponentially (see bench/): tested below on a small RoPA.
    found = defaultdict(int)
    for rule in load_rules():
        if rule.id != "onward_transfer_chain":
            for f in run_rule(store, rule, AS_OF):
                found[f.rule] += 1
    assert {"privacy_shield_reliance", "outdated_scc", "transfer_without_safeguard", "adequacy_out_of_scope",
            "special_category_transfer", "scc_without_tia", "processor_without_dpa", "unknown_country"} <= set(found)


def test_whole_rule_pack_on_a_small_generated_ropa(store):
    data, _ = _csv(150, 2)
    store.replace(read_register(io.BytesIO(data), "gen.csv"))
    findings = evaluate(store, AS_OF)
    rules = {f.rule for f in findings}
    assert {"onward_transfer_chain", "transfer_without_safeguard", "processor_without_dpa"} <= rules
    assert max(len(f.path) for f in findings if f.rule == "onward_transfer_chain") >= 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tiny_registers_count_exactly(seed):
    # A few activities: not every controller has one, and only the ones that do are in the graph.
    data, stats = _csv(150, seed)
    graph = read_register(io.BytesIO(data), "gen.csv")
    assert {k: len(v) for k, v in graph.rels.items() if len(v)} == {k: v for k, v in stats.by_type.items() if v}
    assert stats.controllers == len(set(graph.rels["CONTROLS"]["src"]))


def test_cli_generate(tmp_path, capsys):
    from ropa.cli import main
    assert main(["generate", "--relationships", "1_500", "--seed", "4", "--out", str(tmp_path)]) == 0
    assert "relationships when imported" in capsys.readouterr().out
    assert (tmp_path / "register.csv").read_bytes() == _csv(1500, 4)[0]
    with pytest.raises(SystemExit) as e:
        main(["generate", "--relationships", "0", "--out", str(tmp_path)])
    assert e.value.code == 2
