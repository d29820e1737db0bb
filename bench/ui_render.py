"""Time to first render of each explorer page on the sample data, and what it is made of.

    .venv/bin/python bench/ui_render.py

Starts `streamlit run` on a free port with a fresh store, then drives Debian's
chromium (Playwright) through every page twice: cold (a new server: the store
is seeded, the rules run, the caches fill) and warm (the same pages again in a
new tab). A page counts as rendered when Streamlit has finished the script
and, on pages with a drawing, vis-network has laid the graph out. Then the
library steps behind the pages are timed on their own. Prints seconds and
ratios; asserts nothing.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = [("", "Overview", False), ("graph", "Graph", True), ("transfers", "Transfers & findings", False),
         ("record", "Record of processing activities (Art. 30)", False), ("import", "Import", False),
         ("query", "Query", False)]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env={**os.environ, "ROPA_STORE": str(store)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("streamlit did not start")


def render_times(base: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright
    out: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for round_ in ("cold", "warm"):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(180_000)
            for path, heading, drawing in PAGES:
                t = time.perf_counter()
                page.goto(f"{base}/{path}")
                page.get_by_role("heading", name=heading, exact=True).wait_for()
                page.wait_for_timeout(100)
                page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
                if drawing:
                    while not any(f.evaluate("() => document.body && document.body.getAttribute('data-ready') === '1'")
                                  for f in page.frames if f is not page.main_frame and not f.is_detached()):
                        page.wait_for_timeout(50)
                out[f"{round_} {path or 'overview'}"] = time.perf_counter() - t
            page.close()
        browser.close()
    return out


def library_times() -> dict[str, float]:
    from ropa import art30, views
    from ropa.render import network_html
    from ropa.rules import evaluate
    from ropa.samples import sample_graph
    from ropa.workspace import EmbeddedWorkspace
    from ropa.worldmap import world_svg
    out: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        r = fn()
        out[name] = time.perf_counter() - t
        return r

    with tempfile.TemporaryDirectory() as d:
        ws = EmbeddedWorkspace(Path(d) / "s.lbdb")
        timed("seed the store (parse + replace)", lambda: ws.ensure_seeded(sample_graph))

        def open_close():
            with ws.reading():
                pass
        timed("open + close read-only", open_close)

        def export():
            with ws.reading() as s:
                return s.export()
        rg = timed("export the RoPA", export)

        def rules():
            with ws.reading() as s:
                return [f.to_dict() for f in evaluate(s, dt.date.today())]
        findings = timed("evaluate the rule pack", rules)
    g = timed("build the network", lambda: views.build_network(rg))
    a = timed("annotate with findings", lambda: views.annotate(g, findings))
    timed("transfers table", lambda: views.transfers_frame(a))
    layers = timed("map layers", lambda: views.map_layers(a))
    timed("world map SVG", lambda: world_svg(layers["fill"], layers["labels"], legend=layers["legend"]))
    lean = views.without_details(a)
    timed(f"pyvis page, {lean.number_of_nodes()} nodes", lambda: network_html(lean))
    timed(f"pyvis page, {a.number_of_nodes()} nodes", lambda: network_html(a))
    timed("Art. 30 tables", lambda: art30.record_sheets(g))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        proc, base = start_server(Path(d) / "store.lbdb")
        try:
            pages = render_times(base)
        finally:
            proc.terminate()
            proc.wait(10)
    lib = library_times()
    warm_overview = pages["warm overview"]
    print("Time to first render (browser, sample data)")
    for k, v in pages.items():
        print(f"  {k:22} {v:6.2f} s   {v / warm_overview:5.1f}x warm overview")
    print("Library steps behind the pages")
    total = sum(lib.values())
    for k, v in lib.items():
        print(f"  {k:36} {v:6.3f} s   {100 * v / total:5.1f}%")


if __name__ == "__main__":
    main()
