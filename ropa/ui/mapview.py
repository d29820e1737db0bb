"""The Overview's maps as a Streamlit component: hover a country for its transfers, click it to choose it.

The SVG comes from ``ropa.worldmap.world_svg`` (every text escaped). It was shown in a sandboxed iframe,
which could not tell the page that a country was clicked; this component (Streamlit's custom components
v2: inline HTML, CSS and JavaScript served by Streamlit itself, nothing fetched from elsewhere) mounts the
same SVG in a shadow root and sends the clicked country's ISO code back as a one-run trigger.

Defence in depth for the lost iframe sandbox: the browser parses the SVG as XML into a detached document
and only a fixed set of drawing elements and attributes is copied into the page, so nothing that runs
(scripts, event handlers, links, foreign HTML) can come through even if a text escaped ``world_svg``.
"""
from __future__ import annotations

import streamlit as st

HEIGHT = 340
CLICKED = "map_country_clicked"  # session key: the country a map click chose, for the picker below the map

_CSS = """
:host { display: block; }
.ropa-map { height: %dpx; }
.ropa-map svg { width: 100%%; height: 100%%; max-width: none; }
.ropa-map [data-iso] { cursor: pointer; }
.ropa-map path:hover, .ropa-map circle:hover { stroke: #111; stroke-width: 1.2; }
""" % HEIGHT

# Elements and attributes world_svg draws with; anything else is left out.
_JS = """
const ELEMENTS = new Set(["svg", "g", "path", "circle", "rect", "line", "polyline", "polygon", "text", "tspan",
                          "title", "desc"]);
const ATTRIBUTES = new Set(["d", "fill", "stroke", "stroke-width", "stroke-dasharray", "stroke-linejoin",
                            "fill-opacity", "opacity", "cx", "cy", "r", "x", "y", "x1", "y1", "x2", "y2", "width",
                            "height", "viewBox", "transform", "points", "font-size", "font-family",
                            "font-weight", "text-anchor", "dominant-baseline", "data-iso", "role",
                            "aria-label", "preserveAspectRatio", "vector-effect", "class"]);

function copy(node, into) {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.appendChild(document.createTextNode(child.nodeValue));
    } else if (child.nodeType === Node.ELEMENT_NODE && ELEMENTS.has(child.localName)) {
      const el = document.createElementNS("http://www.w3.org/2000/svg", child.localName);
      for (const a of child.attributes) {
        if (ATTRIBUTES.has(a.name)) el.setAttribute(a.name, a.value);
      }
      copy(child, el);
      into.appendChild(el);
    }
  }
}

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement.querySelector(".ropa-map") || (() => {
    const div = document.createElement("div");
    div.className = "ropa-map";
    parentElement.appendChild(div);
    return div;
  })();
  if (root.dataset.drawn !== data.digest) {
    root.replaceChildren();
    root.id = data.id;
    const parsed = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
    if (parsed.localName === "svg") copy({ childNodes: [parsed] }, root);
    root.dataset.drawn = data.digest;
  }
  root.onclick = (event) => {
    const target = event.target.closest("[data-iso]");
    if (target) setTriggerValue("country", target.getAttribute("data-iso"));
  };
}
"""

_component = st.components.v2.component("ropa_worldmap", css=_CSS, js=_JS, isolate_styles=True)


def _clicked(key: str) -> None:
    """A country was clicked on the map ``key``: hand its code to the country picker under the map."""
    result = st.session_state.get(key)  # the component's values, a mapping: {"country": code} after a click
    try:
        code = result["country"]
    except (KeyError, TypeError):
        code = None
    if code:
        st.session_state[CLICKED] = code


def world_map(svg: str, element_id: str, key: str) -> None:
    """Mount one map (``element_id`` names its container: worldmap or europemap)."""
    import hashlib
    digest = hashlib.blake2b(svg.encode("utf-8"), digest_size=8).hexdigest()
    _component(data={"svg": svg, "id": element_id, "digest": digest}, key=key, height=HEIGHT,
               on_country_change=lambda: _clicked(key))
