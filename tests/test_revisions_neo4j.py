"""Revisions on a real Neo4j 5 server (the session's own, conftest.neo4j_server): the same journal as on
the embedded store. Import, edit, history, show (findings added and resolved), revert, accepting drafts,
two writers from the same revision (really at once, in two threads: exactly one lands), a write that
fails inside its transaction (store and journal unchanged), the CLI with --backend neo4j, and the
explorer's edit form and History page on Neo4j (AppTest).

Under CI (CI=true) none of these may skip (conftest.pytest_runtest_makereport)."""
from __future__ import annotations

import io
import json
import threading

import pytest
from conftest import explorer_on, open_neo4j, register_bytes, row
from test_revisions import DAY, SCC_2021, US_NO_MECHANISM, cloudy, graph, verdicts

from ropa import edits, revisions
from ropa.errors import BackendError, ConflictError
from ropa.formats.register import read_register


@pytest.fixture
def neo(neo4j_server):
    """A cleared Neo4j graph (RoPA and journal) with a first import as revision 1."""
    with open_neo4j(neo4j_server, clear=True) as store:
        revisions.commit(store, graph(), author="ann", reason="first import", kind="import")
        yield store


def test_edit_history_show_on_neo4j(neo):
    assert verdicts(neo)["Cloudy Inc"] == "no_valid_basis"
    base = revisions.head(neo)
    g = neo.export()
    rev = revisions.commit(neo, edits.set_hop(g, cloudy(g), SCC_2021), author="Dana DPO", reason="SCCs signed",
                           expected=base)
    assert verdicts(neo)["Cloudy Inc"] == "basis_recorded"
    stored = revisions.history(neo)
    assert [(r.number, r.kind, r.author, r.reason) for r in stored] == [
        (1, "import", "ann", "first import"), (2, "edit", "Dana DPO", "SCCs signed")]
    assert stored[-1] == rev  # the journal round-trips through the server unchanged (change, counts, time)
    ((old, new),) = stored[-1].change["rels/DISCLOSES_TO"]["changed"]
    assert (old["mechanism"], new["mechanism"], new["mechanism_date"], new["tia"]) == (None, "scc_2021",
                                                                                     "2023-01-10", True)
    added, resolved = revisions.revision_findings(neo, 2, DAY)
    assert added == [] and [f.rule for f in resolved] == ["transfer_without_safeguard"]


def test_revert_on_neo4j(neo):
    first = neo.export().fingerprint()
    g = neo.export()
    revisions.commit(neo, edits.set_hop(g, cloudy(g), SCC_2021), author="d", reason="x")
    assert revisions.revert(neo, 2, author="d", reason="wrong version").number == 3
    assert neo.export().fingerprint() == first and verdicts(neo)["Cloudy Inc"] == "no_valid_basis"
    revisions.revert(neo, 1, author="d", reason="start over")
    assert neo.export().count() == 0
    revisions.revert(neo, 4, author="d", reason="no, keep it")
    assert neo.export().fingerprint() == first
    assert [r.kind for r in revisions.history(neo)] == ["import", "edit", "revert", "revert", "revert"]


def test_add_and_remove_a_recipient_on_neo4j(neo):
    g = neo.export()
    (act,) = g.nodes["Activity"]["id"]
    revisions.commit(neo, edits.add_hop(g, act, {"recipient": "Sub Ltd", "engaged_by": "Cloudy Inc",
                                                 "recipient_country": "India"}), author="r", reason="new sub")
    eng = neo.export().rels["ENGAGES"]
    assert list(zip(eng["src"], eng["dst"], eng["role"])) == [("cloudy inc", "sub ltd", "subprocessor")]
    g = neo.export()
    (hop,) = [k for k, label, _ in edits.hops(g) if label.endswith("→ Cloudy Inc (US)")]
    revisions.commit(neo, edits.remove_hop(g, hop), author="r", reason="contract ended")
    g = neo.export()
    assert set(g.rels["DISCLOSES_TO"]["dst"]) == {"arbo bv"} and len(g.rels["ENGAGES"]) == 0
    assert revisions.history(neo)[-1].counts()[1] == 2  # the hop and the sub-processor only it engaged


