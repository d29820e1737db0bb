"""A world map as a self-contained SVG string: no chart library, no tiles, no network.

``world_svg(fill, labels)`` draws the Natural Earth 1:110m countries (public
domain; shipped as ``data/geo/countries-110m.json``, the TopoJSON of the npm
package world-atlas 2.0.2) in the Natural Earth I projection and colours the
countries named by ISO 3166-1 alpha-2 code. Countries too small for that scale
(Singapore, Malta, Hong Kong, ...) are drawn as dots when they are coloured,
from ``data/geo/small_countries.csv``. TopoJSON ids are ISO numeric codes,
mapped to alpha-2 by ``data/geo/iso_numeric.csv``. ``tools/build_geo_data.py``
wrote those files once; nothing here needs more than the standard library.

Every text that reaches the SVG is escaped, and colours must look like CSS
colours, so the output is safe to inline in HTML (Streamlit, HTML and PDF
reports). Antarctica is left out: nothing is transferred there, and it would
take a fifth of the height.
"""
from __future__ import annotations

import csv
import html
import json
import math
import re
from functools import lru_cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
LAND = "#e3e7ec"          # a country with no colour of its own
BORDER = "#ffffff"
LEFT_OUT = {"AQ"}          # see the module docstring
CSS_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\))$")

__all__ = ["world_svg", "drawable_codes", "country_names", "EUROPE"]
EUROPE = (-25.0, 33.5, 36.0, 71.5)  # lon/lat box around the EEA: Iceland to Cyprus, Crete to the North Cape


