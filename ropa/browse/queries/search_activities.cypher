// Explorer query: activities whose name or controller contains $text (any case), at most $limit.
MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)
WHERE lower(a.name) CONTAINS lower($text) OR lower(c.name) CONTAINS lower($text)
RETURN a.id AS id, a.name AS name, c.name AS controller
ORDER BY controller, name
LIMIT $limit
