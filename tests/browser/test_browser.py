"""The explorer in a real browser: Debian's chromium driven by Playwright, against `streamlit run`.

Opens every page on the sample data, checks the graph canvas really draws
nodes, applies a filter, follows one finding from the table to its route in
the graph, downloads the record, shows an import's problems, runs a query,
and fails on any request that leaves localhost. Screenshots go to
tests/output/ (gitignored): look at them.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "output"
CHROMIUM = Path("/usr/bin/chromium")
TODAY = __import__("datetime").date.today().isoformat()
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-default-apps", "--disable-sync", "--metrics-recording-only",
        "--no-default-browser-check"]

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("/usr/bin/chromium is missing; .ci/run installs it (apt-get install chromium)")
    pytest.skip("no /usr/bin/chromium on this machine (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NET_AUDIT = ROOT / "tests" / "netaudit"


@contextlib.contextmanager
def streamlit_server(store: Path, log_dir: Path, neo4j: dict | None = None, app: str = "streamlit_app.py"):
    """``streamlit run`` of the explorer (or of another ``app`` run from the checkout) on ``store``
    (embedded), or on Neo4j with ``neo4j`` (NEO4J_* settings), with the project's .streamlit/config.toml
    (loopback only, usage statistics off) and only a port of its own; yields its base URL. Every attempt of
    the server to reach another host is written to ``log_dir/net-audit.log`` (tests/netaudit/)."""
    port = _free_port()
    audit = log_dir / "net-audit.log"
    audit.touch()
    env = {**os.environ, "ROPA_STORE": str(store), "ROPA_NET_AUDIT": str(audit),
           "ROPA_SNAPSHOTS": str(log_dir / "snapshots"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(NET_AUDIT), os.environ.get("PYTHONPATH")]))}
    env.pop("NEO4J_URI", None)
    if neo4j:
        env.update(neo4j, ROPA_BACKEND="neo4j")
    log = open(log_dir / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", app, "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("log")


@pytest.fixture(scope="module")
def server(tmp_path_factory, server_log):
    with streamlit_server(tmp_path_factory.mktemp("browser") / "store.lbdb", server_log) as base:
        yield base


@pytest.fixture(scope="module")
def browser_page(server):
    OUT.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1700}, accept_downloads=True)
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.set_default_timeout(90_000)
        yield page, requests
        context.close()
        browser.close()


def _local(url: str, base: str) -> bool:
    return url.startswith((base + "/", "data:", "blob:", "about:")) or url == base


def _open(page, base: str, path: str, heading: str):
    page.goto(f"{base}/{path}")
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    page.wait_for_load_state("networkidle")
    _settle(page)


def _settle(page):
    """Wait until Streamlit has finished running the script (no 'Running…' status)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(300)


def _frame_with(page, selector: str):
    """The first embedded frame holding ``selector`` (polled: Streamlit renders progressively)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for f in page.frames:
            if f is not page.main_frame and f.locator(selector).count():
                return f
        page.wait_for_timeout(300)
    raise AssertionError(f"no frame with {selector}")



def _filter_to_raidboxes(page, everything: dict) -> dict:
    """Pick the controller RAIDBOXES GmbH in the Graph page's filter: the canvas then draws fewer nodes, that
    controller's and not another's (CCombox). Returns the filtered drawing's figures."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Controller").first
    box.click()
    page.keyboard.type("RAIDBOXES")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _settle(page)
    filtered = _graph_frame(page, lambda d: d["nodes"] != everything["nodes"])
    assert 0 < filtered["nodes"] < everything["nodes"] and "RAIDBOXES GmbH" in filtered["labels"]
    assert "CCombox" not in filtered["labels"]
    return filtered

def _graph_frame(page, accept=lambda drawn: True):
    """The frame of a pyvis drawing, once vis-network has laid it out and ``accept(drawn)`` holds.

    Streamlit swaps frames on a rerun, so frames are polled until one is ready and acceptable.
    """
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for f in reversed(page.frames):
            if f is page.main_frame or f.is_detached():
                continue
            try:
                if f.evaluate("() => document.body && document.body.getAttribute('data-ready') === '1'"):
                    drawn = _drawn(f)
                    if accept(drawn):
                        return drawn
            except sync_api.Error:  # the frame went away under us
                continue
        page.wait_for_timeout(300)
    raise AssertionError("no finished graph drawing appeared")


