"""Snapshots and the "changes since" section: a diff reports exactly the changes made,
snapshots round-trip, and the CLI commands work end to end."""
import datetime as dt
import io

import pytest

from conftest import TODAY, register_bytes, row
from ropa.cli import main
from ropa.errors import InputError
from ropa.report.diff import Diff, diff_graphs
from ropa.snapshots import check_name, list_snapshots, load_snapshot, save_snapshot

BASE = [
    row(activity="Payroll", recipient="Agenda GmbH", recipient_role="processor", recipient_country="DE"),
    row(activity="Payroll", recipient="Cloud Inc", recipient_role="processor", recipient_country="US",
        mechanism="privacy shield"),
    row(activity="Newsletter", recipient="Mail Inc", recipient_role="processor", recipient_country="US",
        mechanism="scc_2021", tia="yes"),
]
NEW_RECIPIENT = row(activity="Newsletter", recipient="Survey Inc", recipient_role="processor",
                    recipient_country="US", mechanism="scc_2021", tia="no")


def graph_of(rows):
    from ropa.formats.register import read_register
    return read_register(io.BytesIO(register_bytes(*rows)), "fixture.csv")


def evaluate_graph(graph, as_of=TODAY):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    with EmbeddedBackend(None) as s:
        s.replace(graph)
        return evaluate(s, as_of)


def report_since(rows, snapshot, as_of=TODAY):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.report import build_report
    with EmbeddedBackend(None) as s:
        s.replace(graph_of(rows))
        return build_report(s, as_of, since=snapshot)


@pytest.fixture(scope="module")
def before(tmp_path_factory):
    g = graph_of(BASE)
    return save_snapshot(g, evaluate_graph(g), "before", TODAY, source="fixture",
                         directory=tmp_path_factory.mktemp("snaps"))


def with_mechanism(rows, recipient, **kw):
    return [{**r, **kw} if r["recipient"] == recipient else r for r in rows]


def test_one_recipient_and_one_mechanism_give_exactly_those_changes(before):
    after = with_mechanism(BASE, "Cloud Inc", mechanism="scc_2021", tia="yes") + [NEW_RECIPIENT]
    d = report_since(after, load_snapshot("before", before.path.parent)).diff
    assert [(h.activity, h.exporter, h.importer) for h in d.recipients_added] == [("Newsletter", "Acme BV", "Survey Inc")]
    assert d.recipients_removed == [] and d.countries_changed == []
    assert [(c.hop.importer, c.before, c.after) for c in d.mechanisms_changed] == [
        ("Cloud Inc", "EU-US Privacy Shield (invalidated)",
         "Standard contractual clauses 2021 (Implementing Decision (EU) 2021/914)")]
    # Findings follow from exactly those two changes.
    assert [(f.rule, f.subject) for f in d.resolved] == [("privacy_shield_reliance", "Cloud Inc")]
    assert [(f.rule, f.subject) for f in d.new] == [("scc_without_tia", "Survey Inc")]
    assert d.changed == []


@pytest.mark.parametrize("change,expected", [
    ("remove", {"recipients_removed": ["Mail Inc"]}),
    ("country", {"countries_changed": ["Mail Inc"]}),
    ("date", {"mechanisms_changed": ["Mail Inc"]}),
    ("nothing", {}),
])
def test_each_kind_of_ropa_change_lands_in_its_own_list(before, change, expected):
    after = {
        "remove": [r for r in BASE if r["recipient"] != "Mail Inc"],
        "country": with_mechanism(BASE, "Mail Inc", recipient_country="JP"),
        "date": with_mechanism(BASE, "Mail Inc", mechanism_date="2024-01-01"),
        "nothing": BASE,
    }[change]
    added, removed, mechanisms, countries = diff_graphs(load_snapshot(str(before.path)).graph, graph_of(after),
                                                        ["Acme BV"])
    d = Diff("before", "", "", "", "", recipients_added=added, recipients_removed=removed,
             mechanisms_changed=mechanisms, countries_changed=countries)
    got = {k: [getattr(x, "importer", None) or getattr(x, "organisation", None) or x.hop.importer for x in v]
           for k in ("recipients_added", "recipients_removed", "mechanisms_changed", "countries_changed")
           if (v := getattr(d, k))}
    assert got == expected
    assert d.empty is (change == "nothing")


