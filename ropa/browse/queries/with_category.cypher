// Explorer query: the activities that process one of the data categories $ids.
MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory)
WHERE d.id IN $ids
RETURN DISTINCT a.id AS id
