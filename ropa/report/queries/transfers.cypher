// Report query (not a rule): every restricted transfer, i.e. every hop on which an
// activity's data reach an importer that processes them in a country outside the EEA
// (or in a place that cannot be resolved), with the recorded mechanism. It judges nothing: the
// verdict of each transfer comes from the rule pack's findings on it (ropa/transfers.py).
// One row per (hop, non-EEA processing country), with only the columns the report shows
// (at 1M relationships some 310,000 rows: every column costs seconds to fetch). Neo4j Cypher; LadybugDB through
// ropa.backends.dialect (see there for the gaps this query stays clear of).
//
// The hops name by id what transfer_lookups.cypher gives once each, and by text the chain of an onward transfer
// (`via`, stored on the hop): ropa.transfers._joined lays on every hop its exporter's name, its mechanism, the
// adequacy decisions in force for its destination and its path ([controller] + the chain + [importer]) as
// `MATCH (exp:Organisation) WHERE exp.id = h.exporter`, `OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism`,
// `OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(k) WHERE <in force>` and `[c.name] + split(h.via, ...) + [imp.name]`
// would (same rows: tests/oracles/transfers_joined.cypher is that query, tests/test_chain.py compares them).
// At 1M relationships: 2 s less of the engine's time than the joins on every hop; the path's lists
// and the lookups' empty columns on 310,000 rows were another 1.5 s of engine, Arrow and Python.
// No expression twice in the first part's RETURN (src_id is coalesce(act.id, ''), not act.id again): LadybugDB
// then makes the two columns one, and every later part's value of the second (the engager's id) lands in the
// first as well (an onward transfer's activity_id read 'vendor inc'; tests/test_parity_input.py).
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)-[h:DISCLOSES_TO]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE k.eea = false
RETURN c.name AS controller, act.name AS activity, imp.name AS importer, h.role AS role, '' AS via,
       k.id AS destination, k.name AS destination_name, k.resolved AS resolved, h.mechanism AS mechanism,
       h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date, h.tia AS tia,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'DISCLOSES_TO' AS hop_type,
       coalesce(act.id, '') AS src_id
UNION ALL
// Onward transfers: every ENGAGES hop the activity's data reach, with the chain stored on it
// (ENGAGES.via, see queries/onward_transfer_chain.cypher).
MATCH (e:Organisation)-[h:ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE h.via IS NOT NULL AND k.eea = false
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)
WHERE act.id = h.activity AND imp.id <> c.id
RETURN c.name AS controller, act.name AS activity, imp.name AS importer, h.role AS role, h.via AS via,
       k.id AS destination, k.name AS destination_name, k.resolved AS resolved, h.mechanism AS mechanism,
       h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date, h.tia AS tia,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'ENGAGES' AS hop_type,
       e.id AS src_id
