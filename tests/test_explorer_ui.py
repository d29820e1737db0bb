"""Every explorer page under Streamlit's AppTest, on the sample data in a scratch store."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from typing import Callable

import pytest
from conftest import explorer_on

st = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ropa.ui.pages import PAGES  # noqa: E402

TODAY = dt.date(2026, 11, 22)
BEFORE_SCHREMS_II = dt.date(2020, 7, 1)


@pytest.fixture(scope="module", autouse=True)
def scratch_store(tmp_path_factory):
    """A fresh store (seeded with the sample on first use) and empty Streamlit caches."""
    path = tmp_path_factory.mktemp("explorer") / "store.lbdb"
    old = os.environ.get("ROPA_SNAPSHOTS")
    os.environ["ROPA_SNAPSHOTS"] = str(path.parent / "snapshots")  # never the user's .ropa/snapshots
    yield from explorer_on(path)
    if old is None:
        os.environ.pop("ROPA_SNAPSHOTS", None)
    else:
        os.environ["ROPA_SNAPSHOTS"] = old


def app(page: str, as_of: dt.date = TODAY, **state) -> AppTest:
    at = AppTest.from_string(f"from ropa.ui.pages import run\nrun(default={page!r})", default_timeout=180)
    at.session_state["as_of"] = as_of
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def unmark(markdown: str) -> str:
    """The text of Markdown that ropa.ui.common.plain escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def frames(at: AppTest) -> list[str]:
    return [e.proto.srcdoc for e in at.get("iframe")]


def maps(at: AppTest) -> dict[str, str]:
    """The Overview's maps (ropa.ui.mapview): their SVG by container id (worldmap, europemap)."""
    out = {}
    for e in at.get("bidi_component"):
        if e.proto.component_name.endswith("ropa_worldmap"):
            data = json.loads(e.proto.json)
            out[data["id"]] = data["svg"]
    return out


def drawn_nodes(page_html: str) -> list[dict]:
    data = page_html.split("new vis.DataSet(", 1)[1].split(");\n", 1)[0]
    return json.loads(data)


