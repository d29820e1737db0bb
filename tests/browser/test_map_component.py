"""ropa.ui.mapview in Chromium on its own: an SVG carrying a script, event handlers, a link and foreign HTML
is drawn without any of them (the component copies only drawing elements and attributes), and a click on a
country sends its code back to Python. world_svg already escapes every text; this is the second wall,
standing in for the iframe sandbox the map had before."""
from __future__ import annotations

import pytest

from test_browser import ARGS, CHROMIUM, _settle, streamlit_server, sync_api

HOSTILE = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" onload="alert(1)">'
           '<script>alert(2)</script>'
           '<path d="M0 0H40V40H0Z" fill="#c62828" data-iso="US" onclick="alert(3)"><title>United States</title></path>'
           '<a href="javascript:alert(4)"><path d="M50 0H90V40H50Z" data-iso="FR"/></a>'
           '<foreignObject width="10" height="10"><img xmlns="http://www.w3.org/1999/xhtml" src="x" '
           'onerror="alert(5)"/></foreignObject>'
           '<circle cx="95" cy="45" r="3" fill="#1565c0" data-iso="MT"/></svg>')

APP = f'''
import streamlit as st
from ropa.ui import mapview
mapview.world_map({HOSTILE!r}, "worldmap", key="worldmap")
st.write("clicked: " + str(st.session_state.get(mapview.CLICKED)))
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("mapcomponent")
    (d / "app.py").write_text(APP, encoding="utf-8")
    with streamlit_server(d / "store.lbdb", d, app=str(d / "app.py")) as base:
        yield base


def test_the_map_draws_no_script_and_a_click_chooses_a_country(server):
    dialogs = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.set_default_timeout(60_000)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server)
        drawn = page.locator("#worldmap svg")
        drawn.wait_for()
        _settle(page)
        kinds = page.locator("#worldmap").evaluate("el => [...el.querySelectorAll('*')].map(e => e.localName)")
        assert kinds.count("path") == 1 and kinds.count("circle") == 1  # FR's path was inside the link: dropped
        assert not {"script", "a", "foreignObject", "img"} & set(kinds)
        handlers = page.locator("#worldmap").evaluate(
            "el => [...el.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
            ".filter(n => n.startsWith('on') || n.endsWith('href'))")
        assert handlers == []
        assert drawn.locator('path[data-iso="US"] title').text_content() == "United States"
        page.get_by_text("clicked: None").wait_for()
        drawn.locator('path[data-iso="US"]').click()
        page.get_by_text("clicked: US").wait_for()
        page.wait_for_timeout(300)
        assert dialogs == []
        browser.close()
