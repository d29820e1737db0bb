// Neighbourhood query: the DataSubject nodes $ids with their stored properties.
MATCH (n:DataSubject)
WHERE n.id IN $ids
RETURN n.id AS id, n.name AS name