@pytest.fixture
def downloads(monkeypatch):
    """What each download button would hand the browser, by file name, built only when asked for (as a
    click would, after the script run has finished and the page's variables hold their last values)."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    made: dict[str, Callable[[], bytes]] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record_add(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if is_for_static_download:
            made[file_name] = lambda data=data: data if isinstance(data, bytes) else data.encode()
        return add(self, data, mimetype, coordinates, file_name=file_name,
                   is_for_static_download=is_for_static_download)

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add", record_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return made


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> dict[str, list[dict]]:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        out[ws.title] = [dict(zip(rows[0], r)) for r in rows[1:]]
    return out


def store_fingerprint(path) -> str:
    from ropa.backends.embedded import EmbeddedBackend
    with EmbeddedBackend(path, read_only=True) as s:
        return s.export().fingerprint()


@pytest.mark.parametrize("page", [p[0] for p in PAGES])
def test_every_page_renders_on_the_sample(page):
    at = ok(app(page))
    assert at.title and at.title[0].value


def test_overview_counts_map_and_as_of():
    at = ok(app("overview"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Processing activities"] == "50" and metrics["Restricted transfers"] == "26"
    cards = " ".join(h.proto.body for h in at.html)
    high_now = int(re.search(r'data-testid="sev-high">(\d+)<', cards).group(1))
    world = maps(at)["worldmap"]
    assert re.search(r'fill="#c62828" data-iso="US"><title>United States: 26 restricted transfer\(s\); worst finding '
                     r'high \(Transfer relies on the invalidated Privacy Shield ×15', world)
    before = ok(app("overview", as_of=BEFORE_SCHREMS_II))
    cards = " ".join(h.proto.body for h in before.html)
    assert int(re.search(r'data-testid="sev-high">(\d+)<', cards).group(1)) < high_now


def test_overview_country_view_lists_transfers_and_the_eea_inset():
    at = ok(app("overview"))
    assert 'data-iso="NL"' in maps(at)["europemap"]
    pick = at.selectbox(key="map_country")
    assert pick.options[0].startswith("United States: 26 restricted transfers")
    pick.select("US").run()
    rows = ok(at).dataframe[0].value
    assert len(rows) == 26 and list(rows.columns) == ["verdict", "importer", "activity", "mechanism", "data categories",
                                                     "data subjects", "controller", "rules", "evidence"]
    assert "ActiveCampaign" in set(rows["importer"]) and "No valid basis" in set(rows["verdict"])
    assert any(o.startswith("Germany (EEA)") for o in pick.options)
    pick.select("DE").run()
    rows = ok(at).dataframe[0].value
    assert len(rows) and set(rows["verdict"]) == {"inside the EEA"}


def test_a_click_on_the_map_chooses_the_country_under_it():
    """The map component's trigger hands the clicked code to the picker (the click itself is in the browser
    test): a country data go to is chosen and listed; one they do not go to says so and chooses nothing."""
    from ropa.ui import mapview
    at = ok(app("overview"))
    assert at.selectbox(key="map_country").value is None
    at.session_state[mapview.CLICKED] = "US"
    at.run()
    assert ok(at).selectbox(key="map_country").value == "US"
    rows = at.dataframe[0].value
    assert len(rows) == 26 and "ActiveCampaign" in set(rows["importer"])
    at.session_state[mapview.CLICKED] = "MN"  # Mongolia: nothing in the sample goes there
    at.run()
    assert any("Nothing in this RoPA goes to Mongolia." in unmark(c.value) for c in ok(at).caption)
    assert at.selectbox(key="map_country").value == "US"


def test_a_typed_evaluation_date_applies_and_a_wrong_one_is_refused():
    at = ok(app("overview"))
    high_now = int(re.search(r'data-testid="sev-high">(\d+)<', " ".join(h.proto.body for h in at.html)).group(1))
    at.text_input(key="_as_of_text").set_value("2020-07-01").run()
    ok(at)
    assert at.session_state["as_of"] == BEFORE_SCHREMS_II
    assert any("as of 2020-07-01" in c.value for c in at.caption)
    assert at.date_input(key="_as_of").value == BEFORE_SCHREMS_II
    high_then = int(re.search(r'data-testid="sev-high">(\d+)<', " ".join(h.proto.body for h in at.html)).group(1))
    assert high_then < high_now
    at.text_input(key="_as_of_text").set_value("2020-13-45").run()
    assert not at.exception and at.error and "2020-13-45" in unmark(at.error[0].value)
    assert at.session_state["as_of"] == BEFORE_SCHREMS_II
    at.date_input(key="_as_of").set_value(TODAY).run()
    ok(at)
    assert at.text_input(key="_as_of_text").value == TODAY.isoformat()


def test_graph_filter_changes_what_is_drawn():
    at = ok(app("graph"))
    everything = drawn_nodes(frames(at)[0])
    controllers = at.multiselect(key="f_controllers")
    raid = next(o for o in controllers.options if "RAIDBOXES" in o)
    controllers.select(raid).run()
    ok(at)
    only = drawn_nodes(frames(at)[0])
    assert 0 < len(only) < len(everything)
    labels = {n["label"] for n in only}
    assert "RAIDBOXES GmbH" in labels and "CCombox" not in labels
    at.select_slider(key="f_severity").set_value("high").run()
    severe = drawn_nodes(frames(ok(at))[0])
    assert 0 < len(severe) < len(only)


def test_graph_focus_on_an_activity_follows_its_data_downstream_left_to_right(scratch_store):
    from ropa import browse, network
    from ropa.backends.embedded import EmbeddedBackend
    at = ok(app("graph"))
    with EmbeddedBackend(scratch_store, read_only=True) as s:
        acts = browse.read_catalogue(s).activities
    (act_id,) = acts["id"][(acts["name"] == "Newsletter") & (acts["controller"] == "RAIDBOXES GmbH")]
    focus = at.selectbox(key="g_focus")
    assert len(set(focus.options)) == len(focus.options)  # two controllers' "Newsletter" told apart
    assert "Newsletter (activity of RAIDBOXES GmbH)" in focus.options
    focus.set_value(network.node_key("Activity", act_id)).run()
    nodes = drawn_nodes(frames(ok(at))[0])
    by_label = {n["label"]: n for n in nodes}
    assert {"Newsletter", "RAIDBOXES GmbH", "ActiveCampaign", "United States"} <= set(by_label)
    activities = [n for n in nodes if n["shape"] == "diamond"]
    assert [n["label"] for n in activities] == ["Newsletter"]  # no sibling activity of RAIDBOXES
    assert by_label["RAIDBOXES GmbH"]["x"] < by_label["Newsletter"]["x"] < by_label["ActiveCampaign"]["x"] \
        < by_label["United States"]["x"]
    assert 'id="fit"' in frames(at)[0]
    # under the drawing, the activity's hops with their evidence and its cited source
    flows = at.table[0].value
    us = flows.loc["ActiveCampaign"]
    assert us["country"] == "United States" and us["mechanism"] == "privacy_shield"
    assert us["verdict"] and us["verdict"] != "no restricted transfer"
    assert "ActiveCampaign is gecertificeerd onder de Privacy Shield" in us["evidence"]
    assert us["language"] == "Dutch (nl)" and us["source"].startswith("seed")
    assert us["sub-processor chain"] == "RAIDBOXES GmbH → ActiveCampaign"
    at.toggle(key="g_flow").set_value(False).run()
    around = drawn_nodes(frames(ok(at))[0])  # every node within 2 hops: sibling activities too, still left to right
    assert len([n for n in around if n["shape"] == "diamond"]) > 1 and len(around) > len(nodes)
    x = {n["label"]: n["x"] for n in around}
    assert x["RAIDBOXES GmbH"] < x["Newsletter"] < x["ActiveCampaign"]


def test_graph_highlights_a_chosen_finding_with_its_evidence():
    at = ok(app("graph"))
    pick = at.selectbox(key="g_highlight")
    choice = next(o for o in pick.options if "invalidated Privacy Shield" in o and "ActiveCampaign" in o)
    assert "privacy_shield_reliance" not in " ".join(pick.options)  # rules by their titles
    pick.select(choice).run()
    ok(at)
    nodes = drawn_nodes(frames(at)[0])
    bold = {n["label"] for n in nodes if n.get("route")}
    assert {"RAIDBOXES GmbH", "ActiveCampaign", "United States"} <= bold
    faded = [n for n in nodes if n.get("opacity") == 0.3]
    assert faded and len(faded) + len(bold) == len(nodes)
    assert any(s.value == "The highlighted finding" for s in at.subheader)
    assert any("<blockquote" in h.proto.body and "Privacy Shield" in h.proto.body for h in at.html)


def test_transfers_filter_then_a_row_shows_its_route_and_opens_it_in_the_graph():
    at = ok(app("transfers"))
    before = len(at.dataframe[0].value)
    at.multiselect(key="ff_severity").select("high").run()
    ok(at)
    high = at.dataframe[0].value
    assert 0 < len(high) < before and set(high["severity"]) == {"high"}
    at.session_state["findings_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    ok(at)
    (label,) = [s.value for s in at.subheader if s.value.startswith("HIGH · ")]
    route = [f for f in frames(at) if "new vis.DataSet" in f]
    assert route and len(drawn_nodes(route[0])) >= 3
    assert any("<blockquote" in h.proto.body for h in at.html)
    at.button(key="open_in_graph").click().run()
    ok(at)
    assert at.title[0].value == "Graph"
    pick = at.selectbox(key="g_highlight")
    assert pick.index is not None and pick.options[pick.index] == label
    assert any(s.value == "The highlighted finding" for s in at.subheader)


def test_record_per_controller_and_processor():
    at = ok(app("record"))
    first = at.dataframe[0].value
    at.selectbox(key="rec_controller").select("RAIDBOXES GmbH").run()
    ok(at)
    raid = at.dataframe[0].value
    assert any("of RAIDBOXES GmbH" in c.value for c in at.caption)
    assert len(raid) and not raid.equals(first)
    assert raid["(e) transfers to third countries (country: safeguard)"].str.contains("Privacy Shield").any()
    assert {b.key for b in at.download_button} >= {"dl_xlsx", "dl_ctrl_csv", "dl_ctrl_xlsx"}


def test_record_downloads_hold_the_chosen_controllers_record(downloads):
    """The files, opened, are the chosen controller's Art. 30(1) record (not the processor tab's content)."""
    at = ok(app("record"))
    at.selectbox(key="rec_controller").select("RAIDBOXES GmbH").run()
    ok(at)
    on_screen = at.dataframe[0].value
    rows = read_csv(downloads["art30-1-raidboxes-gmbh.csv"]())
    assert rows and {r["(a) controller"] for r in rows} == {"RAIDBOXES GmbH"}
    assert list(rows[0])[:2] == ["(a) controller", "(a) controller country"]
    assert [r["activity"] for r in rows] == list(on_screen["activity"])
    (sheet,) = read_xlsx(downloads["art30-1-raidboxes-gmbh.xlsx"]()).values()
    assert {r["(a) controller"] for r in sheet} == {"RAIDBOXES GmbH"}
    assert [r["activity"] for r in sheet] == list(on_screen["activity"])
    assert "(a) processor" not in sheet[0]
    processor = read_csv(downloads["art30-2.csv"]())
    assert processor and "(a) processor" in processor[0]


def test_findings_and_transfers_downloads_hold_the_filtered_tables(downloads):
    at = ok(app("transfers"))
    at.multiselect(key="ff_severity").select("high").run()
    ok(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Findings 1"))
    high = int(re.search(r" of (\d+)", caption).group(1))
    findings = read_csv(downloads["findings.csv"]())
    assert len(findings) == high and {r["severity"] for r in findings} == {"high"}
    assert "rule" in findings[0]
    shown = set(at.dataframe[0].value["title"])
    assert "Transfer relies on the invalidated Privacy Shield" in shown and "privacy_shield_reliance" not in shown
    assert {r["rule"] for r in findings} >= {"privacy_shield_reliance"}
    transfers = read_csv(downloads["transfers.csv"]())
    assert transfers and "verdict" in transfers[0]


def test_a_rerun_reuses_the_downloads_built_for_the_same_rows(monkeypatch, downloads):
    """The files of a table are built once per (store version, date, rows shown), not on every rerun (a row
    click, another session): a warm page does not rebuild them; another filter builds its own, filtered."""
    import ropa.ui.transfers as page
    built = []
    real = page._csv
    monkeypatch.setattr(page, "_csv", lambda df, columns: built.append(len(df)) or real(df, columns))
    at = ok(app("transfers"))
    before = len(built)
    ok(app("transfers"))
    at.run()
    assert len(built) == before  # a new session and a rerun: nothing rebuilt
    at.multiselect(key="ff_severity").select("low").run()
    ok(at)
    assert len(built) == before + 1  # the findings filtered to "low": one new file, of those rows only
    assert {r["severity"] for r in read_csv(downloads["findings.csv"]())} == {"low"}


def test_a_download_that_cannot_be_built_says_so(monkeypatch):
    import ropa.ui.transfers as page

    def broken(df, fp):
        raise OSError("disk full")
    monkeypatch.setattr(page, "write_csv", broken)
    st.cache_resource.clear()  # files already built (by another test) would be reused: this one builds anew
    at = app("transfers")
    assert not at.exception
    assert any("findings.csv" in unmark(e.value) and "disk full" in unmark(e.value) for e in at.error)


def test_query_console_reads_and_refuses_writes():
    at = ok(app("query"))
    at.button(key="q_run").click().run()
    ok(at)
    assert len(at.dataframe[0].value) > 0 and frames(at)
    at.text_area(key="q_text").set_value("MATCH (o:Organisation) DETACH DELETE o").run()
    at.button(key="q_run").click().run()
    assert at.error and "read-only" in unmark(at.error[0].value) and not at.exception


def test_report_page_takes_the_sidebars_evaluation_date():
    now = ok(app("report"))
    before = ok(app("report", as_of=BEFORE_SCHREMS_II))
    assert not [d for d in before.date_input if d.key == "report_as_of"]
    assert any("As of 2020-07-01" in c.value for c in before.caption)
    metric = {m.label: int(m.value) for m in before.metric}["Without a valid basis"]
    assert metric < {m.label: int(m.value) for m in now.metric}["Without a valid basis"]


def test_the_store_was_seeded_notice_shows_in_one_session_only(tmp_path):
    from ropa.ui.state import SEEDED
    gen = explorer_on(tmp_path / "empty.lbdb")
    next(gen)
    try:
        first, second = ok(app("overview")), ok(app("overview"))
        told = [t for t in first.toast if "store was empty" in unmark(t.value)]
        assert len(told) == 1 and unmark(told[0].value) == SEEDED
        assert not [t for t in second.toast if "store was empty" in unmark(t.value)]
    finally:
        next(gen, None)


def test_query_refusal_reads_as_text():
    at = ok(app("query"))
    at.text_area(key="q_text").set_value("MATCH (o:Organisation) DETACH DELETE o").run()
    at.button(key="q_run").click().run()
    (err,) = at.error
    assert "\\`" not in err.value and "`ropa import`" in err.value


def test_special_categories_page_lists_art9_activities_with_their_condition(tmp_path):
    from ropa.cli import main
    from ropa.samples import EXAMPLE_REGISTER
    store = tmp_path / "clinic.lbdb"
    assert main(["import", str(EXAMPLE_REGISTER), "--store", str(store)]) == 0
    gen = explorer_on(store)
    next(gen)
    try:
        at = ok(app("special"))
        table = at.dataframe[0].value
        assert list(table["activity"]) == ["Occupational health checks"]
        row = table.iloc[0]
        assert row["condition"] == "Art. 9(2)(h)" and row["article"] == "Art. 9"
        assert "health" in row["special data"] and row["recipients"] == "Arbo Dienst BV"
        assert {m.label: m.value for m in at.metric}["Without a recorded Art. 9(2) condition"] == "0"
        at.session_state["special_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        ok(at)
        assert any(s.value == "Occupational health checks · Voorbeeld Zorg BV" for s in at.subheader)
        import html as htmllib
        quotes = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
        assert len(quotes) == 1 and "Health checks are carried out by Arbo Dienst BV." in quotes[0]
        assert "Source: example, row 5" in quotes[0]  # the flow's evidence, cited (this register has no titles)
        assert any("Voorbeeld Zorg BV → Arbo Dienst BV" in c.value for c in at.caption)
        flagged = ok(app("transfers"))
        everything = flagged.dataframe[0].value
        flagged.multiselect(key="ff_special").select("Art. 9: health").run()
        only = ok(flagged).dataframe[0].value
        assert 0 < len(only) < len(everything) and set(only["activity"]) == {"Occupational health checks"}
    finally:
        next(gen, None)


def test_the_graph_flags_and_filters_the_activities_with_special_data(tmp_path):
    """Art. 9/10 data flagged where the Graph page names an activity (the activity filter, the focus picker, the
    drawn node's tooltip), and a switch that keeps only the activities processing them."""
    from ropa.cli import main
    from ropa.samples import EXAMPLE_REGISTER
    store = tmp_path / "clinic.lbdb"
    assert main(["import", str(EXAMPLE_REGISTER), "--store", str(store)]) == 0
    gen = explorer_on(store)
    next(gen)
    try:
        at = ok(app("graph", f_details=True))
        flagged = [o for o in at.multiselect(key="f_activities").options if "Art. 9" in o]
        assert flagged == ["Occupational health checks (Voorbeeld Zorg BV) · Art. 9: health"]
        assert [o for o in at.selectbox(key="g_focus").options if "Art. 9" in o] == [
            "Occupational health checks (activity of Voorbeeld Zorg BV) · Art. 9: health"]
        everything = {n["label"] for n in drawn_nodes(frames(at)[0])}
        assert {"Patient appointments", "Occupational health checks"} <= everything
        at.toggle(key="f_special").set_value(True).run()
        drawn = drawn_nodes(frames(ok(at))[0])
        labels = {n["label"] for n in drawn}
        assert "Occupational health checks" in labels and "Patient appointments" not in labels
        assert "Arbo Dienst BV" in labels and "Agenda Cloud GmbH" not in labels
        (node,) = [n for n in drawn if n["label"] == "Occupational health checks"]
        assert "special data: Art. 9: health" in node["title"]
    finally:
        next(gen, None)


def test_special_categories_page_on_a_ropa_without_them():
    at = ok(app("special"))
    assert at.info and "No activity" in unmark(at.info[0].value)


def test_changes_since_a_snapshot_saved_in_the_explorer(tmp_path, monkeypatch, downloads):
    from conftest import register_bytes, row
    from ropa.cli import main
    from ropa.samples import EXAMPLE_REGISTER
    monkeypatch.setenv("ROPA_SNAPSHOTS", str(tmp_path / "snapshots"))
    store = tmp_path / "clinic.lbdb"
    assert main(["import", str(EXAMPLE_REGISTER), "--store", str(store)]) == 0
    gen = explorer_on(store)
    next(gen)
    try:
        at = ok(app("changes"))
        assert at.info and "No snapshot yet" in unmark(at.info[0].value)
        at.text_input(key="snap_name").set_value("before-cloud").run()
        at.button(key="snap_save").click().run()
        ok(at)
        assert at.success and "Saved snapshot before-cloud" in unmark(at.success[0].value)
        assert any("Nothing changed since before-cloud" in unmark(s.value) for s in at.success)
        more = tmp_path / "more.csv"
        more.write_bytes(register_bytes(row(controller="Voorbeeld Zorg BV", activity="Patient appointments",
                                            recipient="Cloud Analytics Inc", recipient_role="processor",
                                            recipient_country="US",
                                            evidence="Usage statistics go to Cloud Analytics Inc in the US.")))
        assert main(["import", str(more), "--store", str(store)]) == 0
        at = ok(app("changes"))
        metrics = {m.label: int(m.value) for m in at.metric}
        assert metrics["recipients added"] == 1 and metrics["new findings"] >= 1
        table = at.dataframe[0].value
        shown = list(at.dataframe[0].proto.column_order)  # what changed and its evidence first, no column left out
        assert shown[:2] == ["change", "subject"] and shown.index("evidence") < shown.index("finding")
        assert sorted(shown) == sorted(table.columns)
        added = table[table["change"] == "recipient added"]
        assert list(added["subject"]) == ["Cloud Analytics Inc"]
        assert set(table["change"]) >= {"new finding", "recipient added"}
        assert "Transfer without a safeguard" in set(table["finding"])
        rows = read_csv(downloads["changes-since-before-cloud.csv"]())
        assert len(rows) == len(table) and {r["change"] for r in rows} == set(table["change"])
        (sheet,) = read_xlsx(downloads["changes-since-before-cloud.xlsx"]()).values()
        assert len(sheet) == len(table)
        new = list(table["change"]).index("new finding")
        assert table["source"][new] == "fixture, row 2"  # the new finding's evidence and its cited source
        # a recipient added carries its hop's evidence and cited source too, and so do both downloads
        quote = "Usage statistics go to Cloud Analytics Inc in the US."
        assert list(added["evidence"]) == [quote] and list(added["source"]) == ["fixture, row 2"]
        (csv_added,) = [r for r in rows if r["change"] == "recipient added"]
        (xlsx_added,) = [r for r in sheet if r["change"] == "recipient added"]
        assert csv_added["evidence"] == xlsx_added["evidence"] == quote
        assert csv_added["source"] == xlsx_added["source"] == "fixture, row 2"
        at.session_state["chg_table"] = {"selection": {"rows": [int(added.index[0])], "columns": [], "cells": []}}
        at.run()
        import html as htmllib
        (shown,) = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
        assert quote in shown and "Source: fixture, row 2" in shown
        at.session_state["chg_table"] = {"selection": {"rows": [new], "columns": [], "cells": []}}
        at.run()
        (shown,) = [htmllib.unescape(h.proto.body) for h in at.html if "<blockquote" in h.proto.body]
        assert table["evidence"][new] == "Usage statistics go to Cloud Analytics Inc in the US." in shown and "Source: fixture, row 2" in shown
        at.button(key="chg_to_graph").click().run()
        ok(at)
        assert at.title[0].value == "Graph" and any(s.value == "The highlighted finding" for s in at.subheader)
        # the other way out of a change: the Transfers page, searching for what the change is about
        at = ok(app("changes", chg_table={"selection": {"rows": [int(added.index[0])], "columns": [], "cells": []}}))
        at.button(key="chg_to_transfers").click().run()
        ok(at)
        assert at.title[0].value == "Transfers & findings" and at.text_input(key="tf_search").value == "Cloud Analytics Inc"
    finally:
        next(gen, None)


def test_the_changes_flag_the_activities_with_special_data(tmp_path, monkeypatch):
    """A change about an activity that processes Art. 9/10 data says so in the Changes table and its files."""
    from ropa.cli import main
    from ropa.samples import EXAMPLE_REGISTER
    monkeypatch.setenv("ROPA_SNAPSHOTS", str(tmp_path / "snapshots"))
    lines = EXAMPLE_REGISTER.read_text(encoding="utf-8").splitlines(keepends=True)
    without = tmp_path / "without-health-checks.csv"
    without.write_text("".join(x for x in lines if "Occupational health checks" not in x), encoding="utf-8")
    store = tmp_path / "clinic.lbdb"
    assert main(["import", str(without), "--store", str(store)]) == 0
    assert main(["snapshot", "save", "before-health-checks", "--store", str(store)]) == 0
    assert main(["import", str(EXAMPLE_REGISTER), "--store", str(store)]) == 0
    gen = explorer_on(store)
    next(gen)
    try:
        table = ok(app("changes")).dataframe[0].value
        health = table[table["activity"] == "Occupational health checks"]
        assert len(health) and set(health["special data"]) == {"Art. 9: health"}
        assert set(table[table["activity"] != "Occupational health checks"]["special data"]) <= {""}
    finally:
        next(gen, None)


BROKEN = (b"controller,activity,recipient,recipient_country,mechanism_date\n"
          b"Acme BV,,Cloud Inc,US,2021-01-01\n"
          b",Payroll,Bank,NL,\n")


def test_import_reports_every_problem_and_writes_nothing(scratch_store):
    ok(app("overview"))  # seeds the store
    before = store_fingerprint(scratch_store)
    at = app("import")
    at.file_uploader(key="uploads").set_value(("broken.csv", BROKEN, "text/csv")).run()
    assert not at.exception and at.error and "Nothing can be imported" in unmark(at.error[0].value)
    problems = at.dataframe[0].value
    assert {(r.file, r.row, r.column) for r in problems.itertuples()} >= {("broken.csv", 2, "activity"),
                                                                         ("broken.csv", 3, "controller")}
    assert not [b for b in at.button if b.key == "do_import"]
    assert store_fingerprint(scratch_store) == before


def test_import_lands_a_valid_file_whole(scratch_store):
    from ropa.samples import EXAMPLE_REGISTER
    at = app("import")
    at.file_uploader(key="uploads").set_value(("clinic.csv", EXAMPLE_REGISTER.read_bytes(), "text/csv")).run()
    ok(at)
    assert {m.label: m.value for m in at.metric}["Activities"] == "3"
    at.button(key="do_import").click().run()
    ok(at)
    assert at.success and "Imported 3 activities" in unmark(at.success[0].value)
    after = ok(app("overview"))
    assert {m.label: m.value for m in after.metric}["Processing activities"] == "53"


def test_which_data_categories_go_to_the_us_is_two_choices_on_the_transfers_page(downloads):
    """Data categories and subjects of each transfer (its activity's), with filters: choosing the US as
    destination lists the categories that go there (the table's column and a summary line); choosing a
    category keeps the transfers that carry it. The download carries both columns."""
    at = ok(app("transfers"))
    at.multiselect(key="tf_destination").select("US").run()
    ok(at)
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert {"data_categories", "data_subjects"} <= set(table.columns)
    assert len(table) and sum(map(bool, table["data_categories"])) > len(table) / 2
    assert "e-mail address" in "; ".join(table["data_categories"])
    summary = next(c.value for c in at.caption if c.value.startswith("Data categories in these"))
    assert "e-mail address" in unmark(summary)
    at.multiselect(key="tf_data_categories").select("IP address").run()
    ok(at)
    narrowed = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert 0 < len(narrowed) < len(table)
    assert all("IP address" in c.split("; ") for c in narrowed["data_categories"])
    at.multiselect(key="tf_data_subjects").select("website visitors").run()
    ok(at)
    rows = read_csv(downloads["transfers.csv"]())
    assert rows and {"data_categories", "data_subjects"} <= set(rows[0])
    assert all("IP address" in r["data_categories"].split("; ") and "website visitors" in r["data_subjects"].split("; ")
               for r in rows)
    sheet = next(iter(read_xlsx(downloads["transfers.xlsx"]()).values()))
    assert [r["importer"] for r in sheet] == [r["importer"] for r in rows]


def test_the_country_view_lists_the_data_categories_and_subjects_going_there():
    at = ok(app("overview"))
    at.selectbox(key="map_country").select("US").run()
    rows = ok(at).dataframe[0].value
    assert {"data categories", "data subjects"} <= set(rows.columns)
    assert "e-mail address" in "; ".join(rows["data categories"])
    summary = next(c.value for c in at.caption if c.value.startswith("Data categories going to United States"))
    assert "e-mail address" in unmark(summary)


def test_the_overviews_worst_findings_show_their_evidence_and_source():
    at = ok(app("overview", as_of=BEFORE_SCHREMS_II))
    lines = [h.proto.body for h in at.html if "worst-evidence" in h.proto.body]
    assert lines and all("Source: " in b and "<q lang=" in b for b in lines)
    assert any("lang='nl'" in b and "[Dutch]" in b for b in lines)
