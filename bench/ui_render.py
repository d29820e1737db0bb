"""Time to first render of each explorer page on the sample data, and what it is made of.

    .venv/bin/python bench/ui_render.py
    .venv/bin/python bench/ui_render.py --store /tmp/1m.lbdb --timeout 300   # an existing (large) store

With ``--store`` the server reads that store (it is not changed) and the library
steps are those of ropa.browse on it; a page that does not render within
``--timeout`` seconds is printed as such and the next one is opened.

Starts `streamlit run` on a free port with a fresh store (and, on the sample, a
snapshot of an older version of it, so the Changes page has changes to show),
then drives Debian's chromium (Playwright) through every page twice: cold (a
new server: the store is seeded, the rules run, the caches fill) and warm (the
same pages again in a new tab of the same browser: a new session, the server's
caches and the browser's cache filled, as for someone who opened the explorer
before). Each page is opened by its URL, so each time the browser starts
Streamlit's front end again. Then, apart, the first page in a browser with an
empty cache (the Query page, the lightest): Streamlit's front end (about 20 MB of
JavaScript) downloaded and started. A page counts as rendered when Streamlit
has finished the script and, on pages with a drawing, vis-network has laid the
graph out. Then the library steps behind the pages are timed on their own.
Prints seconds, ratios and the load average; asserts nothing.
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
         ("special", "Special categories (Art. 9/10)", False), ("changes", "Changes since a snapshot", False),
         ("record", "Record of processing activities (Art. 30)", False), ("import", "Import", False),
         ("report", "Transfer-risk report", False), ("query", "Query", False)]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def save_bench_snapshot(directory: Path) -> None:
    """A snapshot of an older version of the sample (a few recipients fewer, one mechanism other), with its
    findings, so that the Changes page compares the sample with it: recipients added, a mechanism changed,
    new and resolved findings."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.rules import evaluate
    from ropa.samples import sample_graph
    from ropa.snapshots import save_snapshot
    g = sample_graph()
    hops = g.rels["DISCLOSES_TO"]
    older = hops.iloc[3:].copy()
    older.loc[older.index[0], "mechanism"] = "scc_2021" if older["mechanism"].iloc[0] != "scc_2021" else "bcr"
    g.rels["DISCLOSES_TO"] = older
    today = dt.date.today()
    with EmbeddedBackend(None) as s:
        s.replace(g)
        save_snapshot(s.export(), evaluate(s, today), "older-sample", today, directory=directory)