def test_drafts_and_accepting_them_on_neo4j(neo):
    notice = read_register(io.BytesIO(register_bytes(row(recipient="Mailer Inc", recipient_role="processor",
                                                         recipient_country="US", mechanism="SCC"))), "n.html")
    assert not revisions.has_drafts(neo)
    revisions.commit(neo, neo.export().merge(notice), author="ann", reason="draft of n.html", kind="notice")
    assert revisions.has_drafts(neo)
    waiting = revisions.drafts(revisions.history(neo), neo.export())
    (act,) = neo.export().nodes["Activity"]["id"]
    assert list(waiting) == [f"DISCLOSES_TO|{act}|mailer inc|{act}"]
    rev = revisions.accept(neo, list(waiting), author="rev", reason="checked")
    assert (rev.kind, rev.accepted) == ("accept", tuple(waiting))
    assert revisions.drafts(revisions.history(neo), neo.export()) == {}


def test_two_writers_at_once_on_neo4j_exactly_one_lands(neo, neo4j_server):
    """Two clients of the server prepared their change on revision 1 and write at the same moment: one
    lands, the other gets ConflictError; no revision is lost or doubled."""
    g = neo.export()
    changes = {"a": edits.set_hop(g, cloudy(g), SCC_2021), "b": edits.set_hop(g, cloudy(g), {"mechanism": "BCR"})}
    outcome: dict[str, str] = {}
    go = threading.Barrier(2)

    def write(who):
        with open_neo4j(neo4j_server) as store:
            go.wait()
            try:
                revisions.commit(store, changes[who], author=who, reason="edit", expected=1)
                outcome[who] = "saved"
            except ConflictError:
                outcome[who] = "reload"
    threads = [threading.Thread(target=write, args=(w,)) for w in changes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(outcome.values()) == ["reload", "saved"], outcome
    (winner,) = [w for w, o in outcome.items() if o == "saved"]
    assert [(r.number, r.author) for r in revisions.history(neo)] == [(1, "ann"), (2, winner)]
    assert neo.export().fingerprint() == changes[winner].fingerprint()


def test_stale_writer_refused_on_neo4j(neo):
    g = neo.export()
    revisions.commit(neo, edits.set_hop(g, cloudy(g), SCC_2021), author="a", reason="first", expected=1)
    with pytest.raises(ConflictError, match="reload"):
        revisions.commit(neo, edits.set_hop(g, cloudy(g), {"mechanism": "BCR"}), author="b", reason="2nd",
                         expected=1)
    assert [r.author for r in revisions.history(neo)] == ["ann", "a"]


def test_a_write_failing_in_its_transaction_leaves_neo4j_and_its_journal_unchanged(neo, monkeypatch):
    """The failure comes from the server, after the RoPA was deleted and written again and the revision
    added, inside the same transaction: all of it is rolled back."""
    from ropa.backends.neo4j_backend import Neo4jBackend
    before, journal = neo.export().fingerprint(), neo.revisions()
    sent = []
    real_write = Neo4jBackend._write_plan

    def failing_last(self, plan, progress=None):  # the server refuses a statement after all the others
        sent.extend(plan)
        return real_write(self, plan + [("RETURN 1 / 0 AS boom", {}, None, "injected failure")], progress)
    monkeypatch.setattr(Neo4jBackend, "_write_plan", failing_last)
    g = neo.export()
    with pytest.raises(BackendError):
        revisions.commit(neo, edits.set_hop(g, cloudy(g), SCC_2021), author="d", reason="x")
    assert "CREATE (r:Revision)" in sent[-1][0]  # the revision was written before the failure
    monkeypatch.undo()
    assert neo.export().fingerprint() == before and neo.revisions() == journal
    assert verdicts(neo)["Cloudy Inc"] == "no_valid_basis"


def test_cli_history_show_revert_on_neo4j(neo4j_env, neo4j_server, tmp_path, capsys):
    from ropa.cli import main
    with open_neo4j(neo4j_server, clear=True):
        pass
    f = tmp_path / "r.csv"
    f.write_bytes(register_bytes(US_NO_MECHANISM))
    assert main(["import", str(f), "--backend", "neo4j", "--author", "ann", "--reason", "Q4 register"]) == 0
    assert "as revision 1" in capsys.readouterr().out
    with open_neo4j(neo4j_server) as s:
        g = s.export()
        revisions.commit(s, edits.set_hop(g, cloudy(g), SCC_2021), author="Dana", reason="SCCs signed")
    assert main(["history", "--backend", "neo4j"]) == 0
    out = capsys.readouterr().out
    assert "ann: Q4 register" in out and "Dana: SCCs signed  [+0 -0 ~1]" in out
    assert main(["history", "show", "2", "--backend", "neo4j", "--as-of", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "mechanism None -> 'scc_2021'" in out and "resolved high   transfer_without_safeguard" in out
    assert main(["history", "--backend", "neo4j", "--format", "json", "--author", "Dana"]) == 0
    assert [r["revision"] for r in json.loads(capsys.readouterr().out)] == [2]
    assert main(["revert", "2", "--backend", "neo4j", "--reason", "wrong SCCs"]) == 0
    assert "Revision 3" in capsys.readouterr().out
    with open_neo4j(neo4j_server) as s:
        assert verdicts(s)["Cloudy Inc"] == "no_valid_basis"
        assert [r.kind for r in revisions.history(s)] == ["import", "edit", "revert"]


# -- the explorer on Neo4j ------------------------------------------------------------------------

@pytest.fixture
def explorer_neo4j(neo4j_env, neo4j_server, tmp_path):
    with open_neo4j(neo4j_server, clear=True) as store:
        revisions.commit(store, graph(), author="ann", reason="first import", kind="import")
    yield from explorer_on(tmp_path / "unused.lbdb")  # NEO4J_URI set: the explorer uses the server


def test_explorer_edit_and_revert_on_neo4j(explorer_neo4j, neo4j_server):
    from test_edit_ui import NO_BASIS, RECORDED, app, fill, ok, submit, verdict
    at = ok(app("transfers", author="Dana DPO", tf_edit_open=True))
    assert verdict(at, "Cloudy Inc") == NO_BASIS
    submit(fill(at))
    ok(at)
    assert not at.error, [e.value for e in at.error]
    assert verdict(at, "Cloudy Inc") == RECORDED
    with open_neo4j(neo4j_server) as s:
        last = revisions.history(s)[-1]
        assert (last.number, last.author, last.reason) == (2, "Dana DPO", "SCCs 2021 signed, TIA done")
    hist = ok(app("history", h_pick=2))
    assert hist.dataframe[0].value.iloc[0]["author"] == "Dana DPO"
    body = " ".join(m.value.replace("\\", "") for m in hist.markdown)
    assert "0 new, 1 resolved" in body
    hist.text_input(key="revert_reason").input("wrong SCC module")
    [b for b in hist.button if "Revert" in b.label][0].click().run()
    ok(hist)
    assert any("revision 3" in s.value for s in hist.success), [e.value for e in hist.error]
    assert verdict(ok(app("transfers")), "Cloudy Inc") == NO_BASIS


def test_activity_edits_on_neo4j(neo):
    from test_revisions import NEW_PAYROLL
    g = neo.export()
    (act,) = g.nodes["Activity"]["id"]
    revisions.commit(neo, edits.set_activity(g, act, NEW_PAYROLL), author="Dana", reason="payroll review")
    with_edit = neo.export()
    assert set(with_edit.nodes["DataCategory"]["id"]) == {"name", "health data"}
    revisions.commit(neo, edits.add_activity(with_edit, "acme bv", "Recruitment", {"data_subjects": "applicants"}),
                     author="Dana", reason="we hire")
    revisions.commit(neo, edits.remove_activity(neo.export(), act), author="Dana", reason="outsourced")
    assert list(neo.export().nodes["Activity"]["id"]) == ["acme bv::recruitment"]
    revisions.revert(neo, 3, author="Dana", reason="undo both")
    assert neo.export().fingerprint() == with_edit.fingerprint()


def test_import_needing_review_on_neo4j_is_left_out_of_the_report_until_accepted(neo4j_env, neo4j_server, tmp_path,
                                                                                  capsys):
    from test_revisions import MARKETING
    from ropa.cli import main
    with open_neo4j(neo4j_server, clear=True):
        pass
    first, generated = tmp_path / "r.csv", tmp_path / "generated.csv"
    first.write_bytes(register_bytes(US_NO_MECHANISM))
    generated.write_bytes(register_bytes(MARKETING))
    assert main(["import", str(first), "--backend", "neo4j"]) == 0
    assert main(["import", str(generated), "--backend", "neo4j", "--needs-review"]) == 0
    capsys.readouterr()
    out = tmp_path / "t.csv"
    assert main(["report", "--backend", "neo4j", "--out", str(out), "--as-of", DAY.isoformat()]) == 0
    assert "Mailer Inc" not in out.read_text() and "2 drafted record(s)" in capsys.readouterr().err
    with open_neo4j(neo4j_server) as s:
        revisions.accept(s, list(revisions.drafts(revisions.history(s), s.export())), author="r", reason="ok")
    assert main(["report", "--backend", "neo4j", "--out", str(out), "--as-of", DAY.isoformat()]) == 0
    assert "Mailer Inc" in out.read_text() and "awaiting review" not in capsys.readouterr().err
