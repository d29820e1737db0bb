// Neighbourhood query: the data subjects of the activities $ids (each activity lists them).
MATCH (a:Activity)-[:CONCERNS]->(d:DataSubject)
WHERE a.id IN $ids
RETURN a.id AS act, coalesce(d.name, d.id) AS name
