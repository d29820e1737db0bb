// Neighbourhood query: the pairs joined by DISCLOSES_TO from the Activity nodes $ids, with how many edges join
// each pair (n), the most joined first, then by id: under $limit the same pairs on every run.
MATCH (s:Activity)-[:DISCLOSES_TO]->(d:Organisation)
WHERE s.id IN $ids
RETURN s.id AS src, d.id AS dst, count(*) AS n
ORDER BY n DESC, src, dst
LIMIT $limit
