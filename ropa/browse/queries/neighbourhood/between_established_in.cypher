// Neighbourhood query: the ESTABLISHED_IN edges from the Organisation nodes $src to the Country nodes $dst, at most $limit.
MATCH (s:Organisation)-[r:ESTABLISHED_IN]->(d:Country)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst
ORDER BY src, dst
LIMIT $limit
