"""Graph: the RoPA drawn with pyvis, filtered, focused, with a finding's route highlighted.

Nothing here builds the whole graph: the filters pick activities on the catalogue
(:func:`ropa.browse.candidate_activities`); when more than :data:`ropa.views.NODE_CAP`
match, the page says so and draws nothing; otherwise it reads only their part of the
store (:func:`ropa.browse.network`) and filters, focuses and caps it with
:mod:`ropa.narrow` and :mod:`ropa.views`. Focusing on a node of a big RoPA reads the activities that
touch that node; when even those are too many, the node's neighbourhood is read from the
store (:func:`ropa.neighbourhood`, capped, parallel relationships counted per pair).
"""
from __future__ import annotations

import streamlit as st

from .. import browse, narrow, network, overlay, routes, views
from ..browse.neighbourhood import neighbourhood
from ..render import network_html
from . import state
import pandas as pd

from .common import (LANGUAGE_NAMES, as_of_picker, graph_frame, guarded, many_multiselect, plain, quote,
                     quote_language, store_caption)

HEIGHT = 620
SEVERITY_CHOICES = ["any", "low", "medium", "high"]
HIGHLIGHT_CAP = 500     # findings offered for highlighting


def _special(version: str) -> dict[str, str]:
    """Node key of each activity with special-category (Art. 9) or criminal (Art. 10) data -> its flag
    ("Art. 9: health data")."""
    def read():
        from ..special import activity_flags
        return {network.node_key("Activity", i): flag for i, flag in activity_flags(state.special(version))[0].items()}
    return state.memo("special flags", (version,), read, keep=2)


def _flagged(label: str, flag: str | None) -> str:
    return f"{label} · {flag}" if flag else label


def _filter_options(version: str) -> dict[str, list[tuple[str, str]]]:
    def read():
        cat = state.catalogue(version)
        acts = cat.activities
        flags = _special(version)
        ctrl = sorted({(network.node_key("Organisation", i), n) for i, n in zip(acts["controller_id"], acts["controller"])},
                      key=lambda kv: (str(kv[1]).casefold(), kv[0]))
        activities = sorted(((k, _flagged(f"{n} ({c})", flags.get(k)))
                             for k, n, c in zip((network.node_key("Activity", i) for i in acts["id"]), acts["name"],
                                                acts["controller"])),
                            key=lambda kv: (kv[1].casefold(), kv[0]))
        pl = cat.places
        countries = sorted({(c, n if n is not None else c) for c, n in zip(pl["country"], pl["name"])},
                           key=lambda kv: (str(kv[1]).casefold(), kv[0]))
        with state.reading() as store:
            details = browse.detail_options(store)
        return {"controllers": ctrl, "activities": activities, "countries": countries, **details}
    return state.memo("graph options", (version,), read, keep=2)


def _pick(name: str, title: str, options: list[tuple[str, str]], within: set[str] | None = None) -> tuple[str, ...]:
    if within is not None:
        options = [kv for kv in options if kv[0] in within]
    return tuple(many_multiselect(st.sidebar, title, options, f"f_{name}"))


def _filters(options: dict, cat: browse.Catalogue, special: dict[str, str]) -> narrow.GraphFilter | None:
    """The sidebar's filters; None when they leave nothing to draw (only special data asked for, and none)."""
    st.sidebar.subheader("Filters")
    controllers = _pick("controllers", "Controller", options["controllers"])
    within = None
    if controllers:  # only the chosen controllers' activities
        ids = {k.split(":", 1)[1] for k in controllers}
        acts = cat.activities
        within = {network.node_key("Activity", i) for i in acts["id"][acts["controller_id"].isin(ids)]}
    only_special = st.sidebar.toggle("Only activities with special data (Art. 9/10)", value=False, key="f_special",
                                     help="Keep the activities that process special categories of data (Art. 9) or "
                                          "data on criminal offences (Art. 10), and where those data go.")
    if only_special:
        within = set(special) if within is None else within & set(special)
    activities = _pick("activities", "Processing activity", options["activities"], within)
    if only_special and not activities:
        activities = tuple(sorted(within))
        if not activities:
            return None
    flt = narrow.GraphFilter(
        controllers=controllers,
        activities=activities,
        categories=_pick("categories", "Data category", options["categories"]),
        subjects=_pick("subjects", "Data subject", options["subjects"]),
        countries=_pick("countries", "Country (where data go)", options["countries"]),
        min_severity=None,
    )
    sev = st.sidebar.select_slider("Minimum severity", SEVERITY_CHOICES, value="any", key="f_severity",
                                   help="Keep only the data flows (and activities) with a finding at least this "
                                        "severe.")
    if sev != "any":
        flt = narrow.GraphFilter(**{**flt.__dict__, "min_severity": sev})
    return flt


