"""The legal reference data (data/reference/) as graph nodes rules can join on."""
from __future__ import annotations

from functools import lru_cache

from . import reference
from .model import RopaGraph
from .schema import NODE_TYPES


@lru_cache(maxsize=1)
def _reference_graph() -> RopaGraph:
    countries = reference.load_countries()
    country_rows = [{"id": r["code"], "name": r["name"], "eea": bool(r["eea"]), "resolved": True}
                    for r in countries.to_dict("records")]
    adequacy = reference.load_adequacy()
    ad_cols = NODE_TYPES["Adequacy"].columns
    ad_rows = [{c: r.get(c) for c in ad_cols} for r in adequacy.to_dict("records")]
    covers = [{"src": r["id"], "dst": r["country"], "src_label": "Adequacy", "dst_label": "Country"}
              for r in ad_rows]
    mech_cols = NODE_TYPES["Mechanism"].columns
    mech_rows = [{c: r.get(c) for c in mech_cols} for r in reference.load_mechanisms().to_dict("records")]
    return RopaGraph.from_records(
        {"Country": country_rows, "Adequacy": ad_rows, "Mechanism": mech_rows}, {"COVERS": covers})


def reference_graph() -> RopaGraph:
    """Countries, adequacy decisions (with COVERS) and mechanisms, as a RopaGraph."""
    g = _reference_graph()
    return RopaGraph({k: v.copy() for k, v in g.nodes.items()}, {k: v.copy() for k, v in g.rels.items()})
