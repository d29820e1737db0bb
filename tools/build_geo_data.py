"""Build data/geo/ once from the npm package world-atlas and pycountry (neither is needed at run time).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip install pycountry==26.2.16   # in a scratch venv
    python tools/build_geo_data.py package/

Writes data/geo/countries-110m.json (copied unchanged), data/geo/iso_numeric.csv
(ISO 3166-1 numeric -> alpha-2 for every country) and data/geo/small_countries.csv
(a point for each country too small for the 1:110m geometry, taken from the 1:50m file).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pycountry
from importlib.metadata import version

OUT = Path(__file__).resolve().parent.parent / "data" / "geo"
REVIEWED = dt.date.today().isoformat()
ISO_SOURCE = f"ISO 3166-1 via pycountry {version('pycountry')}"
NE_SOURCE = "Natural Earth 4.1.0 admin 0, 1:50m, via npm world-atlas 2.0.2"


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
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


def ring(arcs, indices):
    pts = []
    for i in indices:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def area(pts):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]))) / 2


def centroid(pts):
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return cx / (3 * a), cy / (3 * a)


def main(package: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package / "countries-110m.json", OUT / "countries-110m.json")
    with open(OUT / "iso_numeric.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["numeric", "alpha2", "name", "source", "reviewed"])
        for c in sorted(pycountry.countries, key=lambda c: c.numeric):
            w.writerow([c.numeric, c.alpha_2, c.name, ISO_SOURCE, REVIEWED])
    small = json.loads((package / "countries-110m.json").read_text())
    drawn = {g.get("id") for g in small["objects"]["countries"]["geometries"]}
    topo = json.loads((package / "countries-50m.json").read_text())
    arcs = decode_arcs(topo)
    rows = []
    for g in topo["objects"]["countries"]["geometries"]:
        if not g.get("id") or g["id"] in drawn:
            continue
        country = pycountry.countries.get(numeric=g["id"])
        if country is None:
            continue
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        outer = max((ring(arcs, p[0]) for p in polys), key=area)
        lon, lat = centroid(outer)
        rows.append([country.alpha_2, f"{lon:.2f}", f"{lat:.2f}", country.name, NE_SOURCE, REVIEWED])
    with open(OUT / "small_countries.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["alpha2", "lon", "lat", "name", "source", "reviewed"])
        w.writerows(sorted(rows))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
