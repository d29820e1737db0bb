// Neighbourhood query: the Country nodes $ids with their stored properties.
MATCH (n:Country)
WHERE n.id IN $ids
RETURN n.id AS id, n.name AS name, n.eea AS eea, n.resolved AS resolved
