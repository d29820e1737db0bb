// Neighbourhood query: the CONCERNS edges from the Activity nodes $src to the DataSubject nodes $dst, at most $limit.
MATCH (s:Activity)-[r:CONCERNS]->(d:DataSubject)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst
ORDER BY src, dst
LIMIT $limit
