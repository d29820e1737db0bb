"""The explorer's report page: one download button per report format, and the rule pack's findings the
explorer already holds for the same store state and date reused (never those of another state or date)."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from conftest import explorer_on

from ropa.report import FORMATS

AS_OF = dt.date(2026, 11, 22)
COMPARED = ("md", "csv", "xlsx", "html")  # every format but PDF (Chromium prints its own creation date)


def test_report_page_has_a_download_button_per_format():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string("from ropa.ui import report_page\nreport_page.page()", default_timeout=120).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == len(FORMATS)
    assert {b.proto.id.rsplit("_", 1)[-1] for b in buttons} == set(FORMATS)
    assert all(b.proto.deferred_file_id for b in buttons)  # rendered only when clicked
    assert int(at.metric[0].value) > 0  # restricted transfers in the sample data


# -- reuse of the findings the explorer holds ------------------------------------------------------------

def generated_graph(relationships: int, seed: int):
    from ropa.formats.register import read_register
    from ropa.generate import generate
    out = io.StringIO()
    generate(out, relationships, seed)
    return read_register(io.BytesIO(out.getvalue().encode()), "register.csv")


def comparable(data: bytes, fmt: str) -> dict[str, bytes]:
    """A rendering's content: an XLSX's members, else the bytes. The time of writing is left out: the
    members' zip dates, and the creation and modification dates in the XLSX's docProps/core.xml."""
    if fmt != "xlsx":
        return {"": data}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        out = {n: z.read(n) for n in z.namelist()}
    out["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified) [^>]*>[^<]*<", b"<", out["docProps/core.xml"])
    return out


def same_renderings(a, b) -> None:
    """Two reports render to the same bytes in every compared format (the generation time set equal)."""
    from ropa.report import render
    b.generated = a.generated
    for fmt in COMPARED:
        assert comparable(render(a, fmt), fmt) == comparable(render(b, fmt), fmt), fmt


def test_a_report_from_findings_held_is_the_report_built_cold(tmp_path):
    """build_report(findings=...) with the rule pack's outcome for the same store and date renders to
    the same bytes as a build that runs the rule pack itself, also when scoped to some controllers."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.report import build_report
    from ropa.rules import evaluate
    with EmbeddedBackend(tmp_path / "s.lbdb") as store:
        store.replace(generated_graph(2500, 7))
        held = evaluate(store, AS_OF)
        assert len({f.rule for f in held}) >= 6  # enough rules fire for the comparison to mean something
        cold = build_report(store, AS_OF, None, "store")
        warm = build_report(store, AS_OF, None, "store", findings=held)
        assert len(warm.findings) == len(cold.findings) > 100
        same_renderings(cold, warm)
        some = sorted({t.controller for t in cold.transfers})[:2]
        same_renderings(build_report(store, AS_OF, some, "store"),
                        build_report(store, AS_OF, some, "store", findings=held))


@pytest.fixture
def explorer_store(tmp_path):
    from ropa.backends.embedded import EmbeddedBackend
    path = tmp_path / "store.lbdb"
    with EmbeddedBackend(path) as s:
        s.replace(generated_graph(2500, 7))
    yield from explorer_on(path)


@pytest.fixture
def rule_pack_runs(monkeypatch):
    """The dates the rule pack ran for, in the report model or in the explorer's pages (the real rule
    pack runs; it is only counted)."""
    import ropa.report.content as content
    import ropa.rules as rules
    runs: list[dt.date] = []
    real = rules.evaluate
    assert content.evaluate is real

    def counted(backend, as_of=None, *args, **kw):
        runs.append(as_of)
        return real(backend, as_of, *args, **kw)
    monkeypatch.setattr(content, "evaluate", counted)
    monkeypatch.setattr(rules, "evaluate", counted)
    return runs


HOLD = """
from ropa.ui import state
state.findings(state.version(), {as_of!r})
"""


