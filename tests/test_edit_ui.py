"""The explorer edits the RoPA (AppTest): a recipient's mechanism from none to the 2021 SCCs with a TIA, the
verdict changes at once, the revision appears on the History page with its author, reason and the finding it
resolved; revert brings it back; a second session that prepared its change on the old data is told to reload;
a refused value names page, field and value and writes nothing."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import explorer_on, register_bytes, row

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ropa import revisions  # noqa: E402
from ropa.backends.embedded import EmbeddedBackend  # noqa: E402
from ropa.formats.register import read_register  # noqa: E402
from ropa.transfers import VERDICTS  # noqa: E402

NO_BASIS, RECORDED = VERDICTS["no_valid_basis"], VERDICTS["basis_recorded"]

DAY = dt.date(2026, 11, 22)


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "store.lbdb"
    g = read_register(io.BytesIO(register_bytes(
        row(recipient="Cloudy Inc", recipient_role="processor", recipient_country="US"),
        row(recipient="Arbo BV", recipient_country="NL"))), "r.csv")
    with EmbeddedBackend(path) as s:
        revisions.commit(s, g, author="ann", reason="first import", kind="import")
    yield from explorer_on(path)


def app(page: str, **state) -> AppTest:
    at = AppTest.from_string(f"from ropa.ui.pages import run\nrun(default={page!r})", default_timeout=180)
    at.session_state["as_of"] = DAY
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def verdict(at, importer: str) -> str:
    (table,) = [d.value for d in at.dataframe if "verdict" in d.value.columns and "exporter" in d.value.columns]
    return table.data.set_index("importer").loc[importer, "verdict"] if hasattr(table, "data") else \
        table.set_index("importer").loc[importer, "verdict"]


def cloudy_hop(at) -> str:
    (key,) = [o for o in at.selectbox(key="edit_hop").options if "Cloudy" in o]
    return key


def fill(at, *, mech="scc_2021", date="2023-01-10", tia="yes", reason="SCCs 2021 signed, TIA done"):
    sel = at.selectbox(key="edit_hop")
    (i,) = [i for i, o in enumerate(sel.options) if "Cloudy" in o]
    sel.select_index(i).run()
    at.selectbox(key="edit_mech").set_value(mech)
    at.text_input(key="edit_date").input(date)
    at.radio(key="edit_tia").set_value(tia)
    at.text_input(key="edit_reason").input(reason)
    return at


def submit(at):
    (button,) = [b for b in at.button if "Save change" in b.label]
    return button.click().run()


def test_mechanism_edit_resolves_the_finding_and_the_revision_appears(store_path):
    at = ok(app("transfers", author="Dana DPO", tf_edit_open=True))
    assert verdict(at, "Cloudy Inc") == NO_BASIS
    submit(fill(at))
    ok(at)
    assert not at.error, [e.value for e in at.error]
    assert any("revision 2 by Dana DPO" in s.value.replace("\\", "") for s in at.success)
    assert verdict(at, "Cloudy Inc") == RECORDED
    with EmbeddedBackend(store_path, read_only=True) as s:
        (last,) = revisions.history(s)[-1:]
        assert (last.number, last.author, last.reason) == (2, "Dana DPO", "SCCs 2021 signed, TIA done")
    hist = ok(app("history", h_pick=2))
    log = hist.dataframe[0].value
    assert log.iloc[0]["revision"] == 2 and log.iloc[0]["author"] == "Dana DPO"
    body = " ".join(m.value.replace("\\", "") for m in hist.markdown)
    assert "1 new" not in body and "0 new, 1 resolved" in body
    resolved = [d.value for d in hist.dataframe if "rule" in d.value.columns][0]
    assert list(resolved["controller"]) == ["Acme BV"]
    # revert revision 2 from the History page: the finding is back
    hist.text_input(key="revert_reason").input("wrong SCC module")
    [b for b in hist.button if "Revert" in b.label][0].click().run()
    ok(hist)
    assert any("revision 3" in s.value for s in hist.success)
    assert verdict(ok(app("transfers")), "Cloudy Inc") == NO_BASIS


def test_a_second_session_on_old_data_is_told_to_reload(store_path):
    first = ok(app("transfers", author="a", tf_edit_open=True))
    second = ok(app("transfers", author="b", tf_edit_open=True))  # both forms shown against revision 1
    submit(fill(first))
    assert any("revision 2" in s.value for s in first.success)
    submit(fill(second, mech="bcr", reason="BCR approved"))
    assert any("changed meanwhile" in e.value for e in second.error), [e.value for e in second.error]
    with EmbeddedBackend(store_path, read_only=True) as s:
        assert [r.author for r in revisions.history(s)] == ["ann", "a"]
    [b for b in second.button if "Reload" in b.label][0].click().run()
    submit(fill(second, mech="bcr", reason="BCR approved"))
    assert any("revision 3 by b" in s.value for s in second.success), [e.value for e in second.error]


def test_the_edit_forms_read_the_ropa_only_when_opened(store_path, monkeypatch):
    """A large RoPA: the Transfers and Record pages do not export the whole store unless someone edits."""
    calls = []
    real = EmbeddedBackend.export
    monkeypatch.setattr(EmbeddedBackend, "export", lambda self: calls.append(1) or real(self))
    ok(app("transfers"))
    ok(app("record"))
    assert calls == []
    ok(app("transfers", tf_edit_open=True))
    assert calls


def test_a_bad_value_names_page_field_and_value_and_writes_nothing(store_path):
    at = ok(app("transfers", author="a", tf_edit_open=True))
    submit(fill(at, date="2023-02-30"))
    (err,) = at.error
    assert "Transfers page, field 'mechanism_date', value '2023-02-30'" in err.value.replace("\\", "")
    submit(fill(at, reason=" "))
    assert any("field 'reason'" in e.value.replace("\\", "") for e in at.error)
    with EmbeddedBackend(store_path, read_only=True) as s:
        assert revisions.head(s) == 1


def test_notice_drafts_need_review_until_accepted_and_accepting_is_a_revision(store_path):
    g = read_register(io.BytesIO(register_bytes(
        row(recipient="Mailer Inc", recipient_role="processor", recipient_country="US", mechanism="SCC",
            evidence="We use Mailer Inc (USA) under standard contractual clauses."))), "notice.html")
    with EmbeddedBackend(store_path) as s:
        revisions.commit(s, s.export().merge(g), author="ann", reason="draft of notice.html", kind="notice")
    at = ok(app("record", author="rev"))
    assert any("Needs review: 1 drafted record" in h.value for h in at.subheader)
    (drafts,) = [d.value for d in at.dataframe if "drafted in revision" in d.value.columns]
    assert list(drafts["record"]) == ["Acme BV › Payroll: Acme BV → Mailer Inc (US)"]
    at.text_input(key="accept_reason").input("checked against the notice")
    [b for b in at.button if "Accept" in b.label][0].click().run()
    ok(at)
    assert not any("Needs review" in h.value for h in at.subheader)
    with EmbeddedBackend(store_path, read_only=True) as s:
        last = revisions.history(s)[-1]
        assert (last.kind, last.author, last.counts()) == ("accept", "rev", (0, 0, 0)) and len(last.accepted) == 1


def test_record_page_adds_and_removes_a_recipient(store_path):
    at = ok(app("record", author="rev", rec_edit_open=True))
    at.text_input(key="add_recipient").input("Sub Ltd")
    at.text_input(key="add_engaged").input("Cloudy Inc")
    at.text_input(key="add_country").input("India")
    at.text_input(key="add_reason").input("new sub-processor announced")
    [b for b in at.button if "Add the recipient" in b.label][0].click().run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    with EmbeddedBackend(store_path, read_only=True) as s:
        eng = s.export().rels["ENGAGES"]
        assert list(zip(eng["src"], eng["dst"], eng["role"])) == [("cloudy inc", "sub ltd", "subprocessor")]
    sel = at.selectbox(key="remove_hop")
    (i,) = [i for i, o in enumerate(sel.options) if "→ Cloudy Inc" in o]
    sel.select_index(i)  # a form's widget: its value goes with the submit
    at.text_input(key="remove_reason").input("contract ended")
    [b for b in at.button if "Remove it" in b.label][0].click().run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    assert any("removed" in s.value for s in at.success), [s.value for s in at.success]
    with EmbeddedBackend(store_path, read_only=True) as s:
        g = s.export()
        assert set(g.rels["DISCLOSES_TO"]["dst"]) == {"arbo bv"} and len(g.rels["ENGAGES"]) == 0
        assert [r.kind for r in revisions.history(s)] == ["import", "edit", "edit"]


def test_history_page_lists_a_store_restore_after_the_revisions_it_went_back_over(store_path):
    from ropa.cli import main
    submit(fill(ok(app("transfers", author="Dana DPO", tf_edit_open=True))))
    assert main(["store", "restore", "1", "--store", str(store_path), "--author", "Ole",
                 "--reason", "back to the import"]) == 0
    hist = ok(app("history", h_pick=3))
    log = hist.dataframe[0].value
    assert list(log["revision"]) == [3, 2, 1] and list(log["kind"]) == ["restore", "edit", "import"]
    assert (log.iloc[0]["author"], log.iloc[0]["reason"]) == ("Ole", "back to the import")
    body = " ".join(m.value.replace("\\", "") for m in hist.markdown)
    assert "restore by Ole" in body and "1 new, 0 resolved" in body
    assert verdict(ok(app("transfers")), "Cloudy Inc") == NO_BASIS


def test_record_page_changes_adds_and_removes_an_activity(store_path):
    from ropa.ui.edit import form_tag
    at = ok(app("record", author="rev", act_edit_open=True))
    tag = form_tag("acme bv::payroll")
    assert at.text_input(key=f"act_{tag}_data_categories").value == "name; bank account"
    at.text_input(key=f"act_{tag}_data_categories").input("name; health data")
    at.text_input(key=f"act_{tag}_special_condition").input("Art. 9(2)(b)")
    at.text_input(key="act_reason").input("sick leave is recorded too")
    [b for b in at.button if "Save the activity" in b.label][0].click().run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    with EmbeddedBackend(store_path, read_only=True) as s:
        g = s.export()
        assert set(g.nodes["DataCategory"]["id"]) == {"name", "health data"}
        assert g.nodes["Activity"].iloc[0]["special_condition"] == "Art. 9(2)(b)"
        assert (revisions.history(s)[-1].reason, revisions.head(s)) == ("sick leave is recorded too", 2)
    # add one (a duplicate name is refused with page, field and value), then remove the first
    at.text_input(key="act_add_name").input("Payroll")
    at.text_input(key="act_add_reason").input("x")
    [b for b in at.button if "Add the activity" in b.label][0].click().run()
    assert any("Record page, field 'activity', value 'Payroll'" in e.value.replace("\\", "") for e in at.error)
    at.text_input(key="act_add_name").input("Recruitment")
    at.text_input(key="act_add_data_subjects").input("applicants")
    at.text_input(key="act_add_reason").input("we hire")
    [b for b in at.button if "Add the activity" in b.label][0].click().run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    sel = at.selectbox(key="act_remove_pick")
    (i,) = [i for i, o in enumerate(sel.options) if o.endswith("Payroll")]
    sel.select_index(i)
    at.text_input(key="act_remove_reason").input("outsourced")
    [b for b in at.button if "categories and subjects only it has" in b.label][0].click().run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    with EmbeddedBackend(store_path, read_only=True) as s:
        g = s.export()
        assert list(g.nodes["Activity"]["id"]) == ["acme bv::recruitment"] and len(g.rels["DISCLOSES_TO"]) == 0
        assert [(r.number, r.reason) for r in revisions.history(s)][1:] == [
            (2, "sick leave is recorded too"), (3, "we hire"), (4, "outsourced")]


def test_an_import_marked_needs_review_stays_apart_and_out_of_the_record_until_accepted(store_path):
    g = read_register(io.BytesIO(register_bytes(row(
        activity="Marketing", purpose="Newsletters", legal_basis="consent", data_subjects="customers",
        data_categories="email", recipient="Mailer Inc", recipient_role="processor", recipient_country="US"))),
        "generated.csv")
    with EmbeddedBackend(store_path) as s:
        revisions.commit(s, s.export().merge(g), author="bot", reason="generated register", kind="draft")
    at = ok(app("record", author="rev"))
    assert any("Needs review: 2 drafted record" in h.value for h in at.subheader)
    (drafts,) = [d.value for d in at.dataframe if "drafted in revision" in d.value.columns]
    assert set(drafts["record"]) == {"Acme BV › Marketing (activity)", "Acme BV › Marketing: Acme BV → Mailer Inc (US)"}
    (art30,) = [d.value for d in at.dataframe if any("purposes" in str(c) for c in d.value.columns)]
    assert len(art30) == 1 and "Marketing" not in art30.to_csv()  # the record: Payroll only
    assert any("left out of the Art. 30 record" in c.value for c in at.caption)
    transfers = ok(app("transfers"))
    (table,) = [d.value for d in transfers.dataframe if "verdict" in d.value.columns and "exporter" in d.value.columns]
    assert "Mailer Inc" not in set(table["importer"])
    report = ok(app("report"))
    assert any("2 drafted record(s) await review" in i.value for i in report.info)
    at.text_input(key="accept_reason").input("checked the generated rows")
    [b for b in at.button if "Accept" in b.label][0].click().run()
    ok(at)
    assert not any("Needs review" in h.value for h in at.subheader)
    (art30,) = [d.value for d in at.dataframe if any("purposes" in str(c) for c in d.value.columns)]
    assert len(art30) == 2 and "Marketing" in art30.to_csv()
    with EmbeddedBackend(store_path, read_only=True) as s:
        assert [r.kind for r in revisions.history(s)] == ["import", "draft", "accept"]
