// Neighbourhood query: the PROCESSES edges from the Activity nodes $src to the DataCategory nodes $dst, at most $limit.
MATCH (s:Activity)-[r:PROCESSES]->(d:DataCategory)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst
ORDER BY src, dst
LIMIT $limit