def test_a_finding_whose_severity_changes_is_reported_as_changed(tmp_path):
    chain = [row(recipient="Agenda GmbH", recipient_role="processor", recipient_country="DE"),
             row(recipient="Relay Inc", recipient_role="subprocessor", engaged_by="Agenda GmbH",
                 recipient_country="US", mechanism="scc_2021", tia="yes")]
    g = graph_of(chain)
    snap = save_snapshot(g, evaluate_graph(g), "chain", TODAY, directory=tmp_path)
    d = report_since(with_mechanism(chain, "Relay Inc", mechanism=""), snap).diff
    changed = [(o.rule, o.severity, n.severity) for o, n in d.changed]
    assert ("onward_transfer_chain", "medium", "high") in changed


def test_snapshot_round_trip_and_listing(before):
    tmp_path = before.path.parent
    again = load_snapshot("before", tmp_path)
    assert again.fingerprint == before.fingerprint == graph_of(BASE).fingerprint()[:12]
    assert again.as_of == TODAY and [f.identity for f in again.findings] == [f.identity for f in before.findings]
    assert {k: len(v) for k, v in again.graph.nodes.items() if k in ("Activity", "Organisation")} == \
           {k: len(v) for k, v in graph_of(BASE).nodes.items() if k in ("Activity", "Organisation")}
    assert [s.name for s in list_snapshots(tmp_path)] == ["before"]
    assert load_snapshot(str(before.path)).name == "before"  # a path works too


def test_snapshot_names_and_overwrites_are_checked(tmp_path):
    g = graph_of(BASE)
    save_snapshot(g, [], "before", TODAY, directory=tmp_path)
    with pytest.raises(InputError, match="exists"):
        save_snapshot(g, [], "before", TODAY, directory=tmp_path)
    save_snapshot(g, [], "before", dt.date(2021, 1, 1), directory=tmp_path, overwrite=True)
    assert load_snapshot("before", tmp_path).as_of == dt.date(2021, 1, 1)
    for bad in ["", "../x", ".hidden", "a/b", "x" * 65]:
        with pytest.raises(InputError):
            check_name(bad)
    with pytest.raises(InputError, match="known: before"):
        load_snapshot("missing", tmp_path)


