"""Drawing a network with pyvis: the only module that imports pyvis.

:func:`network_html` turns a graph from :mod:`ropa.views` into one
self-contained HTML page: vis-network's JavaScript and CSS are inlined from the
pyvis package, and the page is rendered from our own template, not pyvis's
(pyvis 0.3.2 links Bootstrap from a CDN even with ``cdn_resources="in_line"``,
and switches to an HTML pop-up, ``innerHTML``, when a tooltip contains "href").
So nothing leaves the machine and no stored value is ever parsed as HTML: node
and edge data reach the page only as JSON (``tojson`` escapes ``<``, ``>``,
``&`` and quotes), and vis-network 9 shows string tooltips as text.

Nodes are shaped and coloured by type, hop edges coloured (and dashed) by
verdict; a route marked by :func:`ropa.routes.route_subgraph` is drawn bold
with everything else faded.
"""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader
from pyvis.network import Network

from .palette import SEVERITY_COLOURS, VERDICT_COLOURS, VERDICT_LABELS, VERDICTS
from .schema import HOP_TYPES
from .views import COLUMN, collapse, flow_levels, flow_positions

PYVIS_TEMPLATES = Path(__import__("pyvis").__file__).resolve().parent / "templates"

# (legend text, vis shape, background, border, size). Labels sit outside the shapes, so a node's
# size does not grow with its name and a whole RoPA fits the frame at a zoom where names are legible.
NODE_STYLES: dict[str, tuple[str, str, str, str, int]] = {
    "Controller": ("Controller", "star", "#1f3a5f", "#0f1f33", 26),
    "Organisation": ("Recipient (processor, sub-processor, third party)", "dot", "#dbe8f5", "#4a6f96", 13),
    "Activity": ("Processing activity", "diamond", "#b39ddb", "#5e35b1", 12),
    "DataCategory": ("Data category", "triangleDown", "#4db6ac", "#00796b", 8),
    "SpecialCategory": ("Special category (Art. 9/10)", "triangleDown", "#d81b60", "#880e4f", 9),
    "DataSubject": ("Data subject", "triangle", "#bcaaa4", "#5d4037", 9),
    "CountryEEA": ("Country in the EEA", "square", "#9cc3e6", "#3f6f9c", 16),
    "CountryAbroad": ("Country outside the EEA", "hexagon", "#ffffff", "#263238", 22),
}
LINK_STYLES: dict[str, tuple[str, bool, float]] = {   # type: (colour, dashed, width)
    "CONTROLS": ("#1f3a5f", False, 2.0),
    "PROCESSES": ("#b0bec5", False, 1.0),
    "CONCERNS": ("#b0bec5", False, 1.0),
    "ESTABLISHED_IN": ("#90a4ae", True, 1.0),
    "PROCESSES_IN": ("#78909c", True, 1.5),
}
VERDICT_WIDTH = {"no_valid_basis": 4.0, "action_needed": 3.0, "cannot_judge": 3.0, "basis_recorded": 3.0,
                 "none": 1.5}
DASHED = {"action_needed", "cannot_judge"}  # told apart from red and green without colour
LABEL_MAX = 30
LABEL_WIDTH = COLUMN - 40  # a longer label wraps onto a second line, never into the next column
TIP_MAX = 160

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>/*vis-css*/</style>
<script>{% include 'lib/vis-9.1.2/vis-network.min.js' %}</script>
<style>
 html, body { margin: 0; padding: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #fff; }
 /* The canvas takes what the legend leaves, so the legend is never cut off by the frame. */
 html, body { height: 100%; }
 body { display: flex; flex-direction: column; }
 #mynetwork { width: 100%; flex: 1 1 auto; min-height: 120px; border: 1px solid #d5dbe1; border-radius: 6px;
              box-sizing: border-box; }
 .vis-tooltip { white-space: pre-wrap !important; max-width: 460px; font-family: system-ui, sans-serif !important;
                font-size: 12px !important; line-height: 1.35; }
 #frame { position: relative; flex: 1 1 auto; min-height: 120px; display: flex; }
 #fit { position: absolute; top: 6px; right: 6px; font: 12px system-ui, sans-serif; padding: 2px 10px;
        border: 1px solid #b7c0ca; border-radius: 4px; background: #fff; color: #1b2a3a; cursor: pointer; }
 #legend { flex: none; display: flex; flex-wrap: wrap; gap: 2px 14px; align-items: center; padding: 6px 4px 2px;
           font-size: 12px; color: #1b2a3a; }
 #legend svg { flex: none; }
 #legend i.route { border-top-width: 6px; box-shadow: 0 2px 4px rgba(0,0,0,.45); }
 #legend b { font-size: 11.5px; color: #445; }
 #legend div { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
 #legend i { display: inline-block; width: 12px; height: 12px; border: 1px solid #555; flex: none; }
 #legend i.line { height: 0; border: 0; border-top: 3px solid; width: 20px; }
 #legend i.dash { border-top-style: dashed; }
 #legend:empty { display: none; }