def _safe(frame) -> bool:
    try:
        return frame.url in ("about:srcdoc", "about:blank") or frame.url.startswith("about:")
    except Exception:
        return False


def _drawn(frame) -> dict:
    """Nodes placed by vis-network and non-white pixels on its canvas."""
    return frame.evaluate("""() => {
        const ids = network.body.data.nodes.getIds();
        const placed = Object.keys(network.getPositions(ids)).length;
        const c = document.querySelector('#mynetwork canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < px.length; i += 16) {
            if (px[i + 3] > 0 && (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235)) ink++;
        }
        const all = network.body.data.nodes.get();
        const legend = document.getElementById('legend').getBoundingClientRect();
        const pos = network.getPositions(ids);
        const x = {};
        all.forEach(n => { x[n.label] = pos[n.id].x; });
        const inView = ids.every(i => {
            const p = network.canvasToDOM(pos[i]);
            return p.x >= 0 && p.y >= 0 && p.x <= c.clientWidth && p.y <= c.clientHeight;
        });
        // Each label's box and each node's whole box (shape and label), in the frame's pixels.
        const box = (l, t, r, b) => { const p = network.canvasToDOM({x: l, y: t}), q = network.canvasToDOM({x: r, y: b});
                                      return [p.x, p.y, q.x, q.y]; };
        const boxes = ids.map(i => { const n = network.body.nodes[i], s = n.labelModule.size, w = network.getBoundingBox(i);
            return {label: n.options.label, text: box(s.left, s.top, s.left + s.width, s.top + s.height),
                    whole: box(w.left, w.top, w.right, w.bottom), font: n.options.font.size}; });
        return {nodes: ids.length, placed: placed, ink: ink, labels: all.map(n => n.label), x: x, in_view: inView,
                legend_fits: legend.bottom <= window.innerHeight + 1,
                bold: all.filter(n => n.route === true).map(n => n.label),
                boxes: boxes, width: c.clientWidth, height: c.clientHeight, scale: network.getScale()};
    }""")


def _readable(drawn: dict, smallest: float = 7.0) -> float:
    """The drawing as it first shows (the default zoom): no two labels overlap, every node with its label
    lies inside the canvas, and the labels are drawn at least ``smallest`` pixels high. Returns the
    smallest label's height in pixels."""
    boxes = drawn["boxes"]
    for i, a in enumerate(boxes):
        l, t, r, b = a["whole"]
        assert l >= -1 and t >= -1 and r <= drawn["width"] + 1 and b <= drawn["height"] + 1, (a["label"], a["whole"])
        for other in boxes[i + 1:]:
            l2, t2, r2, b2 = other["text"]
            x1, y1, x2, y2 = a["text"]
            overlap = min(x2, r2) - max(x1, l2), min(y2, b2) - max(y1, t2)
            assert overlap[0] <= 0.5 or overlap[1] <= 0.5, f"labels overlap: {a['label']!r} and {other['label']!r}"
    font = min(b["font"] for b in boxes) * drawn["scale"]
    assert font >= smallest, f"labels drawn {font:.1f} px high"
    return font


def _download(page, button: str) -> list[dict]:
    """Click a download button; the CSV it saves, as rows."""
    import csv
    with page.expect_download() as dl:
        page.get_by_role("button", name=button).click()
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _pick(page, label: str, value: str):
    """Choose ``value`` in the visible multiselect labelled ``label``."""
    box = page.locator('[data-testid="stMultiSelect"]:visible').filter(
        has=page.get_by_text(label, exact=True)).first
    box.click()
    page.keyboard.type(value)
    page.get_by_role("option", name=value, exact=True).click()
    page.keyboard.press("Escape")
    _settle(page)


