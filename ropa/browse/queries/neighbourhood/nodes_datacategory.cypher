// Neighbourhood query: the DataCategory nodes $ids with their stored properties.
MATCH (n:DataCategory)
WHERE n.id IN $ids
RETURN n.id AS id, n.name AS name, n.special AS special, n.article AS article
