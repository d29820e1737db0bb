"""What the explorer shows, read from the store piece by piece instead of exporting the whole RoPA.

Queries live in ``ropa/browse/queries/`` as ``.cypher`` files and run with parameters only
(:mod:`.cypher`). The modules:

* :mod:`.catalogue` - the catalogue (one row per hop, places, names, counts; once per store
  version) and an :class:`Evaluation` (the findings laid on it; once per evaluation date);
  :func:`page_of`, one page of a table.
* :mod:`.subnetwork` - the part of the RoPA around some activities and organisations, as a
  network to draw; the findings on it; where a finding's route or a transfer's hop lies.
* :mod:`.filters` - the graph page's filters, search and choices.
* :mod:`.neighbourhood` - the nodes within a few hops of one node, for a node too connected to draw
  with all its activities.
"""
from .catalogue import PAGE_SIZE, TRANSFER_COLUMNS, Catalogue, Evaluation, lay_findings, page_of, read_catalogue
from .cypher import QUERIES_DIR, query_text, run
from .filters import candidate_activities, detail_options, search, touching
from .subnetwork import finding_scope, findings_about, hop_edge, network, subnetwork

__all__ = [
    "PAGE_SIZE", "TRANSFER_COLUMNS", "Catalogue", "Evaluation", "lay_findings", "page_of", "read_catalogue",
    "QUERIES_DIR", "query_text", "run", "candidate_activities", "detail_options", "search", "touching",
    "finding_scope", "findings_about", "hop_edge", "network", "subnetwork",
]