def _node_name(g, n: str, d: dict, special: dict[str, str] | None = None) -> str:
    """A node as the focus picker names it: an activity with its controller (many controllers have a
    "Newsletter") and its special data, anything else with its type."""
    if d["label"] == "Activity":
        owners = [g.nodes[u]["name"] for u, _, e in g.in_edges(n, data=True) if e["type"] == "CONTROLS"]
        if owners:
            return _flagged(f"{d['name']} (activity of {', '.join(sorted(owners))})", (special or {}).get(n))
    return f"{d['name']} ({d['label']})"


def _with_special(g, special: dict[str, str]):
    """A copy of a drawing's network whose activity nodes carry their special data (their tooltip says it)."""
    if not any(n in special for n in g):
        return g
    g = g.copy()
    for n in g:
        if n in special:
            g.nodes[n]["special"] = special[n]
    return g


def _shown(net, flt: narrow.GraphFilter, details: bool):
    shown = narrow.filter_network(net, flt)
    if not details:
        shown = views.without_details(shown, keep=flt.categories + flt.subjects)
    return shown


def _drawing(version, as_of, flt, details, universe, focus, depth, route_scope, route, only_route):
    """(page html or None, note, nodes, edges) for one combination of choices."""
    def draw():
        route_net = state.network(version, as_of, *route_scope) if route else None
        if universe is None:  # too many activities: only a route can be drawn
            shown = routes.route_subgraph(route_net, list(route))
        else:
            shown = _shown(state.network(version, as_of, universe), flt, details)
            if focus:
                shown = narrow.flow_focus(shown, focus) if depth is None else narrow.focus(shown, focus, depth)
            if route:
                shown = routes.route_subgraph(route_net, list(route)) if only_route \
                    else routes.with_route(route_net, shown, list(route))
        limited, note = views.limit(shown)
        if limited is None:
            return None, note, shown.number_of_nodes(), shown.number_of_edges()
        if not focus and not route:  # the whole RoPA (or a filtered part): readable at a glance
            limited, folded = views.fold_activities(limited)
            note = " ".join(x for x in (note, folded) if x) or None
        limited = _with_special(limited, _special(version))
        return (network_html(limited, height=HEIGHT, layout="flow"), note,
                limited.number_of_nodes(), limited.number_of_edges())
    key = (version, as_of, flt, details, universe, focus, depth, route_scope, route, only_route)
    return state.memo("drawing", key, draw, keep=16)


