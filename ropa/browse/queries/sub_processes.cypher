// Explorer query (part of a sub-network): the data categories of the activities $ids.
MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory)
WHERE a.id IN $ids
RETURN a.id AS src, d AS node