def start_server(store: Path, snapshots: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env={**os.environ, "ROPA_STORE": str(store),
                                           "ROPA_SNAPSHOTS": str(snapshots or Path(tempfile.mkdtemp()) / "snapshots")},
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


def settled(page, t0: float, timeout: float, quiet: float = 2.0, drawn=None) -> float:
    """When the script finished: the moment Streamlit's running indicator and every spinner (a cached
    function's, a status box's) went away and stayed away for ``quiet`` seconds (they appear a moment
    after a run starts, and a page may run again). With ``drawn`` (a check that the page's drawing is
    ready), the later of that moment and the first moment ``drawn()`` held: the quiet seconds are how
    the end is recognised, not part of the time (they were counted on drawing pages until this was
    seen)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    busy = page.locator('[data-testid="stStatusWidget"], [data-testid="stSpinner"], '
                        '[data-testid="stExpanderIconSpinner"]')
    since = None
    ready = None
    while True:
        now = time.perf_counter()
        if now - t0 > timeout:
            raise PlaywrightTimeout("still running")
        if drawn is not None and ready is None and drawn():
            ready = now
        if any(busy.nth(i).is_visible() for i in range(busy.count())):
            since = None
        elif since is None:
            since = now
        elif now - since >= quiet and (drawn is None or ready is not None):
            return since if drawn is None else max(since, ready)
        page.wait_for_timeout(50 if drawn is not None and ready is None else 100)


def _drawn(page) -> bool:
    """The page shows a laid-out drawing, or its note that there are too many nodes to draw."""
    if page.get_by_text("drawn at once").count():
        return True
    for f in page.frames:
        if f is page.main_frame or f.is_detached():
            continue
        try:
            if f.evaluate("() => document.body && document.body.getAttribute('data-ready') === '1'"):
                return True
        except Exception:  # the frame went away under us
            continue
    return False


def _open(page, base: str, path: str, heading: str, drawing: bool, timeout: float) -> float:
    """Seconds from asking for a page's URL to its first render (see :func:`settled`)."""
    t = time.perf_counter()
    page.goto(f"{base}/{path}")
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    # a drawing, or the page's note that there are too many nodes to draw
    return settled(page, t, timeout, drawn=(lambda: _drawn(page)) if drawing else None) - t


def render_times(base: str, timeout: float = 180, rounds=("cold", "warm")) -> dict[str, float | str | None]:
    """Seconds to first render per page and round; None when a page did not render within ``timeout``;
    the text of any error a page shows under "<round> <page>: error". Both rounds in one browser (a new tab
    each: a new session); then "front end, empty cache": the Query page in a browser that never saw the
    explorer."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    out: dict[str, float | None] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        for round_ in rounds:
            page = context.new_page()
            page.set_default_timeout(timeout * 1000)
            for path, heading, drawing in PAGES:
                try:
                    out[f"{round_} {path or 'overview'}"] = _open(page, base, path, heading, drawing, timeout)
                    alerts = page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]')
                    for i in range(alerts.count()):  # a page that "renders" an error has not rendered
                        out[f"{round_} {path or 'overview'}: error"] = alerts.nth(i).inner_text()[:300]
                except PlaywrightTimeout:
                    out[f"{round_} {path or 'overview'}"] = None
                    page.close()
                    page = context.new_page()
                    page.set_default_timeout(timeout * 1000)
            page.close()
        context.close()
        fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = fresh.new_page()
        page.set_default_timeout(timeout * 1000)
        try:
            out["front end, empty cache"] = _open(page, base, "query", "Query", False, timeout)
        except PlaywrightTimeout:
            out["front end, empty cache"] = None
        fresh.close()
        browser.close()
    return out


SCRIPT_TIMER = """import json, time
t, cpu = time.perf_counter(), time.thread_time()
from ropa.ui.pages import run
run(default={page!r})
with open({out!r}, "a") as fp:
    fp.write(json.dumps([{page!r}, time.perf_counter() - t, time.thread_time() - cpu]) + "\\n")
"""


def script_times(runs: int = 5) -> dict[str, tuple[float, float]]:
    """The server's share of a warm page: the page script's run time and its CPU time (medians of ``runs``;
    the CPU time hardly moves with the machine's load), under Streamlit's AppTest on a fresh sample store with
    the bench snapshot, after a first run of every page filled the caches. The browser figures add Streamlit's
    front end and the drawing to it, and vary much more."""
    import json
    import statistics
    from streamlit.testing.v1 import AppTest
    keys = [path or "overview" for path, *_ in PAGES]
    with tempfile.TemporaryDirectory() as d:
        old = {k: os.environ.get(k) for k in ("ROPA_STORE", "ROPA_SNAPSHOTS")}
        os.environ["ROPA_STORE"], os.environ["ROPA_SNAPSHOTS"] = str(Path(d) / "s.lbdb"), str(Path(d) / "snaps")
        try:
            save_bench_snapshot(Path(d) / "snaps")
            out = Path(d) / "times.jsonl"
            for i in range(runs + 1):
                for k in keys:
                    AppTest.from_string(SCRIPT_TIMER.format(page=k, out=str(out)), default_timeout=600).run()
                if i == 0:
                    out.unlink()  # the first round filled the caches
            got: dict[str, list[tuple[float, float]]] = {}
            for line in out.read_text().splitlines():
                k, t, cpu = json.loads(line)
                got.setdefault(k, []).append((t, cpu))
        finally:
            for k, v in old.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return {k: (statistics.median(t for t, _ in got[k]), statistics.median(c for _, c in got[k])) for k in keys}


def library_times() -> dict[str, float]:
    from ropa import art30, network, overlay, views
    from ropa.render import network_html
    from ropa.rules import evaluate
    from ropa.transfers import build_register, register_frame
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
                return evaluate(s, dt.date.today())
        found = timed("evaluate the rule pack", rules)
        findings = [f.to_dict() for f in found]

        def transfers():
            with ws.reading() as s:
                return register_frame(build_register(s, dt.date.today(), found))
        timed("transfer register and table", transfers)
    g = timed("build the network", lambda: network.build_network(rg))
    a = timed("annotate with findings", lambda: overlay.annotate(g, findings))
    layers = timed("map layers", lambda: overlay.map_layers(a))
    timed("world map SVG", lambda: world_svg(layers["fill"], layers["labels"], legend=layers["legend"]))
    lean = views.without_details(a)
    timed(f"pyvis page, {lean.number_of_nodes()} nodes", lambda: network_html(lean))
    timed(f"pyvis page, {a.number_of_nodes()} nodes", lambda: network_html(a))
    timed("Art. 30 tables", lambda: art30.record_sheets(g))
    return out


def store_library_times(store: Path) -> dict[str, float]:
    """The steps behind the pages on an existing store (ropa.browse)."""
    from ropa import browse
    from ropa.rules import evaluate
    from ropa.workspace import EmbeddedWorkspace
    out: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        r = fn()
        out[name] = time.perf_counter() - t
        return r

    ws = EmbeddedWorkspace(store)
    with ws.reading() as s:
        n = s.run("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
        cat = timed("catalogue (hops, places, names)", lambda: browse.read_catalogue(s))
        findings = timed("evaluate the rule pack", lambda: [f.to_dict() for f in evaluate(s, dt.date.today())])
    ev = timed("lay findings, counts, map", lambda: browse.lay_findings(cat, findings))
    timed("findings table", lambda: ev.table)
    timed("transfer table", lambda: ev.transfers)
    ctrl = cat.activities["controller_id"].iloc[0]
    acts = cat.activities["id"][cat.activities["controller_id"] == ctrl].tolist()
    with ws.reading() as s:
        timed(f"sub-network of one controller ({len(acts)} activities)",
              lambda: browse.network(s, acts, [ctrl], browse.findings_about(cat, ev, acts)))
    print(f"Store: {store}, {n} relationships, {len(cat.activities)} activities, {len(findings)} findings")
    return out


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="an existing store to read (default: a fresh sample store)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds a page may take (default 180)")
    ap.add_argument("--cold-only", action="store_true", help="open each page once, on a fresh server")
    ap.add_argument("--no-library", action="store_true", help="skip the library steps")
    args = ap.parse_args()
    rounds = ("cold",) if args.cold_only else ("cold", "warm")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        snapshots = Path(d) / "snapshots"
        if not args.store:
            save_bench_snapshot(snapshots)
        proc, base = start_server(args.store or Path(d) / "store.lbdb", snapshots)
        try:
            pages = render_times(base, args.timeout, rounds)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # still busy with a page that did not render in time
                proc.kill()
                proc.wait(10)
    ref = pages.get("warm overview") or pages.get("cold import") or 1.0
    ref = ref if isinstance(ref, float) else 1.0
    print(f"Time to first render (browser, {args.store or 'sample data'}); load average "
          f"{load[0]:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    for k, v in pages.items():
        if isinstance(v, str):
            print(f"    {k}: {' '.join(v.split())}")
            continue
        print(f"  {k:22} " + (f"{v:6.2f} s   {v / ref:5.1f}x {'warm overview' if 'warm overview' in pages else 'cold import'}"
                               if v is not None else f"> {args.timeout:.0f} s (did not render)"), flush=True)
    if not args.store:
        print("Page script, warm (the server's share; AppTest, medians of 5): run time, CPU time")
        for k, (t, cpu) in script_times().items():
            print(f"  {k:22} {1000 * t:7.1f} ms {1000 * cpu:7.1f} ms", flush=True)
    if args.no_library:
        return
    lib = store_library_times(args.store) if args.store else library_times()
    print("Library steps behind the pages")
    total = sum(lib.values())
    for k, v in lib.items():
        print(f"  {k:36} {v:6.3f} s   {100 * v / total:5.1f}%")


if __name__ == "__main__":
    main()