</style></head>
<body>
<div id="frame"><div id="mynetwork"></div><button id="fit" type="button" title="Fit the whole drawing into the frame">Fit</button></div>
<div id="legend"><!--legend--></div>
<script>
  var nodes = new vis.DataSet({{nodes|tojson}});
  var edges = new vis.DataSet({{edges|tojson}});
  var network = new vis.Network(document.getElementById("mynetwork"), {nodes: nodes, edges: edges}, {{options|safe}});
  function settle() {
    network.setOptions({physics: false});
    var route = nodes.getIds({filter: function (n) { return n.route === true; }});
    // A route inside a larger graph: zoom to it, the rest stays around it, faded.
    network.fit(route.length && route.length < nodes.length / 2 ? {nodes: route, maxZoomLevel: 1.0}
                                                                : {maxZoomLevel: 1.0});
    document.body.setAttribute("data-ready", "1");
  }
  {% if physics_enabled %}network.once("stabilizationIterationsDone", settle);{% else %}settle();{% endif %}
  document.getElementById("fit").addEventListener("click", function () { network.fit({animation: false}); });
  document.body.setAttribute("data-nodes", String(nodes.length));
</script>
</body></html>
"""


@lru_cache(maxsize=1)
def _vis_css() -> str:
    """The rules of vis-network's stylesheet that a drawing uses: its tooltip's. The rest (220 kB, most
    of it images of the navigation and editing buttons, which are off) is left out of every page."""
    css = (PYVIS_TEMPLATES / "lib" / "vis-9.1.2" / "vis-network.css").read_text(encoding="utf-8")
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    return "".join(f"{sel}{{{body}}}" for sel, body in rules if "vis-tooltip" in sel and "url(" not in body)


def _short(text: Any, n: int) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _font(d: dict) -> int:
    return 15 if d.get("controller") or d["label"] == "Country" else 13


def _row(d: dict) -> float:
    """The height a node takes in a column of a flow drawing: its shape, its label beneath (a second line
    when the name is wider than a column allows: about 0.6 em a character, on the safe side), a gap."""
    size = NODE_STYLES[_node_style(d)][4] + (4 if d.get("highlight") else 0)
    lines = 1 if len(_short(d["name"], LABEL_MAX)) * 0.6 * _font(d) <= LABEL_WIDTH else 2
    return 2 * size + lines * 1.3 * _font(d) + 6


def _node_style(d: dict) -> str:
    if d["label"] == "Organisation":
        return "Controller" if d.get("controller") else "Organisation"
    if d["label"] == "Country":
        return "CountryEEA" if d.get("eea") else "CountryAbroad"
    if d["label"] == "DataCategory" and d["props"].get("special"):
        return "SpecialCategory"
    return d["label"]


def _findings_lines(findings: list[dict], limit: int = 6) -> list[str]:
    lines = []
    for f in sorted(findings, key=lambda f: ("high", "medium", "low").index(f["severity"]))[:limit]:
        lines.append(f"• {f['severity'].upper()} {f.get('title') or f['rule']}: {_short(f.get('reason', ''), TIP_MAX)}")
    if len(findings) > limit:
        lines.append(f"… and {len(findings) - limit} more")
    return lines


def node_tooltip(d: dict) -> str:
    """A node's tooltip as plain text (vis-network shows it as text, never as HTML).

    >>> node_tooltip({"label": "Organisation", "name": "<b>Acme</b>", "props": {"id": "acme", "country": "US"}})
    'Organisation: <b>Acme</b>\\ncountry: US'
    """
    kind = {"DataCategory": "Data category", "DataSubject": "Data subject"}.get(d["label"], d["label"])
    lines = [f"{kind}: {d['name']}"]
    for k, v in d["props"].items():
        if k in ("id", "name") or v in (None, ""):
            continue
        lines.append(f"{k.replace('_', ' ')}: {_short(v, TIP_MAX)}")
    if d.get("special"):
        lines.append(f"special data: {_short(d['special'], TIP_MAX)}")
    if d.get("categories"):
        lines.append("data categories: " + _short(", ".join(d["categories"]), TIP_MAX * 2))
    if d.get("subjects"):
        lines.append("data subjects: " + _short(", ".join(d["subjects"]), TIP_MAX))
    if d.get("folded"):
        lines.append(f"processing activities (folded into the arrows): {d['folded']}")
    if d.get("findings"):
        lines.append(f"findings ({len(d['findings'])}):")
        lines += _findings_lines(d["findings"])
    return "\n".join(lines)


def _edge_tooltip(g: nx.MultiDiGraph, u: str, v: str, d: dict) -> str:
    """A drawn edge's tooltip: its type and ends, how many relationships it stands for, on hops the
    verdict, the first activities (worst first, mechanism as written, row) and the findings."""
    n = d.get("count", 1)
    lines = [f"{d['type']}: {g.nodes[u]['name']} → {g.nodes[v]['name']}"]
    if d["type"] in HOP_TYPES:
        if n > 1:
            lines[0] += f" ({n:,} activities)"
        lines.append(f"verdict: {VERDICT_LABELS[d.get('verdict') or 'none']}")
        for h in d.get("hops", []):
            lines.append(f"• {h['name']}: {_short(h['mechanism'], 80)}" + (f" (row {h['row']})" if h.get("row") else ""))
        if n > len(d.get("hops", [])):
            lines.append(f"… and {n - len(d.get('hops', [])):,} more activities")
        if d.get("findings"):
            lines.append(f"findings ({len(d['findings']):,}):")
            lines += _findings_lines(d["findings"])
    elif n > 1:
        lines[0] += f" (×{n:,})"
    return "\n".join(lines)


def _mark(shape: str, bg: str, border: str, ring: str | None = None) -> str:
    """A small inline SVG of a vis-network node shape, as the legend shows it (the same shape as drawn)."""
    points = {
        "diamond": "7,1 13,7 7,13 1,7",
        "triangle": "7,1.5 13,12.5 1,12.5",
        "triangleDown": "1,1.5 13,1.5 7,12.5",
        "square": "2,2 12,2 12,12 2,12",
        "hexagon": "7,1 12.2,4 12.2,10 7,13 1.8,10 1.8,4",
        "star": "7,0.8 8.8,5.2 13.4,5.4 9.8,8.3 11,12.8 7,10.3 3,12.8 4.2,8.3 0.6,5.4 5.2,5.2",
    }
    width = 2.2 if ring else 1.2
    stroke = f'fill="{bg}" stroke="{ring or border}" stroke-width="{width}"'
    body = (f'<circle cx="7" cy="7" r="5.5" {stroke}/>' if shape == "dot"
            else f'<polygon points="{points[shape]}" {stroke}/>')
    return f'<svg width="14" height="14" viewBox="0 0 14 14" data-shape="{shape}" aria-hidden="true">{body}</svg>'


def legend_html(g: nx.MultiDiGraph) -> str:
    """The legend of the node types and verdicts present in ``g`` (escaped HTML): each mark is drawn
    in the shape and colours the canvas uses."""
    esc = html.escape
    styles = {_node_style(d) for _, d in g.nodes(data=True)}
    parts = ["<b>Nodes:</b>"]
    for key, (text, shape, bg, border, _) in NODE_STYLES.items():
        if key in styles:
            parts.append(f"<div>{_mark(shape, bg, border)}{esc(text)}</div>")
    hops = [d for *_, d in g.edges(data=True) if d["type"] in HOP_TYPES]
    verdicts = {d.get("verdict") or "none" for d in hops}
    if verdicts:
        parts.append("<b>Data flows:</b>")
        for v in VERDICTS:
            if v in verdicts:
                dash = " dash" if v in DASHED else ""
                parts.append(f'<div><i class="line{dash}" style="border-top-color:{VERDICT_COLOURS[v]}"></i>'
                             f"{esc(VERDICT_LABELS[v])}</div>")
    if any(d.get("highlight") for _, d in g.nodes(data=True)):
        on_route = [d.get("verdict") or "none" for d in hops if d.get("highlight")] or ["none"]
        worst = min(on_route, key=VERDICTS.index)
        parts.append(f'<div data-legend="route">{_mark("dot", NODE_STYLES["Organisation"][2], "", ring="#111111")}'
                     f'<i class="line route" style="border-top-color:{VERDICT_COLOURS[worst]}"></i>'
                     "the selected finding's route: nodes ringed in black, its flows thick and shadowed "
                     "(colour: their verdict); the rest faded</div>")
    return "".join(parts)


def _canonical(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The same graph with its nodes and edges in the order of their keys: a drawing (the places of the flow
    layout, the order vis-network gets) then depends on what the graph holds, not on the order it was read in
    (which follows Python's per-process ordering of sets of names)."""
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from(sorted(g.nodes(data=True), key=lambda nd: str(nd[0])))
    h.add_edges_from(sorted(g.edges(keys=True, data=True),
                            key=lambda e: (str(e[0]), str(e[1]), str(e[3].get("type", "")), str(e[2]))))
    return h


