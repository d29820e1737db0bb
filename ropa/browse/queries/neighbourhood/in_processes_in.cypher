// Neighbourhood query: the pairs joined by PROCESSES_IN into the Country nodes $ids, with how many edges join
// each pair (n), the most joined first, then by id: under $limit the same pairs on every run.
MATCH (s:Organisation)-[:PROCESSES_IN]->(d:Country)
WHERE d.id IN $ids
RETURN s.id AS src, d.id AS dst, count(*) AS n
ORDER BY n DESC, src, dst
LIMIT $limit
