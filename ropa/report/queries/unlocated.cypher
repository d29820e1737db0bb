// Report query (not a rule): recipients with no recorded country at all, on any hop.
// Whether their data leave the EEA cannot be told; the report lists them apart from
// the restricted-transfer register (the unknown_country rule reports them as findings).
// The WITHs between the joins on ids keep LadybugDB from planning a cross product of
// activities and organisations first (which does not finish on a large store).
MATCH (imp:Organisation)
WHERE NOT EXISTS { MATCH (imp)-[:ESTABLISHED_IN|PROCESSES_IN]->(:Country) }
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
WITH imp, h
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity) WHERE act.id = h.activity
WITH c, act, imp, h
MATCH (exp:Organisation) WHERE exp.id = h.exporter
RETURN c.name AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       h.role AS role, h.mechanism AS mechanism, h.mechanism_raw AS mechanism_raw,
       h.evidence AS evidence, h.source AS source, h.row AS row