@guarded
def page() -> None:
    """Filters in the sidebar; focus and highlight above the drawing."""
    store_caption()
    as_of = as_of_picker()
    st.title("Graph")
    version = state.version()
    cat = state.catalogue(version)
    if not cat.counts.get("organisations") and not cat.counts.get("activities"):
        st.info("The store holds no RoPA yet. Import a register or a graph file on the Import page.")
        return
    ev = state.evaluation(version, as_of)
    special = _special(version)
    flt = _filters(_filter_options(version), cat, special)
    if flt is None:
        st.info("No activity in the stored RoPA processes special-category (Art. 9) or criminal-offence (Art. 10) "
                "data. Switch off *Only activities with special data* in the sidebar to see the others.")
        return
    details = st.sidebar.toggle("Show data categories and subjects", value=False, key="f_details",
                                help="Off, they are listed in each activity's tooltip instead.")
    candidates = state.memo("candidates", (version, as_of, flt),
                            lambda: _candidates(cat, ev, flt), keep=16)
    cap = views.NODE_CAP
    small = len(candidates) <= cap

    c1, c2, c3 = st.columns([3, 2, 4])
    if small:
        shown_nodes = _shown(state.network(version, as_of, candidates), flt, details)
        names = {n: _node_name(shown_nodes, n, d, special) for n, d in shown_nodes.nodes(data=True)}
    else:  # the focus is found by name in the store
        text = c1.text_input("Find a node to focus on", key="g_focus_q", placeholder="a few letters of a name")
        names = dict(browse.search(cat, text))
        if st.session_state.get("g_focus"):
            names.setdefault(st.session_state["g_focus"], st.session_state["g_focus"].split(":", 1)[1])
    if st.session_state.get("g_focus") not in (None, *names):
        st.session_state["g_focus"] = None  # filtered away
    focus = c1.selectbox("Focus on", sorted(names, key=lambda n: names[n].casefold()),
                         **({} if "g_focus" in st.session_state else {"index": None}),
                         format_func=names.get, key="g_focus", placeholder="the whole graph",
                         help="Show only what lies within a few hops of one node.")
    flow = c2.toggle("Data flow", value=True, key="g_flow", disabled=focus is None,
                     help="On: what the data flows through the focused node reach, in their direction "
                          "(downstream of an activity, upstream of a recipient). "
                          "Off: every node within a few hops, either direction. Both are drawn left to right.")
    depth = c2.slider("Depth", 1, 3, 2, key="g_depth", disabled=focus is None or flow)
    universe: tuple[str, ...] | None = tuple(candidates)
    if focus and not small:
        universe = tuple(sorted(set(browse.touching(cat, focus)) & set(candidates)))
    if len(universe) > cap:
        universe = None

    # Findings to highlight: those on what is shown, and the one the Transfers page sent.
    routed = []
    if universe is not None:
        routed = state.memo("routed", (version, as_of, universe), lambda: [
            f for f in browse.findings_about(cat, ev, universe)
            if f.get("activity") or len(f.get("path") or []) >= 2][:HIGHLIGHT_CAP], keep=16)
    wanted = st.session_state.pop("graph_highlight", None)
    if wanted is not None:
        st.session_state["g_wanted"] = tuple(wanted)
    sent = st.session_state.get("g_wanted")
    if sent is not None and not any(overlay.finding_identity(f) == sent for f in routed):
        routed = [f for f in ev.findings if overlay.finding_identity(f) == sent][:1] + list(routed)
    if wanted is not None:
        for i, f in enumerate(routed):
            if overlay.finding_identity(f) == tuple(wanted):
                st.session_state["g_highlight"] = i
    if st.session_state.get("g_highlight") is not None and st.session_state["g_highlight"] >= len(routed):
        st.session_state["g_highlight"] = None  # the findings changed (another date, an import)
    pick = c3.selectbox("Highlight a finding's route", list(range(len(routed))), key="g_highlight",
                        **({} if "g_highlight" in st.session_state else {"index": None}),
                        format_func=lambda i: overlay.finding_label(routed[i]), placeholder="none",
                        help="Draws the path of the finding (controller → activity → recipients → country) "
                             "in bold. Onward-transfer findings show the whole sub-processor chain.")
    finding = routed[pick] if pick is not None and pick < len(routed) else None
    route_scope: tuple = ((), ())
    route: tuple[str, ...] = ()
    if finding:
        acts, orgs = browse.finding_scope(cat, finding)
        route_scope = (tuple(acts), tuple(orgs))
        route = tuple(routes.finding_route(state.network(version, as_of, acts, orgs), finding))
        if len(route) < 2:
            route = ()
    only_route = bool(route) and st.toggle("Show only this route", value=universe is None, key="g_only_route",
                                           disabled=universe is None)

    if universe is None and focus and not route:
        _around(version, as_of, cat, focus, None if flow else depth, details, len(browse.touching(cat, focus)))
        return
    if universe is None:
        n = len(candidates) if not focus else len(browse.touching(cat, focus))
        st.warning(plain(f"{n} processing activities match{' around this node' if focus else ''}: more than the "
                         f"{cap} nodes drawn at once. Narrow the filter (a controller, a country, a minimum "
                         "severity) or focus on a less connected node."
                         + (" Showing the highlighted finding's route only." if route else "")))
        if not route:
            return
    page_html, note, n, m = _drawing(version, as_of, flt, details, universe, focus, None if flow else depth,
                                     route_scope, route, only_route)
    if note:
        (st.warning if page_html is None else st.info)(plain(note))
    if page_html is None:
        return
    if n == 0:
        st.info("Nothing matches these filters. Clear a filter in the sidebar to see more.")
        return
    st.caption(f"{n} nodes, {m} relationships. Drag to move, scroll to zoom, hover for details.")
    graph_frame(page_html, HEIGHT)
    if focus and focus.startswith("Activity:"):
        _flows(version, as_of, cat, ev, focus.split(":", 1)[1])
    if finding:
        st.subheader("The highlighted finding")
        st.markdown(f"**{plain(finding['title'] or finding['rule'])}** ({plain(finding['severity'])}): "
                    f"{plain(finding['reason'])}")
        st.markdown(f"**Legal source:** {plain(finding['legal_source'] or 'see the rule file')}  \n"
                    f"**Remediation:** {plain(finding['remediation'])}")
        where = state.provenance(version).cite(finding.get("source"), finding.get("row"))  # as the Transfers page
        quote(finding.get("evidence") or "", where)