def network_html(g: nx.MultiDiGraph, height: int = 640, legend: bool = True, layout: str = "force") -> str:
    """One self-contained HTML page drawing ``g`` (no external resource).

    ``layout="flow"`` lays the data flow out left to right (controller, activity, recipient,
    sub-processor, country: :func:`ropa.views.flow_levels`), each node placed where no label overlaps
    another (:func:`ropa.views.flow_positions`); ``"force"``
    lets the nodes settle by physics (for a whole RoPA). Either way the drawing is fitted into the frame
    and a Fit button brings it back after zooming.

    Parallel edges of one type between the same two nodes (hops, one per activity)
    are drawn as one edge (:func:`ropa.views.collapse`) with the worst verdict; its
    tooltip says how many and lists the first activities, worst first.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", label="Organisation", name="</script><script>alert(1)</script>", props={})
    >>> page = network_html(g)
    >>> import re
    >>> "<script>alert(1)" in page, re.search(r"<(script|link|img)[^>]*(src|href)=", page)
    (False, None)
    """
    if layout not in ("force", "flow"):
        raise ValueError(f"layout is 'force' or 'flow', not {layout!r}")
    g = _canonical(collapse(g))
    levels = flow_levels(g) if layout == "flow" else {}
    pos = flow_positions(g, levels, {k: _row(d) for k, d in g.nodes(data=True)}) if levels else {}
    highlighted = any(d.get("highlight") for _, d in g.nodes(data=True))
    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="in_line")
    for key, d in g.nodes(data=True):
        _, shape, bg, border, size = NODE_STYLES[_node_style(d)]
        on_route = d.get("highlight", False)
        opts: dict[str, Any] = {
            "title": node_tooltip(d),
            "size": size + (4 if on_route else 0),
            "color": {"background": bg, "border": "#111111" if on_route else border,
                      "highlight": {"background": bg, "border": "#111111"}},
            "borderWidth": 4 if on_route else 1.5,
            "font": {"color": "#1b2a3a", "size": _font(d),
                     "face": "system-ui, sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff",
                     "bold": {"color": "#000000"}},
        }
        if d.get("severity") == "high" and d["label"] == "Organisation" and not on_route:
            opts["color"]["border"] = SEVERITY_COLOURS["high"]
            opts["borderWidth"] = 3
        if highlighted and not on_route:
            opts["opacity"] = 0.3
            opts["font"]["color"] = "#a7b0ba"
        if on_route:
            opts["route"] = True  # not a vis option: the page zooms to these nodes
        if pos:
            opts["x"], opts["y"] = pos[key]
            opts["widthConstraint"] = {"maximum": LABEL_WIDTH}
        net.add_node(key, label=_short(d["name"], LABEL_MAX), shape=shape, **opts)
    for u, v, d in g.edges(data=True):
        on_route = bool(d.get("highlight"))
        if d["type"] in HOP_TYPES:
            verdict = d.get("verdict") or "none"
            colour, dashed, width = VERDICT_COLOURS[verdict], verdict in DASHED, VERDICT_WIDTH[verdict]
        else:
            colour, dashed, width = LINK_STYLES.get(d["type"], ("#9aa5b1", False, 1.0))
        edge: dict[str, Any] = {"title": _edge_tooltip(g, u, v, d), "width": width + (4 if on_route else 0),
                                "dashes": dashed, "arrows": "to",
                                "color": {"color": colour, "highlight": colour, "opacity": 1.0}}
        if highlighted and not on_route:
            edge["color"]["opacity"] = 0.2
        if on_route:
            edge["shadow"] = {"enabled": True, "color": "rgba(0,0,0,.45)", "size": 8}
        net.add_edge(u, v, **edge)
    net.options = {
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -45, "centralGravity": 0.012, "springLength": 80,
                                         "springConstant": 0.06, "avoidOverlap": 0.3},
                    "stabilization": {"enabled": True, "iterations": 250, "fit": True}},
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "multiselect": False},
        "edges": {"smooth": {"enabled": True, "type": "continuous"}, "arrows": {"to": {"scaleFactor": 0.6}}},
        "nodes": {"scaling": {"label": {"drawThreshold": 3}}},
    }
    if pos:  # placed by flow_positions: nothing moves, nothing overlaps
        net.options["physics"] = {"enabled": False}
        net.options["edges"]["smooth"] = {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal",
                                          "roundness": 0.4}
    env = Environment(loader=ChoiceLoader([DictLoader({"ropa_graph.html": TEMPLATE}),
                                           FileSystemLoader(str(PYVIS_TEMPLATES))]), autoescape=False)
    net.templateEnv = env
    net.path = "ropa_graph.html"
    page = net.generate_html()
    # The legend is our own escaped HTML, put in after rendering so that no template
    # variable ever carries markup.
    page = page.replace("/*vis-css*/", _vis_css(), 1)
    return page.replace("<!--legend-->", legend_html(g) if legend else "", 1)