def test_cli_snapshot_and_report_with_diff(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ROPA_STORE", str(tmp_path / "no-store.lbdb"))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(register_bytes(*BASE))
    b.write_bytes(register_bytes(*BASE, NEW_RECIPIENT))
    snaps = ["--snapshots", str(tmp_path / "snaps")]
    assert main(["snapshot", "save", "q1", str(a), "--as-of", "2026-11-22", *snaps]) == 0
    assert main(["snapshot", "list", *snaps]) == 0
    assert "q1" in capsys.readouterr().out
    out = tmp_path / "r.md"
    assert main(["report", str(b), "--out", str(out), "--as-of", "2026-11-22", "--diff-against", "q1", *snaps]) == 0
    md = out.read_text(encoding="utf-8")
    assert "## Changes since snapshot q1" in md and "recipient added" in md and "Survey Inc" in md
    assert main(["report", str(b), "--out", str(out), "--diff-against", "nope", *snaps]) == 2
    assert "no such snapshot" in capsys.readouterr().err


def test_cli_report_reads_the_store_else_the_sample(tmp_path, capsys, monkeypatch):
    store = tmp_path / "store.lbdb"
    monkeypatch.setenv("ROPA_STORE", str(store))
    out = tmp_path / "r.csv"
    assert main(["report", "--out", str(out), "--as-of", "2026-11-22"]) == 0
    assert "bundled sample data" in capsys.readouterr().out
    f = tmp_path / "a.csv"
    f.write_bytes(register_bytes(*BASE))
    assert main(["import", str(f)]) == 0
    assert main(["report", "--out", str(out), "--as-of", "2026-11-22", "--controller", "acme bv"]) == 0
    assert f"store: embedded ({store})" in capsys.readouterr().out
    assert "Cloud Inc" in out.read_text(encoding="utf-8-sig")


PROVENANCE = ("source_title", "source_location", "evidence_at")
ACME = {"source": "notice:acme.html", "source_title": "Privacy at Acme", "source_location": "https://acme.example/privacy"}
MAILER = {"source": "notice:mail.html", "source_title": "Mail Inc notice", "source_location": "mail.html"}


def evidenced(recipient, country, quote, at, doc=ACME, **kw):
    return row(**{"activity": "Payroll", "recipient": recipient, "recipient_role": "processor",
                  "recipient_country": country, "mechanism": "scc_2021", "tia": "yes", "evidence": quote,
                  "evidence_at": at, **doc, **kw})


def test_every_ropa_change_carries_its_evidence_and_cited_source(tmp_path):
    """A recipient added or removed, a mechanism and a country changed: each change row quotes the evidence of
    the hop (or organisation) it is about and cites its document and place, like a finding's row. A removed
    recipient is cited from the snapshot (its document may be gone from the RoPA now); a payload stays text."""
    from ropa.report import render
    from ropa.report.frames import CHANGE_COLUMNS, change_rows
    then = [evidenced("Cloud Inc", "US", "Cloud Inc hosts payroll under SCCs.", "line 3"),
            evidenced("Agenda GmbH", "DE", "Agenda GmbH plans shifts in Germany.", "line 5"),
            evidenced("Mail Inc", "US", "Mail Inc sends the payslips.", "line 9", doc=MAILER)]
    g = graph_of_with(then)
    snap = save_snapshot(g, evaluate_graph(g), "then", TODAY, directory=tmp_path)
    now = [evidenced("Cloud Inc", "US", "Cloud Inc is certified under the Privacy Shield.", "line 4",
                     mechanism="privacy shield"),
           evidenced("Agenda GmbH", "JP", "Agenda GmbH now plans shifts from Tokyo.", "line 6"),
           evidenced("Survey Inc", "US", '=HYPERLINK("http://x")', "line 12")]
    r = report_since_with(now, snap)
    rows = {(x[0], x[5]): dict(zip(CHANGE_COLUMNS, x)) for x in change_rows(r)}
    cited = lambda quote, at, doc="“Privacy at Acme” (https://acme.example/privacy)": (quote, f"{doc}, {at}")
    got = lambda kind, subject: (rows[(kind, subject)]["evidence"], rows[(kind, subject)]["source"])
    assert got("recipient added", "Survey Inc") == cited('=HYPERLINK("http://x")', "line 12")
    assert got("recipient removed", "Mail Inc") == cited("Mail Inc sends the payslips.", "line 9",
                                                         "“Mail Inc notice” (mail.html)")
    assert got("mechanism changed", "Acme BV → Cloud Inc") == cited(
        "Cloud Inc is certified under the Privacy Shield.", "line 4")
    assert got("countries changed", "Agenda GmbH") == cited("Agenda GmbH now plans shifts from Tokyo.", "line 6")
    assert got("new finding", "Cloud Inc")[1] == "“Privacy at Acme” (https://acme.example/privacy), line 4"
    # the report's formats carry them: Markdown and HTML show the quote and the citation, CSV/XLSX keep it text
    md = render(r, "md").decode()
    assert "Mail Inc sends the payslips." in md and "“Mail Inc notice” (mail.html), line 9" in md
    html = render(r, "html").decode()
    assert "Agenda GmbH now plans shifts from Tokyo." in html and "“Mail Inc notice” (mail.html), line 9" in html
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(render(r, "xlsx")))["Changes"]
    values = [c.value for line in sheet.iter_rows() for c in line]
    assert "Evidence" in values and "'=HYPERLINK(\"http://x\")" in values
    assert not [c for line in sheet.iter_rows() for c in line if c.data_type == "f"]


def graph_of_with(rows):
    from ropa.formats.register import read_register
    return read_register(io.BytesIO(register_bytes(*rows, extra_columns=PROVENANCE)), "fixture.csv")


def report_since_with(rows, snapshot, as_of=TODAY):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.report import build_report
    with EmbeddedBackend(None) as s:
        s.replace(graph_of_with(rows))
        return build_report(s, as_of, since=snapshot)