def _project(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth I projection (Šavrič et al. 2011), radians in, unit plane out (y up)."""
    lam, phi = math.radians(lon), math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)))
    return x, y


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(GEO_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs: quantized, delta-encoded positions -> (lon, lat) points."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _cut_antimeridian(ring: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Split a ring that crosses longitude 180 into one ring per side (Russia, Fiji, Alaska).

    The TopoJSON is spherical: a ring may step from 179.9 to -179.9. Drawn on a
    plane that step would streak across the map, so the ring is cut where it
    crosses and the pieces on each side are joined along the meridian.
    """
    pieces = [[ring[0]]]
    for (lon0, lat0), (lon1, lat1) in zip(ring, ring[1:]):
        if abs(lon1 - lon0) > 180:
            side = 180.0 if lon0 > 0 else -180.0
            unwrapped = lon1 + 360 if lon0 > 0 else lon1 - 360
            t = (side - lon0) / (unwrapped - lon0) if unwrapped != lon0 else 0.0
            lat = lat0 + t * (lat1 - lat0)
            pieces[-1].append((side, lat))
            pieces.append([(-side, lat)])
        pieces[-1].append((lon1, lat1))
    if len(pieces) == 1:
        return [ring]
    pieces[0] = pieces.pop() + pieces[0]   # the ring closes: its last piece continues its first
    east = [p for piece in pieces if sum(x for x, _ in piece) > 0 for p in piece]
    west = [p for piece in pieces if sum(x for x, _ in piece) <= 0 for p in piece]
    return [r for r in (east, west) if len(r) >= 3]


def _ring(arcs, indices: list[int]) -> list[tuple[float, float]]:
    """Join a ring's arcs (a negative index ~i is arc i reversed); shared end points once."""
    pts: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return pts


@lru_cache(maxsize=1)
def _geometry():
    """(shapes, points, bounds): shapes = [(code, name, rings)], points = {code: (name, x, y)}."""
    numeric = {r["numeric"]: r["alpha2"] for r in _read_csv("iso_numeric.csv")}
    topo = json.loads((GEO_DIR / "countries-110m.json").read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    shapes = []
    for g in topo["objects"]["countries"]["geometries"]:
        code = numeric.get(str(g.get("id") or ""), "")
        if code in LEFT_OUT or g["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        rings = [[_project(lon, lat) for lon, lat in piece]
                 for polygon in polygons for r in polygon for piece in _cut_antimeridian(_ring(arcs, r))]
        shapes.append((code, g.get("properties", {}).get("name", code), rings))
    drawn = {code for code, _, _ in shapes}
    points = {}
    for r in _read_csv("small_countries.csv"):
        if r["alpha2"] not in drawn:
            points[r["alpha2"]] = (r["name"], *_project(float(r["lon"]), float(r["lat"])))
    xs = [x for _, _, rings in shapes for ring in rings for x, _ in ring]
    ys = [y for _, _, rings in shapes for ring in rings for _, y in ring]
    return shapes, points, (min(xs), min(ys), max(xs), max(ys))


@lru_cache(maxsize=8)
def _paths(width: int):
    """Per shape the SVG path data at ``width`` pixels, plus the pixel transform."""
    shapes, points, (x0, y0, x1, y1) = _geometry()
    pad = 4
    k = (width - 2 * pad) / (x1 - x0)
    height = round((y1 - y0) * k + 2 * pad)

    def px(x: float, y: float) -> tuple[float, float]:
        return round(pad + (x - x0) * k, 1), round(pad + (y1 - y) * k, 1)

    out = []
    for code, name, rings in shapes:
        parts = []
        box = [math.inf, math.inf, -math.inf, -math.inf]
        for ring in rings:
            pts = []
            for x, y in ring:
                p = px(x, y)
                if not pts or p != pts[-1]:
                    pts.append(p)
            if len(pts) >= 3:
                parts.append("M" + "L".join(f"{a:g} {b:g}" for a, b in pts) + "Z")
                box = [min(box[0], *(a for a, _ in pts)), min(box[1], *(b for _, b in pts)),
                       max(box[2], *(a for a, _ in pts)), max(box[3], *(b for _, b in pts))]
        if parts:
            out.append((code, name, "".join(parts), tuple(box)))
    dots = {code: (name, *px(x, y)) for code, (name, x, y) in points.items()}
    return out, dots, height


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO alpha-2 code -> English short name, for every code in the ISO table.

    >>> country_names()["NL"]
    'Netherlands'
    """
    return {r["alpha2"]: r["name"] for r in _read_csv("iso_numeric.csv")}


def drawable_codes() -> frozenset[str]:
    """The alpha-2 codes the map can show, as a country shape or as a dot.

    >>> {"US", "SG", "MT"} <= drawable_codes(), "EEA" in drawable_codes()
    (True, False)
    """
    shapes, points, _ = _geometry()
    return frozenset({c for c, _, _ in shapes if c} | set(points))


def _colour(value: str) -> str:
    value = str(value).strip()
    if not CSS_COLOUR.match(value):
        raise ValueError(f"not a CSS colour: {value!r}")
    return value


def _view_box(width: int, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The pixel rectangle (x, y, w, h) of the map at ``width`` that holds a lon/lat box."""
    _, _, (x0, y0, x1, y1) = _geometry()
    pad = 4
    k = (width - 2 * pad) / (x1 - x0)
    lon0, lat0, lon1, lat1 = box
    pts = [_project(lon, lat) for lon in (lon0, lon1) for lat in (lat0, (lat0 + lat1) / 2, lat1)]
    xs = [pad + (x - x0) * k for x, _ in pts]
    ys = [pad + (y1 - y) * k for _, y in pts]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def world_svg(fill: dict[str, str], labels: dict[str, str] | None = None, width: int = 960, *,
              legend: list[tuple[str, str]] | None = None, title: str = "World map",
              focus: tuple[float, float, float, float] | None = None) -> str:
    """An SVG world map with countries coloured by ISO alpha-2 code.

    Parameters
    ----------
    fill : ``{"US": "#c62828", ...}``: CSS colours by ISO 3166-1 alpha-2 code.
        Codes the map cannot draw (``EEA``, ``?:Atlantis``, ...) are ignored;
        :func:`drawable_codes` says which can be drawn. Other countries are light grey.
    labels : tooltip text by code (an SVG ``<title>``); default the country name.
    width : width in pixels; the height follows from the projection.
    legend : optional ``[(colour, text), ...]`` drawn in the lower left corner (not with ``focus``).
    title : the accessible name of the image.
    focus : a (lon0, lat0, lon1, lat1) box to zoom into, e.g. :data:`EUROPE` for an inset where the
        EEA's countries are big enough to read and hover; the SVG is ``width`` wide.

    Returns
    -------
    str: a standalone ``<svg>`` element; every text escaped.

    Raises
    ------
    ValueError: a colour that is not a CSS colour, or a width under 100.

    Examples
    --------
    >>> svg = world_svg({"US": "#c62828", "SG": "orange"}, {"US": "United States: 3 high"})
    >>> svg.startswith("<svg") and 'data-iso="US"' in svg and "<title>United States: 3 high</title>" in svg
    True
    >>> "<script>" in world_svg({}, {"FR": "<script>"})
    False
    """
    if width < 100:
        raise ValueError(f"width must be at least 100 pixels, not {width}")
    fill = {str(k).upper(): _colour(v) for k, v in (fill or {}).items()}
    labels = {str(k).upper(): str(v) for k, v in (labels or {}).items()}
    paths, dots, height = _paths(int(width))
    esc = html.escape
    box, zoom, shown_height = f"0 0 {width} {height}", 1.0, height
    if focus is not None:
        vx, vy, vw, vh = _view_box(int(width), focus)
        box, zoom, shown_height = f"{vx:.1f} {vy:.1f} {vw:.1f} {vh:.1f}", width / vw, round(width * vh / vw)
        legend = None
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{box}" width="{width}" '
           f'height="{shown_height}" role="img" aria-label="{esc(title)}" style="max-width:100%;height:auto">',
           f"<title>{esc(title)}</title>",
           f'<g stroke="{BORDER}" stroke-width="{0.5 / zoom:.3g}" stroke-linejoin="round" fill-rule="evenodd">']
    for code, name, d, (bx0, by0, bx1, by1) in paths:
        if focus is not None and (bx1 < vx or bx0 > vx + vw or by1 < vy or by0 > vy + vh):
            continue  # wholly outside the zoomed-in view: not sent at all
        tip = labels.get(code) or name
        attrs = f' data-iso="{esc(code)}"' if code else ""
        out.append(f'<path d="{d}" fill="{fill.get(code, LAND)}"{attrs}><title>{esc(tip)}</title></path>')
    out.append("</g>")
    r = max(2.5, width / 280) / zoom ** 0.5
    for code, (name, x, y) in sorted(dots.items()):
        if code in fill:
            tip = labels.get(code) or name
            out.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="{fill[code]}" stroke="#333" '
                       f'stroke-width="{0.6 / zoom:.3g}" data-iso="{esc(code)}"><title>{esc(tip)}</title></circle>')
    if legend:
        size = max(9, round(width / 80))
        y = height - 8 - (len(legend) - 1) * (size + 6)
        for colour, text in legend:
            out.append(f'<rect x="10" y="{y - size + 2}" width="{size}" height="{size}" rx="2" '
                       f'fill="{_colour(colour)}" stroke="#555" stroke-width="0.4"/>'
                       f'<text x="{16 + size}" y="{y}" font-family="sans-serif" font-size="{size}" '
                       f'fill="#333">{esc(str(text))}</text>')
            y += size + 6
    out.append("</svg>")
    return "".join(out)
