// Explorer query: every activity with its controller (findings name activities by
// controller and activity name).
MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)
RETURN a.id AS id, a.name AS name, c.id AS controller_id, c.name AS controller
