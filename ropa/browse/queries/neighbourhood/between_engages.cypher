// Neighbourhood query: the ENGAGES hops from the Organisation nodes $src to the Organisation nodes $dst, one row per
// (source, target) with how many (n) and, per hop, its activity id, exporter id, mechanism (as recorded
// and as written) and row: 20,000 parallel hops between two organisations arrive as one row.
MATCH (s:Organisation)-[r:ENGAGES]->(d:Organisation)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst, count(*) AS n,
       collect({a: r.activity, x: r.exporter, m: r.mechanism, w: r.mechanism_raw, row: r.row}) AS hops
