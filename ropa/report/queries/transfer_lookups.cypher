// Report query (not a rule): what the hops of transfers.cypher name, once each (`kind`), for
// ropa.transfers._joined to lay on them (see the header of transfers.cypher): every organisation's name by id
// (the hops' exporter), every mechanism by id, every adequacy decision in force on $asOf by the id of each
// country outside the EEA it covers, and every stored sub-processor chain (`via`) split into its names by the
// engine itself (LadybugDB's split and Neo4j's differ on empty pieces: each store's own is kept).
// Some 6,400 rows and one per distinct chain (29,000 at 1M relationships). Columns a part has nothing for
// hold '' (texts), false, $asOf or [id]: UNION ALL wants one type per column. Neo4j Cypher; LadybugDB through
// ropa.backends.dialect.
MATCH (o:Organisation)
RETURN 'Organisation' AS kind, o.id AS id, o.name AS name, '' AS mechanism_kind, '' AS legal_source,
       false AS requires_tia, $asOf AS invalid_from, '' AS scope, [o.id] AS chain
UNION ALL
MATCH (m:Mechanism)
RETURN 'Mechanism' AS kind, m.id AS id, m.label AS name, m.kind AS mechanism_kind, m.legal_source AS legal_source,
       m.requires_tia AS requires_tia, m.invalid_from AS invalid_from, '' AS scope, [m.id] AS chain
UNION ALL
MATCH (ad:Adequacy)-[:COVERS]->(k:Country)
WHERE k.eea = false AND ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
RETURN 'Adequacy' AS kind, k.id AS id, ad.instrument AS name, '' AS mechanism_kind,
       ad.legal_source AS legal_source, false AS requires_tia, $asOf AS invalid_from, ad.scope AS scope,
       [k.id] AS chain
UNION ALL
MATCH ()-[h:ENGAGES]->()
WHERE h.via IS NOT NULL
WITH DISTINCT h.via AS via
RETURN 'Chain' AS kind, via AS id, '' AS name, '' AS mechanism_kind, '' AS legal_source, false AS requires_tia,
       $asOf AS invalid_from, '' AS scope, split(via, '\u001F') AS chain
