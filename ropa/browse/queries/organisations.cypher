// Explorer query: every organisation's id and name (findings name organisations by name).
MATCH (o:Organisation)
RETURN o.id AS id, o.name AS name
ORDER BY o.id