def hold_findings(as_of: dt.date) -> None:
    """Another page (here a bare script) has the explorer evaluate the rule pack as of a date."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string("import datetime\n" + HOLD.format(as_of=as_of), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]


def report_page(as_of: dt.date):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string("from ropa.ui import report_page\nreport_page.page()", default_timeout=180)
    at.session_state["as_of"] = as_of
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def page_report(as_of: dt.date):
    """The report the page built and keeps (the explorer's memo), for the store's current state."""
    from ropa.ui import state
    report = state.peek("report", (state.version(), as_of, ()))
    assert report is not None
    return report


def cold_report(path, as_of: dt.date, source: str):
    """The report built from the store's current state, running the rule pack itself."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.report import build_report
    with EmbeddedBackend(path, read_only=True) as store:
        return build_report(store, as_of, None, source)


def test_the_report_page_reuses_the_findings_the_explorer_holds(explorer_store, rule_pack_runs):
    hold_findings(AS_OF)
    assert rule_pack_runs == [AS_OF]
    rule_pack_runs.clear()
    at = report_page(AS_OF)
    assert rule_pack_runs == []  # the rule pack did not run again for the report
    report = page_report(AS_OF)
    assert int(at.metric[2].value) == len(report.findings) > 100
    same_renderings(cold_report(explorer_store, AS_OF, report.source), report)


def _another_date(store) -> dt.date:
    return dt.date(2020, 7, 1)  # Privacy Shield still valid: other findings


def _another_state(store) -> dt.date:
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(store) as s:  # an import from elsewhere: another state of the store
        s.replace(generated_graph(2000, 11))
    return AS_OF


@pytest.mark.parametrize("change", [_another_date, _another_state], ids=["another date", "a changed state"])
def test_the_report_page_runs_the_rule_pack_again_for(change, explorer_store, rule_pack_runs):
    hold_findings(AS_OF)
    rule_pack_runs.clear()
    as_of = change(explorer_store)
    report_page(as_of)
    assert rule_pack_runs == [as_of]
    report = page_report(as_of)
    same_renderings(cold_report(explorer_store, as_of, report.source), report)


def test_the_findings_of_a_report_page_opened_first_serve_the_other_pages(explorer_store, rule_pack_runs):
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    from ropa.ui import state
    report_page(AS_OF)
    assert rule_pack_runs == [AS_OF]
    hold_findings(AS_OF)  # another page: the findings are there, the rule pack does not run again
    assert rule_pack_runs == [AS_OF]
    held = state.peek("findings", (state.version(), AS_OF))
    with EmbeddedBackend(explorer_store, read_only=True) as store:
        assert held == [f.to_dict() for f in evaluate(store, AS_OF)]  # what that page would have computed
    rule_pack_runs.clear()
    report_page(dt.date(2020, 7, 1))
    hold_findings(dt.date(2020, 7, 1))
    assert rule_pack_runs == [dt.date(2020, 7, 1)]


def test_findings_read_from_another_state_than_their_key_are_not_reused(explorer_store):
    """The explorer's findings for a version are reused only when they were read from that very state:
    a version named before an import that landed before the rule pack read the store is not trusted."""
    from streamlit.testing.v1 import AppTest
    script = """
import datetime
from ropa.ui import state
before = state.version()
from ropa.backends.embedded import EmbeddedBackend
from ropa.generate import generate
import io
from ropa.formats.register import read_register
out = io.StringIO()
generate(out, 2000, 11)
with EmbeddedBackend({path!r}) as s:
    s.replace(read_register(io.BytesIO(out.getvalue().encode()), "register.csv"))
state.findings(before, {as_of!r})  # computed now, from the new state, under the old version
import streamlit as st
st.session_state["held_old"] = state.held_findings(before, {as_of!r})
state.findings(state.version(), {as_of!r})
st.session_state["held_new"] = state.held_findings(state.version(), {as_of!r})
"""
    at = AppTest.from_string(script.format(path=str(explorer_store), as_of=AS_OF), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["held_old"] is None
    held = at.session_state["held_new"]
    assert held is not None and len(held) > 100
