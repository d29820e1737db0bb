// Report query (not a rule): every document the RoPA was taken from, with its title and its file name or URL
// (null when not known: registers imported before these were kept, or a source that gives none).
// ropa/provenance.py cites evidence with them.
MATCH (d:Document)
RETURN d.id AS id, d.title AS title, d.location AS location