FLOW_COLUMNS = ["recipient", "sub-processor chain", "country", "mechanism", "verdict", "evidence", "language", "source"]


def _flows(version, as_of, cat, ev, act_id: str) -> None:
    """The focused activity's hops as a table under the drawing: who receives its data, through which chain, where,
    on which mechanism, the verdict (the register's, as the Transfers page) and the evidence with its cited source."""
    def build():
        hops = cat.hops[cat.hops["activity_id"] == act_id]
        prov = state.provenance(version)
        tr = ev.transfers
        judged: dict[tuple, tuple[str, str]] = {}
        if len(tr):
            mine = tr[tr["activity_id"] == act_id]
            for s, i, v, p in zip(mine["src_id"], mine["importer_id"], mine["verdict"], mine["path"]):
                judged.setdefault((s, i), (v, p))  # worst first
        pl = cat.places
        rows = []
        for src, exp, imp_id, imp, mech, text, source, at_row in zip(
                hops["src_id"], hops["exporter"], hops["importer_id"], hops["importer"], hops["mechanism"],
                hops["evidence"], hops["source"], hops["row"]):
            where = pl[pl["org"] == imp_id]
            proc = where[where["processing"].astype(bool)]
            names = sorted({str(n if n is not None else c) for c, n in zip((proc if len(proc) else where)["country"],
                                                                          (proc if len(proc) else where)["name"])})
            verdict, path = judged.get((src, imp_id), ("" if names else "country not recorded", ""))
            lang = quote_language(text) if text else "en"
            rows.append({"recipient": imp, "sub-processor chain": path or f"{exp} → {imp}",
                         "country": ", ".join(names), "mechanism": mech or "", "verdict": verdict or
                         "no restricted transfer", "evidence": text or "",
                         "language": "" if lang == "en" else f"{LANGUAGE_NAMES.get(lang, lang)} ({lang})",
                         "source": prov.cite(source, at_row)})
        return pd.DataFrame(rows, columns=FLOW_COLUMNS)
    table = state.memo("activity flows", (version, as_of, act_id), build, keep=8)
    if table.empty:
        return
    st.subheader("Where this activity's data flow")
    st.caption("Each recipient of the focused activity's data, with its chain, country, mechanism, verdict and "
               "the evidence quoted from its source.")
    st.table(table.set_index("recipient"))


def _around(version, as_of, cat, focus: str, depth: int | None, details: bool, touching: int) -> None:
    """A node too connected to draw with all its activities: its neighbourhood read from the store
    (:func:`ropa.browse.neighbourhood.neighbourhood`: nearest first up to the node cap, one edge per pair and type
    with a count), the findings indexed once per evaluation."""
    def index():
        acts = cat.activities
        fi = overlay.FindingIndex(state.findings(version, as_of), zip(acts["id"], acts["name"], acts["controller"]))
        fi.verdicts = state.evaluation(version, as_of).verdicts  # the register's, as every page shows them
        return fi

    def draw():
        fi = state.memo("finding index", (version, as_of), index, keep=2)
        with st.spinner("Reading the neighbourhood…"), state.reading() as store:
            g, note = neighbourhood(store, focus, depth or 1, fi, details=details, flow=depth is None)
        hops = sum(d.get("count", 1) for *_, d in g.edges(data=True))
        return network_html(g, height=HEIGHT, layout="flow"), note, g.number_of_nodes(), g.number_of_edges(), hops
    page_html, note, n, m, hops = state.memo("around", (version, as_of, focus, depth, details), draw, keep=16)
    st.info(plain(f"{touching} processing activities touch this node: more than the {views.NODE_CAP} nodes drawn "
                  "at once with their data flows. Shown: "
                  + ("what the data flows through it reach, in their direction" if depth is None
                     else f"everything within {depth} hop(s) of it") + ", read from the "
                  "store, relationships of one type between the same two nodes drawn as one edge with their "
                  "count; the sidebar filters do not apply here." + (" " + note if note else "")))
    st.caption(f"{n} nodes, {m} edges standing for {hops:,} relationships. Drag to move, scroll to zoom, "
               "hover an edge for its activities and findings.")
    graph_frame(page_html, HEIGHT)


def _candidates(cat, ev, flt) -> list[str]:
    with state.reading() as store:
        return browse.candidate_activities(store, cat, ev, flt)
