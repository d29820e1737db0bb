// Neighbourhood query: organisations by id with their names.
UNWIND $ids AS i
MATCH (o:Organisation {id: i})
RETURN o.id AS id, o.name AS name
