// Explorer query: organisations whose name contains $text (any case), at most $limit.
MATCH (o:Organisation)
WHERE lower(o.name) CONTAINS lower($text)
RETURN o.id AS id, o.name AS name
ORDER BY name
LIMIT $limit
