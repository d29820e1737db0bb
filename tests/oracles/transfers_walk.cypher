// TEST ORACLE, not shipped: ropa/report/queries/transfers.cypher as it was before the hops stored
// their chain: it walks every simple sub-processor chain hop by hop (o1..o8). tests/test_chain.py
// checks that the stored-chain query gives the same finalised findings / report transfers.
// Report query (not a rule): every restricted transfer, i.e. every hop on which an
// activity's data reach an importer that processes them in a country outside the EEA
// (or in a place that cannot be resolved), with the whole path from the controller for
// onward transfers down a sub-processor chain, the recorded mechanism and the
// adequacy decision in force for the destination on $asOf. It judges nothing: the
// verdict of each transfer comes from the rule pack's findings on it.
// One row per (hop, non-EEA processing country), with only the columns the report shows
// (at 1M relationships some 320,000 rows: every column costs seconds to fetch). Neo4j Cypher; LadybugDB through
// ropa.backends.dialect (see there for the gaps this query stays clear of).
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)-[h:DISCLOSES_TO]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE k.eea = false
WITH c, act, h, imp, k, [c.name, imp.name] AS path
MATCH (exp:Organisation) WHERE exp.id = h.exporter
OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism
OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(k)
WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
RETURN c.name AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       h.role AS role, path, k.id AS destination, k.name AS destination_name, k.resolved AS resolved,
       h.mechanism AS mechanism, h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date,
       m.label AS mechanism_label, m.kind AS mechanism_kind, m.legal_source AS mechanism_legal_source,
       m.requires_tia AS requires_tia, h.tia AS tia,
       ad.instrument AS adequacy, ad.scope AS adequacy_scope, ad.legal_source AS adequacy_legal_source,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'DISCLOSES_TO' AS hop_type,
       coalesce(act.id, '') AS src_id, m.invalid_from AS mechanism_invalid_from
UNION ALL
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)-[:DISCLOSES_TO]->(o1:Organisation)
OPTIONAL MATCH (x1:Organisation)-[e1:ENGAGES]->(o2:Organisation)
  WHERE x1.id = o1.id AND e1.activity = act.id AND NOT (o2.id IN [o1.id])
OPTIONAL MATCH (x2:Organisation)-[e2:ENGAGES]->(o3:Organisation)
  WHERE x2.id = o2.id AND e2.activity = act.id AND NOT (o3.id IN [o1.id, o2.id])
OPTIONAL MATCH (x3:Organisation)-[e3:ENGAGES]->(o4:Organisation)
  WHERE x3.id = o3.id AND e3.activity = act.id AND NOT (o4.id IN [o1.id, o2.id, o3.id])
OPTIONAL MATCH (x4:Organisation)-[e4:ENGAGES]->(o5:Organisation)
  WHERE x4.id = o4.id AND e4.activity = act.id AND NOT (o5.id IN [o1.id, o2.id, o3.id, o4.id])
OPTIONAL MATCH (x5:Organisation)-[e5:ENGAGES]->(o6:Organisation)
  WHERE x5.id = o5.id AND e5.activity = act.id AND NOT (o6.id IN [o1.id, o2.id, o3.id, o4.id, o5.id])
OPTIONAL MATCH (x6:Organisation)-[e6:ENGAGES]->(o7:Organisation)
  WHERE x6.id = o6.id AND e6.activity = act.id AND NOT (o7.id IN [o1.id, o2.id, o3.id, o4.id, o5.id, o6.id])
OPTIONAL MATCH (x7:Organisation)-[e7:ENGAGES]->(o8:Organisation)
  WHERE x7.id = o7.id AND e7.activity = act.id AND NOT (o8.id IN [o1.id, o2.id, o3.id, o4.id, o5.id, o6.id, o7.id])
UNWIND [{z: o1.id, y: o2.id, path: [c.name, o1.name, o2.name]},
        {z: o2.id, y: o3.id, path: [c.name, o1.name, o2.name, o3.name]},
        {z: o3.id, y: o4.id, path: [c.name, o1.name, o2.name, o3.name, o4.name]},
        {z: o4.id, y: o5.id, path: [c.name, o1.name, o2.name, o3.name, o4.name, o5.name]},
        {z: o5.id, y: o6.id, path: [c.name, o1.name, o2.name, o3.name, o4.name, o5.name, o6.name]},
        {z: o6.id, y: o7.id, path: [c.name, o1.name, o2.name, o3.name, o4.name, o5.name, o6.name, o7.name]},
        {z: o7.id, y: o8.id, path: [c.name, o1.name, o2.name, o3.name, o4.name, o5.name, o6.name, o7.name, o8.name]}] AS hop
WITH c, act, hop
WHERE hop.y IS NOT NULL AND hop.y <> c.id
WITH DISTINCT c, act, hop.z AS zid, hop.y AS yid, hop.path AS path
MATCH (z:Organisation)-[h:ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE z.id = zid AND imp.id = yid AND h.activity = act.id AND k.eea = false
WITH c, act, h, imp, k, path, zid
MATCH (exp:Organisation) WHERE exp.id = h.exporter
OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism
OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(k)
WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
RETURN c.name AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       h.role AS role, path, k.id AS destination, k.name AS destination_name, k.resolved AS resolved,
       h.mechanism AS mechanism, h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date,
       m.label AS mechanism_label, m.kind AS mechanism_kind, m.legal_source AS mechanism_legal_source,
       m.requires_tia AS requires_tia, h.tia AS tia,
       ad.instrument AS adequacy, ad.scope AS adequacy_scope, ad.legal_source AS adequacy_legal_source,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'ENGAGES' AS hop_type,
       zid AS src_id, m.invalid_from AS mechanism_invalid_from
