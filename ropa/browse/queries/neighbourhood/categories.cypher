// Neighbourhood query: the data categories of the activities $ids (each activity lists them).
MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory)
WHERE a.id IN $ids
RETURN a.id AS act, coalesce(d.name, d.id) AS name
