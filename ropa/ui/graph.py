"""Graph: the RoPA drawn with pyvis, filtered, focused, with a finding's route highlighted."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from .. import views
from ..render import network_html
from . import state
from .common import as_of_picker, graph_frame, guarded, plain, quote, store_caption

HEIGHT = 620
SEVERITY_CHOICES = ["any", "low", "medium", "high"]


@st.cache_data(show_spinner="Drawing…", max_entries=32)
def _drawing(version: str, as_of: dt.date, flt: views.GraphFilter, details: bool, focus: str | None, depth: int,
             route: tuple[str, ...], only_route: bool) -> tuple[str | None, str | None, int, int]:
    """(page html or None, note, nodes, edges) for one combination of choices."""
    full = state.annotated(version, as_of)
    shown = views.filter_network(full, flt)
    if not details:
        shown = views.without_details(shown, keep=flt.categories + flt.subjects)
    if focus:
        shown = views.focus(shown, focus, depth)
    if route:
        shown = views.route_subgraph(full, list(route)) if only_route else views.with_route(full, shown, list(route))
    limited, note = views.limit(shown)
    if limited is None:
        return None, note, shown.number_of_nodes(), shown.number_of_edges()
    return network_html(limited, height=HEIGHT), note, limited.number_of_nodes(), limited.number_of_edges()


def _filters(options: dict) -> views.GraphFilter:
    sb = st.sidebar
    sb.subheader("Filters")
    labels = {k: dict(v) for k, v in options.items()}

    def pick(name: str, title: str) -> tuple[str, ...]:
        keys = [k for k, _ in options[name]]
        return tuple(sb.multiselect(title, keys, format_func=lambda k: labels[name].get(k, k), key=f"f_{name}",
                                    placeholder="all"))

    flt = views.GraphFilter(
        controllers=pick("controllers", "Controller"),
        activities=pick("activities", "Processing activity"),
        categories=pick("categories", "Data category"),
        subjects=pick("subjects", "Data subject"),
        countries=pick("countries", "Country (where data go)"),
        min_severity=None,
    )
    sev = sb.select_slider("Minimum severity", SEVERITY_CHOICES, value="any", key="f_severity",
                           help="Keep only the data flows (and activities) with a finding at least this severe.")
    if sev != "any":
        flt = views.GraphFilter(**{**flt.__dict__, "min_severity": sev})
    return flt


@guarded
def page() -> None:
    """Filters in the sidebar; focus and highlight above the drawing."""
    store_caption()
    as_of = as_of_picker()
    st.title("Graph")
    version = state.version()
    full = state.annotated(version, as_of)
    if not full.number_of_nodes():
        st.info("The store holds no RoPA yet. Import a register or a graph file on the Import page.")
        return
    flt = _filters(views.filter_options(full))
    details = st.sidebar.toggle("Show data categories and subjects", value=False, key="f_details",
                                help="Off, they are listed in each activity's tooltip instead.")

    findings = state.findings(version, as_of)
    routed = [f for f in findings if len(views.finding_route(full, f)) >= 2]
    wanted = st.session_state.pop("graph_highlight", None)
    if wanted is not None:
        for i, f in enumerate(routed):
            if views.finding_identity(f) == tuple(wanted):
                st.session_state["g_highlight"] = i
    shown_nodes = views.filter_network(full, flt)
    if not details:
        shown_nodes = views.without_details(shown_nodes, keep=flt.categories + flt.subjects)
    names = {n: f"{d['name']} ({d['label']})" for n, d in shown_nodes.nodes(data=True)}

    c1, c2, c3 = st.columns([3, 1, 4])
    if st.session_state.get("g_focus") not in (None, *names):
        st.session_state["g_focus"] = None  # filtered away
    focus = c1.selectbox("Focus on", sorted(names, key=lambda n: names[n].casefold()),
                         **({} if "g_focus" in st.session_state else {"index": None}),
                         format_func=names.get, key="g_focus", placeholder="the whole graph",
                         help="Show only what lies within a few hops of one node.")
    depth = c2.slider("Depth", 1, 3, 2, key="g_depth", disabled=focus is None)
    if st.session_state.get("g_highlight") is not None and st.session_state["g_highlight"] >= len(routed):
        st.session_state["g_highlight"] = None  # the findings changed (another date, an import)
    pick = c3.selectbox("Highlight a finding's route", list(range(len(routed))), key="g_highlight",
                        **({} if "g_highlight" in st.session_state else {"index": None}),
                        format_func=lambda i: views.finding_label(routed[i]), placeholder="none",
                        help="Draws the path of the finding (controller → activity → recipients → country) "
                             "in bold. Onward-transfer findings show the whole sub-processor chain.")
    finding = routed[pick] if pick is not None and pick < len(routed) else None
    route = tuple(views.finding_route(full, finding)) if finding else ()
    only_route = bool(route) and st.toggle("Show only this route", value=False, key="g_only_route")

    page_html, note, n, m = _drawing(version, as_of, flt, details, focus, depth, route, only_route)
    if note:
        (st.warning if page_html is None else st.info)(plain(note))
    if page_html is None:
        return
    if n == 0:
        st.info("Nothing matches these filters. Clear a filter in the sidebar to see more.")
        return
    st.caption(f"{n} nodes, {m} relationships. Drag to move, scroll to zoom, hover for details.")
    graph_frame(page_html, HEIGHT)
    if finding:
        st.subheader("The highlighted finding")
        st.markdown(f"**{plain(finding['title'] or finding['rule'])}** ({plain(finding['severity'])}): "
                    f"{plain(finding['reason'])}")
        st.markdown(f"**Legal source:** {plain(finding['legal_source'] or 'see the rule file')}  \n"
                    f"**Remediation:** {plain(finding['remediation'])}")
        where = ", ".join(x for x in (finding.get("source"), f"row {finding['row']}" if finding.get("row") else "") if x)
        quote(finding.get("evidence") or "", where)
