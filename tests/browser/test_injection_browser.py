"""Payloads in a real browser: the explorer on a store whose every text cell is an attack, and the
HTML report, opened in Debian's chromium. No script the data brought may run: no dialog (alert),
no element the payload tried to create, no request for the payload's image, every payload shown as
text (node tooltips hovered with the mouse). The data are tests/test_injection.py's register.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from test_browser import ARGS, CHROMIUM, OUT, _local, _open, _settle, streamlit_server, sync_api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_injection import PAYLOADS, payload_register  # noqa: E402

from ropa.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-22"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("injection-browser")
    f = d / "payloads.csv"
    f.write_bytes(payload_register())
    store = d / "store.lbdb"
    assert main(["import", str(f), "--store", str(store)]) == 0
    report = d / "report.html"
    assert main(["report", "--out", str(report), "--store", str(store), "--as-of", TODAY]) == 0
    return store, report


@pytest.fixture(scope="module")
def server(data, tmp_path_factory):
    with streamlit_server(data[0], tmp_path_factory.mktemp("log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    OUT.mkdir(parents=True, exist_ok=True)
    seen = {"dialogs": [], "requests": [], "console": []}
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = b.new_context(viewport={"width": 1400, "height": 1700})
        context.on("request", lambda r: seen["requests"].append(r.url))
        page = context.new_page()
        page.set_default_timeout(90_000)

        def on_dialog(d):
            seen["dialogs"].append(d.message)
            d.dismiss()
        page.on("dialog", on_dialog)
        page.on("console", lambda m: seen["console"].append(m.text))
        yield page, seen
        context.close()
        b.close()


def _ready_graph_frame(page):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for f in reversed(page.frames):
            if f is page.main_frame or f.is_detached():
                continue
            try:
                if f.evaluate("() => document.body && document.body.getAttribute('data-ready') === '1'"):
                    return f
            except sync_api.Error:
                continue
        page.wait_for_timeout(300)
    raise AssertionError("no finished graph drawing appeared")


INJECTED = """() => ({
    elements: document.querySelectorAll('img, iframe, object, embed').length,
    scripts: Array.from(document.scripts).filter(s => /^alert\\(/.test(s.textContent.trim())).length,
    handlers: Array.from(document.querySelectorAll('*')).filter(
        e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
})"""


def test_graph_page_tooltips_show_payloads_as_text_and_run_nothing(server, browser):
    page, seen = browser
    _open(page, server, "graph", "Graph")
    frame = _ready_graph_frame(page)
    nodes = frame.evaluate("""() => network.body.data.nodes.get().map(n => {
        const p = network.getPositions([n.id])[n.id];
        const d = network.canvasToDOM(p);
        return {id: n.id, label: n.label, x: d.x, y: d.y,
                title: typeof n.title === 'string' ? n.title : n.title.innerText};
    })""")
    orgs = [n for n in nodes if n["id"].startswith("Organisation:")]
    assert len(orgs) == 2 * len(PAYLOADS)
    # The data reach the page as text: every payload is in some node's tooltip, verbatim.
    titles = "\n".join(n["title"] for n in nodes)
    assert all(p in titles for p in PAYLOADS)

    element = frame.frame_element()
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    width, height = box["width"], box["height"]
    hovered = []
    for n in orgs:
        if not (5 < n["x"] < width - 5 and 5 < n["y"] < 600):
            continue  # outside the drawn canvas at this zoom
        page.mouse.move(box["x"] + n["x"], box["y"] + n["y"])
        tip = frame.locator("div.vis-tooltip")
        try:
            tip.wait_for(state="visible", timeout=3000)
        except sync_api.Error:
            continue  # another node drawn on top of this one
        text = tip.inner_text()
        inner = tip.evaluate("e => e.innerHTML")
        hovered.append(text)
        assert "<img" not in inner and "<script" not in inner, inner
        page.mouse.move(box["x"] + 2, box["y"] + height - 2)  # off the node: the tooltip goes
        page.wait_for_timeout(150)
    assert len(hovered) >= 3, "no tooltip could be hovered"
    shown = "\n".join(hovered)
    assert "<script>alert(1)</script>" in shown or '"><img src=x onerror=alert(1)>' in shown or \
        any(p in shown for p in PAYLOADS)
    page.wait_for_timeout(500)
    assert frame.evaluate(INJECTED) == {"elements": 0, "scripts": 0, "handlers": 0}
    page.screenshot(path=str(OUT / "injection-graph.png"), full_page=True)
    assert seen["dialogs"] == [], seen["dialogs"]


def test_other_pages_show_payloads_and_run_nothing(server, browser):
    page, seen = browser
    for path, heading in (("", "Overview"), ("transfers", "Transfers & findings"),
                          ("record", "Record of processing activities (Art. 30)")):
        _open(page, server, path, heading)
        page.wait_for_timeout(800)
        for f in page.frames:
            if f.is_detached():
                continue
            try:
                got = f.evaluate(INJECTED)
            except sync_api.Error:
                continue
            assert got["scripts"] == 0 and got["handlers"] == 0, (path, f.url, got)
            assert f.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0, (path, f.url)
        if heading == "Overview":  # the maps sit in shadow roots (ropa.ui.mapview), which the above does not see
            for container in ("#worldmap", "#europemap"):
                page.locator(container).wait_for()
                got = page.locator(container).evaluate("""el => [...el.querySelectorAll('*')].filter(e =>
                    ['script', 'img', 'iframe', 'a', 'foreignObject'].includes(e.localName)
                    || [...e.attributes].some(a => a.name.startsWith('on'))).length""")
                assert got == 0, container
    _settle(page)
    page.screenshot(path=str(OUT / "injection-transfers.png"), full_page=True)
    assert seen["dialogs"] == [], seen["dialogs"]
    assert not [u for u in seen["requests"] if u.rstrip("/").endswith("/x")]  # the payload's <img src=x>
    outside = sorted({u for u in seen["requests"] if not _local(u, server)})
    assert outside == [], outside
    assert not [m for m in seen["console"] if "alert" in m]


def test_html_report_in_chromium_runs_nothing(data, browser):
    _, report = data
    page, seen = browser
    before = len(seen["dialogs"])
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.evaluate(INJECTED) == {"elements": 0, "scripts": 0, "handlers": 0}
    assert page.evaluate("() => document.scripts.length") == 0
    text = page.inner_text("body")
    for p in PAYLOADS:
        assert p in text, p
    page.screenshot(path=str(OUT / "injection-report.png"), full_page=False)
    assert len(seen["dialogs"]) == before, seen["dialogs"]
