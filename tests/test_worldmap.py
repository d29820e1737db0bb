"""The offline SVG world map: data consistency, colouring, escaping, geometry sanity."""
from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET

import pytest

from ropa import reference
from ropa.worldmap import GEO_DIR, country_names, drawable_codes, world_svg

SVG = "{http://www.w3.org/2000/svg}"


def shapes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {el.get("data-iso"): el for el in root.iter() if el.get("data-iso")}


@pytest.mark.parametrize("name", ["iso_numeric.csv", "small_countries.csv"])
def test_geo_tables_carry_source_and_review_date(name):
    with open(GEO_DIR / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["source"] and re.fullmatch(r"\d{4}-\d\d-\d\d", r["reviewed"]) for r in rows)


def test_map_codes_are_the_reference_country_codes():
    iso = set(reference.load_countries()["code"])
    assert set(country_names()) <= iso
    assert drawable_codes() <= iso


def test_every_eea_and_adequate_country_can_be_drawn():
    countries = reference.load_countries()
    # Natural Earth draws the French overseas departments as part of France.
    eea = set(countries.loc[countries["eea"], "code"]) - {"EEA", "GF", "GP", "MQ", "RE", "YT"}
    adequate = set(reference.load_adequacy()["country"]) - {"IO:EPO"}
    assert eea | adequate <= drawable_codes(), sorted((eea | adequate) - drawable_codes())


def test_fill_colours_the_named_countries_only():
    svg = world_svg({"US": "#c62828", "de": "green"})
    s = shapes(svg)
    assert s["US"].get("fill") == "#c62828" and s["DE"].get("fill") == "green"
    assert s["FR"].get("fill") not in ("#c62828", "green")


def test_small_countries_become_dots_only_when_coloured():
    assert "SG" not in shapes(world_svg({}))
    dot = shapes(world_svg({"SG": "#f9a825"}))["SG"]
    assert dot.tag == SVG + "circle" and dot.get("fill") == "#f9a825"


def test_codes_the_map_cannot_draw_are_ignored():
    assert world_svg({"EEA": "red", "?:Atlantis": "red"}) == world_svg({})


@pytest.mark.parametrize("text", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "A & B"])
def test_labels_and_legend_are_escaped(text):
    svg = world_svg({"FR": "red"}, {"FR": text}, legend=[("red", text)], title=text)
    root = ET.fromstring(svg)  # still well-formed XML
    titles = [t.text for t in root.iter(SVG + "title")]
    assert text in titles
    assert not any(el.tag.endswith(("script", "img")) for el in root.iter())


@pytest.mark.parametrize("colour", ["red;stroke:url(http://x)", "url(#a)", '"/><script>', "expression(alert(1))"])
def test_colours_must_be_css_colours(colour):
    with pytest.raises(ValueError, match="not a CSS colour"):
        world_svg({"FR": colour})


def test_no_external_reference():
    svg = world_svg({"US": "red"}, legend=[("red", "x")])
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "href" not in svg


@pytest.mark.parametrize("width", [320, 960])
def test_no_ring_streaks_across_the_map(width):
    """Rings crossing longitude 180 (Russia, Fiji, the Aleutians) are cut, not drawn across."""
    svg = world_svg({}, width=width)
    for d in re.findall(r' d="([^"]+)"', svg):
        for ring in d.split("Z"):
            xs = [float(x) for x, _ in re.findall(r"([\d.]+) ([\d.]+)", ring)]
            assert all(abs(a - b) < width / 2 for a, b in zip(xs, xs[1:]))


def test_russia_is_drawn_on_both_sides_of_the_antimeridian_and_height_follows_width():
    svg = world_svg({}, width=960)
    xs = [float(x) for x in re.findall(r"([\d.]+) [\d.]+", shapes(svg)["RU"].get("d"))]
    assert min(xs) < 960 * 0.2 and max(xs) > 960 * 0.85  # Chukotka far west, Kamchatka far east
    h = int(ET.fromstring(svg).get("height"))
    h2 = int(ET.fromstring(world_svg({}, width=480)).get("height"))
    assert abs(h2 * 2 - h) <= 0.02 * h


def test_width_below_minimum_is_refused():
    with pytest.raises(ValueError):
        world_svg({}, width=50)


def _points(svg: str, code: str) -> list[tuple[float, float]]:
    d = re.search(rf'<path d="([^"]+)" fill="[^"]+" data-iso="{code}"', svg).group(1)
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", d)]


def test_the_europe_inset_frames_the_eea_and_leaves_the_rest_out():
    from ropa.reference import load_countries
    from ropa.worldmap import EUROPE
    svg = world_svg({"NL": "#9cc3e6"}, width=500, focus=EUROPE)
    x, y, w, h = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    inside = lambda p: x <= p[0] <= x + w and y <= p[1] <= y + h  # noqa: E731
    countries = load_countries()
    eea = [c for c, e in zip(countries["code"], countries["eea"]) if e is True or str(e).lower() in ("true", "1")]
    assert len(eea) >= 30
    drawn = [c for c in eea if re.search(rf'<path d="[^"]+" fill="[^"]+" data-iso="{c}"', svg)]
    assert len(drawn) >= 25  # the rest are dots (Malta, Liechtenstein, ...) drawn only when coloured
    for code in drawn:
        pts = _points(svg, code)
        cx, cy = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        assert inside((cx, cy)), code
    assert 'data-iso="US"' not in svg and 'data-iso="CN"' not in svg  # outside the view: not sent
    assert 'width="500"' in svg and w < 500 / 3  # zoomed in more than threefold