def _shot(page, name: str):
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_the_explorer_in_a_browser(server, server_log, browser_page):
    page, requests = browser_page
    base = server

    # Overview: counts, severities, the world map with the US red (Privacy Shield).
    _open(page, base, "", "Overview")
    world = page.locator("#worldmap svg")  # the map component (ropa.ui.mapview): Playwright pierces its shadow root
    world.wait_for()
    us = world.locator('path[data-iso="US"]')
    assert us.get_attribute("fill") == "#c62828"
    assert "Transfer relies on the invalidated Privacy Shield" in us.locator("title").text_content()
    europe = page.locator("#europemap")
    assert europe.locator('path[data-iso="NL"]').count() == 1
    box = europe.bounding_box()
    for corner in ("IS", "PT", "CY", "FI"):  # the EEA's far corners are inside the map, not clipped
        r = europe.locator(f'path[data-iso="{corner}"]').bounding_box()
        assert (r["y"] >= box["y"] - 1 and r["x"] >= box["x"] - 1 and r["y"] + r["height"] <= box["y"] + box["height"] + 1
                and r["x"] + r["width"] <= box["x"] + box["width"] + 1), corner
    # nothing that runs came through with the SVG: no script, no handler, no link
    for container in (page.locator("#worldmap"), europe):
        assert container.evaluate("""el => [...el.querySelectorAll('*')].filter(e =>
            ['script', 'a', 'foreignObject', 'iframe'].includes(e.localName)
            || [...e.attributes].some(a => a.name.startsWith('on') || a.name.endsWith('href'))).length""") == 0
    _shot(page, "1-overview")

    # ... click a country on the map: the picker under it chooses it and lists what goes there.
    europe.locator('path[data-iso="DE"]').click()
    _settle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="What goes to a country").first
    assert box.locator("input").input_value() == "Germany (EEA): 8 recipients"
    page.locator('[data-testid="stDataFrame"]').last.wait_for()
    page.get_by_role("button", name="Download this country's list (CSV)").wait_for()

    # ... or choose it in the picker: its transfers, with their verdicts.
    box.click()
    page.keyboard.type("United States")
    page.keyboard.press("Enter")
    _settle(page)
    assert box.locator("input").input_value() == "United States: 26 restricted transfers"
    country = page.locator('[data-testid="stDataFrame"]').last
    country.wait_for()
    assert country.bounding_box()["height"] >= 38 + 35 * 15
    assert "e-mail address" in page.get_by_text("Data categories going to United States").inner_text()
    _shot(page, "1b-overview-country")

    # The evaluation date, typed: Enter applies it (no calendar click needed).
    field = page.get_by_label("Evaluate as of", exact=True)
    field.fill("2020-07-01")
    field.press("Enter")
    _settle(page)
    page.get_by_text("Evaluated as of 2020-07-01").wait_for()
    # ... and the Report page reports as of the sidebar's date (it has no date of its own).
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Report").first.click()
    page.get_by_role("heading", name="Transfer-risk report", exact=True).wait_for()
    page.get_by_text(re.compile(r"^As of 2020-07-01 \(the date in the sidebar\)")).wait_for()
    assert page.get_by_label("Evaluate as of", exact=True).count() == 1  # the sidebar's only
    field = page.get_by_label("Evaluate as of", exact=True)
    field.fill(TODAY)
    field.press("Enter")
    _settle(page)
    page.get_by_text(re.compile(rf"^As of {TODAY} \(the date in the sidebar\)")).wait_for()

    # Graph: the canvas draws every node; a controller filter draws fewer.
    _open(page, base, "graph", "Graph")
    everything = _graph_frame(page)
    assert everything["nodes"] > 50 and everything["placed"] == everything["nodes"] and everything["ink"] > 2000
    _shot(page, "2-graph")
    _readable(everything)  # the whole RoPA: activities folded into their controllers, said in a note
    page.get_by_text("processing activities are folded into their controllers").wait_for()
    x = everything["x"]
    assert x["RAIDBOXES GmbH"] < x["ActiveCampaign"] < x["United States"]
    _shot(page, "2-graph")
    _readable(_filter_to_raidboxes(page, everything))
    _shot(page, "3-graph-filtered")

    # Focus on one activity: its data flow only, laid out left to right; Fit brings it back into the frame.
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Focus on").first
    box.click()
    page.keyboard.type("Newsletter (activity of RAIDBOXES")
    page.keyboard.press("Enter")
    _settle(page)
    focused = _graph_frame(page, lambda d: 0 < d["nodes"] < 12)
    x = focused["x"]
    assert x["RAIDBOXES GmbH"] < x["Newsletter"] < x["ActiveCampaign"] < x["United States"]
    assert focused["labels"].count("Newsletter") == 1 and focused["in_view"]
    _readable(focused)
    _shot(page, "3b-graph-focus-flow")
    # ... zoomed in, part of it leaves the frame; the Fit button brings all of it back.
    frame = next(f for f in reversed(page.frames) if f is not page.main_frame and not f.is_detached()
                 and f.evaluate("() => document.body && document.body.getAttribute('data-ready') === '1'"))
    frame.evaluate("() => network.moveTo({scale: 4 * network.getScale()})")
    assert not _drawn(frame)["in_view"]
    frame.locator("#fit").click()
    page.wait_for_timeout(300)
    assert _drawn(frame)["in_view"]

    # Transfers & findings: pick the first finding; its route and evidence appear; open it in the graph.
    _open(page, base, "transfers", "Transfers & findings")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    b = grid.bounding_box()
    assert b["height"] >= 38 + 35 * 15  # 15 rows or more at once, and the table starts high enough for a
    assert b["y"] + 38 + 35 * 12 <= 900  # 900-pixel screen to show a dozen rows without scrolling
    page.mouse.click(b["x"] + 16, b["y"] + 35 + 17)  # the first row's selection checkbox
    _settle(page)
    page.get_by_role("heading", name=re.compile(r"^HIGH · ")).wait_for()
    assert page.locator("blockquote").first.inner_text().strip()
    route = _graph_frame(page, lambda d: d["nodes"] < 20)
    assert route["nodes"] >= 3 and route["ink"] > 300 and route["legend_fits"]
    _shot(page, "4-transfers-row")
    findings = _download(page, "Download these findings (CSV)")
    assert findings and "rule" in findings[0] and findings[0]["severity"] in {"high", "medium", "low"}
    # ... the restricted transfers: which data categories go to the US (destination filter), then one category.
    page.get_by_role("tab", name=re.compile(r"^Restricted transfers")).click()
    _settle(page)
    _pick(page, "Destination", "US")
    summary = page.get_by_text(re.compile(r"^Data categories in these \d+ transfers"))
    assert "e-mail address" in summary.inner_text()
    _pick(page, "Data category", "IP address")
    _shot(page, "4b-transfers-data-categories")
    rows = _download(page, "Download these transfers (CSV)")
    assert rows and all("IP address" in r["data_categories"].split("; ") for r in rows)
    page.get_by_role("tab", name=re.compile(r"^Findings")).click()
    _settle(page)
    page.get_by_role("button", name=re.compile("Open this route in the Graph page")).click()
    page.get_by_role("heading", name="The highlighted finding").wait_for()
    _settle(page)
    traced = _graph_frame(page, lambda d: d["bold"])
    assert len(traced["bold"]) >= 3 and traced["nodes"] > len(traced["bold"])  # the route, bold, in the whole graph
    assert page.locator("blockquote").first.inner_text().strip()
    _shot(page, "5-graph-traced-finding")

    # Record: download the whole record as XLSX; it opens with both Art. 30 sheets.
    _open(page, base, "record", "Record of processing activities (Art. 30)")
    with page.expect_download() as dl:
        page.get_by_role("button", name=re.compile(r"Download the whole record")).click()
    target = OUT / "ropa-art30.xlsx"
    dl.value.save_as(target)
    with zipfile.ZipFile(target) as z:
        assert "xl/workbook.xml" in z.namelist()
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(target.read_bytes()))
    assert wb.sheetnames == ["Art. 30(1) controllers", "Art. 30(2) processors"]
    assert wb["Art. 30(1) controllers"].max_row == 51
    # ... and one controller's record, as CSV and XLSX: that controller's rows under the Art. 30(1) columns.
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Controller").first
    box.click()
    page.keyboard.type("RAIDBOXES")
    page.keyboard.press("Enter")
    _settle(page)
    page.get_by_text(re.compile(r"processing activit(y|ies) of RAIDBOXES GmbH")).wait_for()
    rows = _download(page, "Download RAIDBOXES GmbH's record (CSV)")
    assert rows and {r["(a) controller"] for r in rows} == {"RAIDBOXES GmbH"}
    target = OUT / "art30-1-raidboxes.xlsx"
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download RAIDBOXES GmbH's record (XLSX)").click()
    dl.value.save_as(target)
    ws = load_workbook(target).worksheets[0]
    header, *body = list(ws.iter_rows(values_only=True))
    assert header[0] == "(a) controller" and body and {r[0] for r in body} == {"RAIDBOXES GmbH"}
    _shot(page, "6-record")

    # Import: a broken register shows every problem and offers no import.
    _open(page, base, "import", "Import")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
        "name": "broken.csv", "mimeType": "text/csv",
        "buffer": b"controller,activity,recipient\nAcme BV,,Cloud Inc\n,Payroll,Bank\n"}])
    page.get_by_text("Nothing can be imported").wait_for()
    _settle(page)
    assert page.get_by_role("button", name="Import", exact=True).count() == 0
    _shot(page, "7-import-problems")

    # Import a notice: upload a notice, see its draft, import it into the store with its quotes.
    _open(page, base, "import-notice", "Draft a RoPA from a privacy notice")
    notice = ROOT / "tests" / "notices" / "en_clinic.txt"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
        "name": "clinic.html", "mimeType": "text/html", "buffer": notice.read_bytes()}])
    page.get_by_role("heading", name="Recipients").wait_for()
    _settle(page)
    page.get_by_role("button", name="Import the reviewed draft").click()
    page.get_by_text(re.compile(r"Imported \d+ recipient rows from clinic.html")).wait_for()
    _shot(page, "7b-import-notice")

    # A notice's draft waits for review on the Record page; accepting it (a revision) lets it into the record.
    _open(page, base, "record", "Record of processing activities (Art. 30)")
    page.get_by_text(re.compile(r"Needs review: \d+ drafted record")).wait_for()
    page.get_by_label("Reason (required)").fill("checked against the clinic's notice")
    page.get_by_role("button", name="Accept the chosen drafts").click()
    page.get_by_text(re.compile(r"Saved as revision \d+ by .*draft\(s\) accepted")).wait_for()
    _settle(page)
    assert page.get_by_text(re.compile(r"Needs review: \d+ drafted record")).count() == 0
    _shot(page, "7c-drafts-accepted")

    # Special categories: the clinic's health data, its condition, where the data go.
    _open(page, base, "special", "Special categories (Art. 9/10)")
    page.get_by_text("Activities with Art. 9/10 data").wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    _settle(page)
    _shot(page, "7c-special-categories")
    # ... and on the Graph page: a switch keeps only the activities with special data, flagged in the pickers.
    _open(page, base, "graph", "Graph")
    page.get_by_text("Only activities with special data (Art. 9/10)").click()
    _settle(page)
    special = _graph_frame(page, lambda d: 0 < d["nodes"] < 10)
    assert {"Example Physio Ltd", "Appointments"} <= set(special["labels"])
    assert "RAIDBOXES GmbH" not in special["labels"]
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Focus on").first.click()
    page.get_by_role("option", name=re.compile(r"^Appointments \(activity of Example Physio Ltd\) · Art\. 9")).wait_for()
    page.keyboard.press("Escape")
    _shot(page, "7c-graph-special-data")

    # Changes: save a snapshot; right after, nothing has changed since it.
    _open(page, base, "changes", "Changes since a snapshot")
    page.get_by_text("Save a snapshot of the RoPA as it is now").click()
    page.get_by_label("Name").fill("browser-test")
    page.get_by_label("Name").press("Enter")
    _settle(page)
    page.get_by_role("button", name=re.compile("Save a snapshot as of")).click()
    _settle(page)
    page.get_by_text("Saved snapshot browser-test").wait_for()
    page.get_by_text("Nothing changed since browser-test").wait_for()
    _shot(page, "7d-changes")

    # Query: the default query draws its nodes; a write is refused.
    _open(page, base, "query", "Query")
    page.get_by_role("button", name=re.compile("Run")).click()
    _settle(page)
    result = _graph_frame(page)
    assert result["nodes"] > 0
    _shot(page, "8-query")
    page.get_by_label("Cypher", exact=True).fill("MATCH (o:Organisation) DETACH DELETE o")
    page.get_by_role("button", name=re.compile("Run")).click()
    _settle(page)
    refusal = page.locator('[data-testid="stAlertContentError"]').first
    refusal.wait_for()
    said = refusal.inner_text()
    assert "ropa import" in said and "`" not in said  # the command is shown as code, not with literal backticks
    _shot(page, "8b-query-refused")

    outside = sorted({u for u in requests if not _local(u, base)})
    assert outside == [], f"requests left the machine: {outside}"
    assert base.startswith("http://127.0.0.1:")
    reached = (server_log / "net-audit.log").read_text()
    assert reached == "", f"the server tried to reach other hosts:\n{reached}"
