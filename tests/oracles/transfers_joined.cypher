// TEST ORACLE, not shipped: ropa/report/queries/transfers.cypher as it was before it gave the exporters'
// names, the mechanisms and the adequacy decisions once each instead of joining them on every hop.
// tests/test_chain.py checks that ropa.transfers._joined on the shipped query gives exactly these rows.
// Report query (not a rule): every restricted transfer, i.e. every hop on which an
// activity's data reach an importer that processes them in a country outside the EEA
// (or in a place that cannot be resolved), with the whole path from the controller for
// onward transfers down a sub-processor chain (stored on each hop as `via`), the recorded mechanism and the
// adequacy decision in force for the destination on $asOf. It judges nothing: the
// verdict of each transfer comes from the rule pack's findings on it (ropa/transfers.py).
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
// Onward transfers: every ENGAGES hop the activity's data reach, with the chain stored on it
// (ENGAGES.via, see queries/onward_transfer_chain.cypher): path = [controller] + chain + [importer].
MATCH (e:Organisation)-[h:ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE h.via IS NOT NULL AND k.eea = false
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)
WHERE act.id = h.activity AND imp.id <> c.id
WITH c, act, e, h, imp, k, [c.name] + split(h.via, '\u001F') + [imp.name] AS path
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
       e.id AS src_id, m.invalid_from AS mechanism_invalid_from
