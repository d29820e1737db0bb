// Report query (not a rule): where each hop's quote stands in its document (section, line, characters), by
// (document id, row): what a finding, which names its source and row, is cited with (ropa/provenance.py).
MATCH ()-[h:DISCLOSES_TO|ENGAGES]->()
WHERE h.evidence_at IS NOT NULL
RETURN h.source AS source, h.row AS row, h.evidence_at AS at
