// Neighbourhood query: the PROCESSES_IN edges from the Organisation nodes $src to the Country nodes $dst, at most $limit.
MATCH (s:Organisation)-[r:PROCESSES_IN]->(d:Country)
WHERE s.id IN $src AND d.id IN $dst
RETURN s.id AS src, d.id AS dst, r.inferred AS inferred
ORDER BY src, dst
LIMIT $limit
