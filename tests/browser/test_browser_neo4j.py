"""The explorer in a real browser on Neo4j: the session's own Neo4j 5 server (tests/conftest.py),
the same chromium and `streamlit run` as test_browser.py (a module of its own: Playwright's sync API
cannot run while test_browser.py's browser is still open)."""
from __future__ import annotations

import re

from test_browser import (ARGS, CHROMIUM, OUT, _filter_to_raidboxes, _graph_frame, _local, _open, _settle, _shot,
                          streamlit_server, sync_api)
PAGE_HEADINGS = [("", "Overview"), ("graph", "Graph"), ("transfers", "Transfers & findings"),
                 ("record", "Record of processing activities (Art. 30)"), ("import", "Import"),
                 ("import-notice", "Draft a RoPA from a privacy notice"), ("report", "Transfer-risk report"),
                 ("query", "Query")]


def _run_query(page, text: str):
    box = page.get_by_label("Cypher")
    box.fill(text)
    page.get_by_role("button", name=re.compile("Run")).click()
    _settle(page)


def test_the_explorer_on_neo4j(neo4j_server, tmp_path):
    """Every page renders on the session's Neo4j server (the sidebar names it: no fallback to the
    embedded store), a filter narrows the graph, and the console refuses writes, a GQL ``INSERT``
    too. Behind the keyword check, the console's queries run in Neo4j read transactions, which refuse
    any write themselves: tests/test_injection.py shows it on the same path with the check removed."""
    from conftest import open_neo4j
    from ropa.samples import sample_graph
    with open_neo4j(neo4j_server, clear=True) as store:
        store.replace(sample_graph())
        before = store.export().fingerprint()
    uri = neo4j_server["uri"]
    OUT.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with streamlit_server(tmp_path / "unused.lbdb", tmp_path, neo4j=neo4j_server["env"]) as base, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1700})
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            for path, heading in PAGE_HEADINGS:
                _open(page, base, path, heading)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
                assert "embedded store instead" not in sidebar, path
                if path not in ("import-notice", "report"):  # the two pages that do not name the store
                    assert f"neo4j ({uri}" in sidebar, path
                _shot(page, f"neo4j-{path or 'overview'}")

            _open(page, base, "graph", "Graph")
            everything = _graph_frame(page)
            assert everything["nodes"] > 50 and everything["placed"] == everything["nodes"]
            _filter_to_raidboxes(page, everything)

            _open(page, base, "query", "Query")
            _run_query(page, "MATCH (o:Organisation) RETURN o.name AS name ORDER BY name LIMIT 5")
            page.get_by_text(re.compile(r"^5 row\(s\)$")).wait_for()
            _run_query(page, "MATCH (n) DETACH DELETE n")
            page.get_by_text(re.compile("Refused: the query console is read-only")).wait_for()
            _run_query(page, "INSERT (:Organisation {id: 'intruder', name: 'Intruder'})")  # GQL (Neo4j 5.18+)
            page.get_by_text(re.compile("Refused: the query console is read-only: 'INSERT'")).wait_for()
            _shot(page, "neo4j-query-refused")
        finally:
            context.close()
            browser.close()
    with open_neo4j(neo4j_server) as store:
        assert store.export().fingerprint() == before
    outside = sorted({u for u in requests if not _local(u, base)})
    assert outside == [], f"requests left the machine: {outside}"
