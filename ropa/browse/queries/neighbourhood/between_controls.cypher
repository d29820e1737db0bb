// Neighbourhood query: the CONTROLS edges from the Organisation nodes $src to the Activity nodes $dst, at most $limit.
MATCH (s:Organisation)-[r:CONTROLS]->(d:Activity)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst, r.joint AS joint
ORDER BY src, dst
LIMIT $limit
