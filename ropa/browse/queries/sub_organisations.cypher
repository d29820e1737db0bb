// Explorer query (part of a sub-network): the organisations $ids, whether each controls
// any activity, and where each is established and processes data.
MATCH (o:Organisation)
WHERE o.id IN $ids
OPTIONAL MATCH (o)-[:CONTROLS]->(a:Activity)
RETURN o AS node, count(a) > 0 AS controller
