// Report query (not a rule): every restricted transfer, i.e. every hop on which an
// activity's data reach an importer that processes them in a country outside the EEA
// (or in a place that cannot be resolved), with the whole path from the controller for
// onward transfers down a sub-processor chain (stored on each hop as `via`), the recorded mechanism and the
// adequacy decision in force for the destination on $asOf. It judges nothing: the
// verdict of each transfer comes from the rule pack's findings on it (ropa/transfers.py).
// One row per (hop, non-EEA processing country), with only the columns the report shows
// (at 1M relationships some 300,000 rows: every column costs seconds to fetch). Neo4j Cypher; LadybugDB through
// ropa.backends.dialect (see there for the gaps this query stays clear of).
//
// The hops name their exporter, mechanism and destination by id; the last three parts give, once each,
// what those ids stand for (hop_type 'Organisation', 'Mechanism', 'Adequacy'), and ropa.transfers._joined
// lays them on the hops as `MATCH (exp:Organisation) WHERE exp.id = h.exporter`, `OPTIONAL MATCH
// (m:Mechanism) WHERE m.id = h.mechanism` and `OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(k) WHERE <in force>`
// would on every hop (same rows: tests/oracles/transfers_joined.cypher is that query, tests/test_chain.py
// compares them): at 1M relationships 2 s less of the engine's time than the joins on 300,000 rows.
// Columns a part has nothing for hold '' (texts), false, 0, $asOf or [k.id]: UNION ALL wants one type per column.
// No expression twice in the first part's RETURN (src_id is coalesce(act.id, ''), not act.id again): LadybugDB
// then makes the two columns one, and every later part's value of the second (the engager's id) lands in the
// first as well (an onward transfer's activity_id read 'vendor inc'; tests/test_parity_input.py).
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)-[h:DISCLOSES_TO]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE k.eea = false
RETURN c.name AS controller, act.name AS activity, '' AS exporter, imp.name AS importer,
       h.role AS role, [c.name, imp.name] AS path, k.id AS destination, k.name AS destination_name,
       k.resolved AS resolved, h.mechanism AS mechanism, h.mechanism_raw AS mechanism_raw,
       h.mechanism_date AS mechanism_date, '' AS mechanism_label, '' AS mechanism_kind,
       '' AS mechanism_legal_source, false AS requires_tia, h.tia AS tia,
       '' AS adequacy, '' AS adequacy_scope, '' AS adequacy_legal_source,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'DISCLOSES_TO' AS hop_type,
       coalesce(act.id, '') AS src_id, $asOf AS mechanism_invalid_from
UNION ALL
// Onward transfers: every ENGAGES hop the activity's data reach, with the chain stored on it
// (ENGAGES.via, see queries/onward_transfer_chain.cypher): path = [controller] + chain + [importer].
MATCH (e:Organisation)-[h:ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE h.via IS NOT NULL AND k.eea = false
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)
WHERE act.id = h.activity AND imp.id <> c.id
RETURN c.name AS controller, act.name AS activity, '' AS exporter, imp.name AS importer,
       h.role AS role, [c.name] + split(h.via, '\u001F') + [imp.name] AS path, k.id AS destination,
       k.name AS destination_name, k.resolved AS resolved, h.mechanism AS mechanism,
       h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date, '' AS mechanism_label,
       '' AS mechanism_kind, '' AS mechanism_legal_source, false AS requires_tia, h.tia AS tia,
       '' AS adequacy, '' AS adequacy_scope, '' AS adequacy_legal_source,
       h.evidence AS evidence, h.source AS source, h.row AS row, h.evidence_at AS evidence_at,
       act.id AS activity_id, h.exporter AS exporter_id, imp.id AS importer_id, 'ENGAGES' AS hop_type,
       e.id AS src_id, $asOf AS mechanism_invalid_from
UNION ALL
// Every organisation's name, by id (the hops' exporter).
MATCH (exp:Organisation)
RETURN '' AS controller, '' AS activity, exp.name AS exporter, '' AS importer, '' AS role, [exp.id] AS path,
       '' AS destination, '' AS destination_name, false AS resolved, '' AS mechanism, '' AS mechanism_raw,
       $asOf AS mechanism_date, '' AS mechanism_label, '' AS mechanism_kind, '' AS mechanism_legal_source,
       false AS requires_tia, false AS tia, '' AS adequacy, '' AS adequacy_scope, '' AS adequacy_legal_source,
       '' AS evidence, '' AS source, 0 AS row, '' AS evidence_at, '' AS activity_id, exp.id AS exporter_id,
       '' AS importer_id, 'Organisation' AS hop_type, '' AS src_id, $asOf AS mechanism_invalid_from
UNION ALL
// Every mechanism, by id (the hops' mechanism).
MATCH (m:Mechanism)
RETURN '' AS controller, '' AS activity, '' AS exporter, '' AS importer, '' AS role, [m.id] AS path,
       '' AS destination, '' AS destination_name, false AS resolved, m.id AS mechanism, '' AS mechanism_raw,
       $asOf AS mechanism_date, m.label AS mechanism_label, m.kind AS mechanism_kind,
       m.legal_source AS mechanism_legal_source, m.requires_tia AS requires_tia, false AS tia,
       '' AS adequacy, '' AS adequacy_scope, '' AS adequacy_legal_source,
       '' AS evidence, '' AS source, 0 AS row, '' AS evidence_at, '' AS activity_id, '' AS exporter_id,
       '' AS importer_id, 'Mechanism' AS hop_type, '' AS src_id, m.invalid_from AS mechanism_invalid_from
UNION ALL
// Every adequacy decision in force on $asOf, by the id of each country outside the EEA it covers (the hops' destination).
MATCH (ad:Adequacy)-[:COVERS]->(k:Country)
WHERE k.eea = false AND ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
RETURN '' AS controller, '' AS activity, '' AS exporter, '' AS importer, '' AS role, [k.id] AS path,
       k.id AS destination, '' AS destination_name, false AS resolved, '' AS mechanism, '' AS mechanism_raw,
       $asOf AS mechanism_date, '' AS mechanism_label, '' AS mechanism_kind, '' AS mechanism_legal_source,
       false AS requires_tia, false AS tia,
       ad.instrument AS adequacy, ad.scope AS adequacy_scope, ad.legal_source AS adequacy_legal_source,
       '' AS evidence, '' AS source, 0 AS row, '' AS evidence_at, '' AS activity_id, '' AS exporter_id,
       '' AS importer_id, 'Adequacy' AS hop_type, '' AS src_id, $asOf AS mechanism_invalid_from
