"""Revisions: every change to the store is a revision (number, time, author, reason, records changed),
kept in the store with the change in one write; history, show (findings added / resolved), revert;
concurrent writers; a failed write leaves store and history unchanged; the journal never reaches the
RoPA (exports, fingerprints, rules)."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from conftest import register_bytes, row

from ropa import edits, revisions
from ropa.backends.embedded import EmbeddedBackend
from ropa.errors import BackendError, ConflictError, InputError
from ropa.formats.register import read_register
from ropa.transfers import build_register

DAY = dt.date(2026, 11, 22)
US_NO_MECHANISM = row(recipient="Cloudy Inc", recipient_role="processor", recipient_country="US")
SCC_2021 = {"mechanism": "SCC 2021", "mechanism_date": "2023-01-10", "tia": "yes", "dpa": "yes"}


def graph():
    return read_register(io.BytesIO(register_bytes(US_NO_MECHANISM, row(recipient="Arbo BV",
                                                                        recipient_country="NL"))), "r.csv")


def verdicts(store) -> dict[str, str]:
    return {t.importer: t.verdict for t in build_register(store, DAY)}


def cloudy(g) -> edits.HopKey:
    (key,) = [k for k, label, _ in edits.hops(g) if "Cloudy" in label]
    return key


@pytest.fixture
def disk(tmp_path):
    with EmbeddedBackend(tmp_path / "s.lbdb") as s:
        revisions.commit(s, graph(), author="ann", reason="first import", kind="import")
        yield s


def test_edit_resolves_the_finding_and_is_a_revision(disk):
    assert verdicts(disk)["Cloudy Inc"] == "no_valid_basis"
    base = revisions.head(disk)
    g = edits.set_hop(disk.export(), cloudy(disk.export()), SCC_2021)
    rev = revisions.commit(disk, g, author="Dana DPO", reason="SCCs signed", expected=base)
    assert verdicts(disk)["Cloudy Inc"] == "basis_recorded"
    assert (rev.number, rev.author, rev.reason, rev.kind, rev.controllers) == (2, "Dana DPO", "SCCs signed",
                                                                               "edit", "Acme BV")
    assert rev.counts() == (0, 0, 1)
    ((old, new),) = rev.change["rels/DISCLOSES_TO"]["changed"]
    assert (old["mechanism"], new["mechanism"], new["mechanism_date"], new["tia"]) == (None, "scc_2021",
                                                                                     "2023-01-10", True)
    dt.datetime.fromisoformat(rev.at)  # a timestamp
    added, resolved = revisions.revision_findings(disk, 2, DAY)
    assert added == [] and [f.rule for f in resolved] == ["transfer_without_safeguard"]
    assert [(r.number, r.kind) for r in revisions.history(disk)] == [(1, "import"), (2, "edit")]


def test_revert_brings_the_state_before_back_as_a_new_revision(disk):
    first = disk.export().fingerprint()
    revisions.commit(disk, edits.set_hop(disk.export(), cloudy(disk.export()), SCC_2021), author="d", reason="x")
    rev = revisions.revert(disk, 2, author="d", reason="signed the wrong version")
    assert rev.number == 3 and rev.kind == "revert"
    assert disk.export().fingerprint() == first
    assert verdicts(disk)["Cloudy Inc"] == "no_valid_basis"
    added, resolved = revisions.revision_findings(disk, 3, DAY)
    assert [f.rule for f in added] == ["transfer_without_safeguard"] and resolved == []
    # reverting the first import empties the RoPA; reverting that revert brings everything back
    revisions.revert(disk, 1, author="d", reason="start over")
    assert disk.export().count() == 0
    revisions.revert(disk, 4, author="d", reason="no, keep it")
    assert disk.export().fingerprint() == first


def test_a_stale_writer_is_refused_and_nothing_is_lost(disk):
    base = revisions.head(disk)  # both sessions read revision 1 when they opened the form
    g = disk.export()
    mine = edits.set_hop(g, cloudy(g), SCC_2021)
    theirs = edits.set_hop(g, cloudy(g), {"mechanism": "BCR", "mechanism_date": "2024-02-01"})
    revisions.commit(disk, mine, author="a", reason="first", expected=base)
    with pytest.raises(ConflictError, match="reload"):
        revisions.commit(disk, theirs, author="b", reason="second", expected=base)
    assert [r.author for r in revisions.history(disk)] == ["ann", "a"]
    assert disk.export().fingerprint() == mine.fingerprint()


def test_concurrent_writers_on_one_store_directory_never_lose_a_revision(tmp_path):
    """Two processes' worth of handles (one after the other holding the write lock), each from the same
    base: exactly one lands, the other is told; no revision is overwritten."""
    path = tmp_path / "s.lbdb"
    with EmbeddedBackend(path) as s:
        revisions.commit(s, graph(), author="ann", reason="import", kind="import")
    with EmbeddedBackend(path, read_only=True) as r:
        base, g = revisions.head(r), r.export()
    outcomes = []
    for who, values in (("a", SCC_2021), ("b", {"mechanism": "BCR"})):
        with EmbeddedBackend(path) as w:
            try:
                revisions.commit(w, edits.set_hop(g, cloudy(g), values), author=who, reason="edit", expected=base)
                outcomes.append("saved")
            except ConflictError:
                outcomes.append("reload")
    assert outcomes == ["saved", "reload"]
    with EmbeddedBackend(path, read_only=True) as r:
        assert [x.author for x in revisions.history(r)] == ["ann", "a"]


def test_a_failed_write_leaves_store_and_history_unchanged(disk, monkeypatch):
    before, history = disk.export().fingerprint(), disk.revisions()
    g = edits.set_hop(disk.export(), cloudy(disk.export()), SCC_2021)

    def fail(*a, **k):
        raise BackendError("disk full (injected)")
    monkeypatch.setattr("ropa.backends.embedded.EmbeddedBackend._build", fail)
    with pytest.raises(BackendError, match="unchanged"):
        revisions.commit(disk, g, author="d", reason="x")
    monkeypatch.undo()
    assert disk.export().fingerprint() == before and disk.revisions() == history
    path = disk.path
    disk.close()
    with EmbeddedBackend(path, read_only=True) as again:
        assert again.export().fingerprint() == before and again.revisions() == history


def test_bad_values_are_refused_with_page_field_and_value(disk):
    g = disk.export()
    with pytest.raises(InputError) as exc:
        edits.set_hop(g, cloudy(g), {"mechanism": "handshake", "mechanism_date": "2023-13-45", "tia": "maybe"})
    text = [str(p) for p in exc.value.problems]
    assert text[0].startswith("Transfers page, field 'mechanism', value 'handshake': unknown transfer mechanism")
    assert any("field 'mechanism_date', value '2023-13-45'" in t for t in text)
    assert any("field 'tia', value 'maybe'" in t for t in text)
    with pytest.raises(InputError, match="field 'reason'.*required"):
        revisions.commit(disk, g, author="d", reason="  ")
    assert revisions.head(disk) == 1


def test_the_journal_is_not_part_of_the_ropa(disk):
    """Exports, fingerprints and the rules never see the revisions."""
    g = graph()
    assert disk.export().fingerprint() == g.fingerprint()
    assert "Revision" not in disk.export().nodes
    assert disk.run("MATCH (r:Revision) RETURN count(r) AS n")[0]["n"] == 1
    with EmbeddedBackend(None) as mem:  # in memory: one transaction, the journal table kept across replaces
        revisions.commit(mem, g, author="a", reason="one")
        revisions.commit(mem, RopaGraph_empty(), author="a", reason="two")
        assert [r.number for r in revisions.history(mem)] == [1, 2] and mem.export().count() == 0


def RopaGraph_empty():
    from ropa.model import RopaGraph
    return RopaGraph.empty()


def test_cli_import_history_show_and_revert(tmp_path, capsys):
    from ropa.cli import main
    store = str(tmp_path / "s.lbdb")
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(US_NO_MECHANISM))
    assert main(["import", str(f), "--store", store, "--author", "ann", "--reason", "Q4 register"]) == 0
    assert "as revision 1" in capsys.readouterr().out
    with EmbeddedBackend(store) as s:
        g = s.export()
        revisions.commit(s, edits.set_hop(g, cloudy(g), SCC_2021), author="Dana", reason="SCCs signed")
    assert main(["history", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "1  " in out and "ann: Q4 register" in out and "Dana: SCCs signed  [+0 -0 ~1]" in out
    assert main(["history", "show", "2", "--store", store, "--as-of", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "by Dana: SCCs signed" in out and "mechanism None -> 'scc_2021'" in out
    assert "1 resolved" in out and "resolved high   transfer_without_safeguard" in out
    assert main(["history", "--store", store, "--format", "json", "--author", "Dana"]) == 0
    assert [r["revision"] for r in json.loads(capsys.readouterr().out)] == [2]
    assert main(["revert", "2", "--store", store, "--reason", "wrong SCCs"]) == 0
    assert "Revision 3" in capsys.readouterr().out
    with EmbeddedBackend(store, read_only=True) as s:
        assert {t.importer: t.verdict for t in build_register(s, DAY)}["Cloudy Inc"] == "no_valid_basis"
    assert main(["history", "show", "9", "--store", store]) == 2
    assert "no revision 9" in capsys.readouterr().err


def test_audit_log_csv_is_safe_to_open(tmp_path, capsys):
    from ropa.cli import main
    store = str(tmp_path / "s.lbdb")
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(US_NO_MECHANISM))
    assert main(["import", str(f), "--store", store, "--author", "=HYPERLINK(\"x\")", "--reason", "@SUM(1)"]) == 0
    capsys.readouterr()
    assert main(["history", "--store", store, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and "'@SUM(1)" in out


def test_a_store_restore_is_a_revision_and_the_journal_stays_append_only(tmp_path, capsys):
    """`ropa store restore N` brings back state N's RoPA, not its journal: the revisions made since stay
    listed and the restore is a new one (author, reason, its change), which `ropa revert` can undo."""
    from ropa.cli import main
    store = str(tmp_path / "s.lbdb")
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(US_NO_MECHANISM))
    assert main(["import", str(f), "--store", store, "--author", "ann", "--reason", "Q4 register"]) == 0
    with EmbeddedBackend(store) as s:
        first = s.export().fingerprint()
        g = s.export()
        revisions.commit(s, edits.set_hop(g, cloudy(g), SCC_2021), author="Dana", reason="SCCs signed")
        edited = s.export().fingerprint()
        assert [h.number for h in s.history()] == [1, 2]
    capsys.readouterr()
    assert main(["store", "restore", "1", "--store", store, "--author", "Ole", "--reason", "the SCCs are not signed"]) == 0
    out = capsys.readouterr().out
    assert "Restored state 1 as the new state 3" in out and "revision 3" in out
    with EmbeddedBackend(store, read_only=True) as s:
        assert s.export().fingerprint() == first
        assert s.history()[-1].what.startswith("restore of state 1 (")
        revs = revisions.history(s)
        assert [(r.number, r.kind, r.author, r.reason) for r in revs] == [
            (1, "import", "ann", "Q4 register"), (2, "edit", "Dana", "SCCs signed"),
            (3, "restore", "Ole", "the SCCs are not signed")]
        assert revs[2].counts() == (0, 0, 1)
        assert verdicts(s)["Cloudy Inc"] == "no_valid_basis"
    assert main(["history", "--store", store]) == 0
    assert "Ole: the SCCs are not signed" in capsys.readouterr().out
    assert main(["revert", "3", "--store", store, "--reason", "they are signed after all"]) == 0
    with EmbeddedBackend(store, read_only=True) as s:
        assert s.export().fingerprint() == edited
        assert [r.kind for r in revisions.history(s)] == ["import", "edit", "restore", "revert"]
        # the whole chain undoes: the RoPA before revision 1 is empty, before 3 is the edit
        assert revisions.graph_before(s, 1).count() == 0
        assert revisions.graph_before(s, 3).fingerprint() == edited


# -- activities, data categories and data subjects edited in place ------------------------------------
NEW_PAYROLL = {"purpose": "Pay staff and contractors", "legal_basis": "legal obligation",
               "special_condition": "Art. 9(2)(b)", "retention": "10 years", "security_measures": "encryption; MFA",
               "data_subjects": "employees; contractors", "data_categories": "name; health data"}


def test_an_activity_edit_is_what_an_import_of_the_edited_row_gives(disk):
    """Categories and subjects added and removed, Art. 30 fields changed: the RoPA equals the import of the
    register with that row changed the same way (the importer's own reading, ids and Art. 9 flags)."""
    g = disk.export()
    (act,) = g.nodes["Activity"]["id"]
    assert edits.activity_values(g, act)["data_categories"] == "name; bank account"
    states = len(disk.history())
    rev = revisions.commit(disk, edits.set_activity(g, act, NEW_PAYROLL), author="Dana", reason="payroll review")
    assert len(disk.history()) == states + 1  # one store write
    expected = read_register(io.BytesIO(register_bytes(
        {**US_NO_MECHANISM, **NEW_PAYROLL}, row(recipient="Arbo BV", recipient_country="NL", **NEW_PAYROLL))), "r.csv")
    assert disk.export().fingerprint() == expected.fingerprint()
    cats = disk.export().nodes["DataCategory"].set_index("id")
    assert cats.loc["health data", "special"] == "health" and "bank account" not in cats.index
    assert set(rev.change) >= {"nodes/Activity", "nodes/DataCategory", "nodes/DataSubject", "rels/PROCESSES",
                               "rels/CONCERNS"}
    added, _ = revisions.revision_findings(disk, rev.number, DAY)
    assert "special_category_transfer" in {f.rule for f in added}
    revisions.revert(disk, rev.number, author="Dana", reason="undo")
    assert disk.export().fingerprint() == graph().fingerprint()


def test_add_and_remove_an_activity_as_an_import_would_have_it(disk):
    g = disk.export()
    new = edits.add_activity(g, "acme bv", "Recruitment", {"purpose": "Hire staff", "legal_basis": "consent",
                                                           "data_subjects": "applicants", "data_categories": "name; CV"})
    revisions.commit(disk, new, author="Dana", reason="new activity")
    acts = disk.export().nodes["Activity"].set_index("id")
    assert acts.loc["acme bv::recruitment", "legal_basis"] == "consent"
    assert set(disk.export().rels["CONTROLS"]["dst"]) == {"acme bv::payroll", "acme bv::recruitment"}
    with pytest.raises(InputError) as exc:
        edits.add_activity(disk.export(), "acme bv", " recruitment ", {})
    assert str(exc.value.problems[0]).startswith("Record page, field 'activity', value 'recruitment'")
    with pytest.raises(InputError, match="field 'activity'.*name the activity"):
        edits.add_activity(disk.export(), "acme bv", "  ", {})
    # removing Payroll leaves what an import of the Recruitment row alone gives (its recipients go with it)
    before_remove = disk.export().fingerprint()
    rev = revisions.commit(disk, edits.remove_activity(disk.export(), "acme bv::payroll"), author="Dana",
                           reason="payroll outsourced")
    g = disk.export()
    assert set(g.nodes["Organisation"]["id"]) == {"acme bv"} and len(g.rels["DISCLOSES_TO"]) == 0
    assert set(g.nodes["DataCategory"]["id"]) == {"name", "cv"} and set(g.nodes["DataSubject"]["id"]) == {"applicants"}
    assert rev.counts()[1] > 5 and rev.controllers == "Acme BV"
    revisions.revert(disk, rev.number, author="Dana", reason="not yet")
    assert disk.export().fingerprint() == before_remove


# -- imports marked "needs review": drafts kept apart until accepted ----------------------------------
MARKETING = row(activity="Marketing", purpose="Newsletters", legal_basis="consent", data_subjects="customers",
                data_categories="email", recipient="Mailer Inc", recipient_role="processor", recipient_country="US")


def test_an_import_marked_needs_review_stays_out_of_the_report_until_accepted(tmp_path, capsys):
    from ropa.cli import main
    store = str(tmp_path / "s.lbdb")
    first, generated = tmp_path / "r.csv", tmp_path / "generated.csv"
    first.write_bytes(register_bytes(US_NO_MECHANISM))
    generated.write_bytes(register_bytes(MARKETING))
    assert main(["import", str(first), "--store", store]) == 0
    assert main(["import", str(generated), "--store", store, "--needs-review", "--reason", "generated"]) == 0
    assert "2 drafted record(s)" in capsys.readouterr().out  # the activity and its recipient
    with EmbeddedBackend(store, read_only=True) as s:
        revs = revisions.history(s)
        assert revs[-1].kind == "draft"
        reviewed, left_out = revisions.reviewed_graph(revs, s.export())
        assert left_out == 2 and reviewed.fingerprint() == read_register(io.BytesIO(register_bytes(US_NO_MECHANISM)),
                                                                           "r.csv").fingerprint()

    def report() -> tuple[str, str]:
        assert main(["report", "--store", store, "--out", str(tmp_path / "t.csv"), "--as-of", DAY.isoformat()]) == 0
        return (tmp_path / "t.csv").read_text(), capsys.readouterr().err
    text, err = report()
    assert "Cloudy Inc" in text and "Mailer Inc" not in text and "2 drafted record(s) awaiting review" in err
    assert main(["transfers", "--store", store, "--format", "csv"]) == 0
    out = capsys.readouterr()
    assert "Mailer Inc" not in out.out and "left out" in out.err
    assert main(["check", "--store", store, "--format", "json", "--as-of", DAY.isoformat()]) in (0, 1)
    out = capsys.readouterr()
    assert "Cloudy Inc" in out.out and "Mailer Inc" not in out.out and "left out" in out.err
    with EmbeddedBackend(store) as s:
        keys = list(revisions.drafts(revisions.history(s), s.export()))
        acc = revisions.accept(s, keys, author="rev", reason="checked the generated rows")
    text, err = report()
    assert "Mailer Inc" in text and "awaiting review" not in err
    with EmbeddedBackend(store) as s:  # the accept undone: drafts again, out of the report again
        rev = revisions.revert(s, acc.number, author="rev", reason="accepted too early")
        assert rev.accepted == tuple(keys) and set(revisions.drafts(revisions.history(s), s.export())) == set(keys)
    text, err = report()
    assert "Mailer Inc" not in text and "2 drafted record(s)" in err


def test_a_draft_that_changes_an_accepted_recipient_leaves_the_accepted_values_in_the_record(disk):
    g = disk.export()
    changed = edits.set_hop(g, cloudy(g), SCC_2021)
    revisions.commit(disk, changed, author="bot", reason="generated", kind="draft")
    revs = revisions.history(disk)
    assert list(revisions.drafts(revs, disk.export())) == [cloudy(g).as_text()]
    reviewed, n = revisions.reviewed_graph(revs, disk.export())
    assert n == 1 and reviewed.fingerprint() == g.fingerprint()


def test_the_journal_keeps_a_change_compressed_and_reads_plain_json_of_older_revisions(disk):
    (stored,) = disk.revisions()
    assert stored["change"].startswith(revisions.PACKED)
    expected = revisions.diff(RopaGraph_empty(), graph())
    assert revisions.history(disk)[0].change == expected
    assert len(stored["change"]) < len(json.dumps(expected, sort_keys=True))
    assert revisions.unpack_change(json.dumps(expected)) == expected  # a revision written before packing


def test_the_change_tables_hold_the_canonical_records_in_their_order(tmp_path):
    """A revision's tables (made a column at a time for speed) are graph.canonical()'s records, value for
    value and type for type, in its order: a revert rebuilds the RoPA from them, and a revision lists them."""
    from ropa.model import NODE_TYPES, REL_TYPES, rel_key
    from ropa.samples import example_graph
    with EmbeddedBackend(tmp_path / "s.lbdb") as store:
        store.replace(example_graph())
        exported = store.export()  # the store's own types (dates, ints, booleans, nulls)
    for g in (example_graph(), graph(), exported):
        canon = g.canonical()
        want = {}
        for label, recs in canon["nodes"].items():
            if NODE_TYPES[label].reference and label != "Country":
                continue
            recs = [r for r in recs if label != "Country" or r.get("resolved") is False]
            want[f"nodes/{label}"] = (["id"], [((r["id"],), r) for r in recs])
        for rt, recs in canon["rels"].items():
            if not REL_TYPES[rt].reference:
                want[f"rels/{rt}"] = (rel_key(rt), [(tuple(r.get(k) for k in rel_key(rt)), r) for r in recs])
        got = revisions._tables(g)
        assert sorted(got) == sorted(want)
        for name, (key, recs) in want.items():
            assert got[name][0] == key
            assert list(got[name][1].items()) == recs, name
            for (_, a), (_, b) in zip(got[name][1].items(), recs):
                assert [(k, type(v)) for k, v in a.items()] == [(k, type(v)) for k, v in b.items()], name
