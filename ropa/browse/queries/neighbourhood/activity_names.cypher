// Neighbourhood query: activities by id with their controller's name (UNWIND + the primary key:
// `a.id IN $ids` scans the table for each of 10,000 ids).
UNWIND $ids AS i
MATCH (a:Activity {id: i})
OPTIONAL MATCH (c:Organisation)-[:CONTROLS]->(a)
RETURN a.id AS id, a.name AS name, coalesce(c.name, a.controller) AS controller
