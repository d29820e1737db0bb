// Explorer query (part of a sub-network): the data subjects of the activities $ids.
MATCH (a:Activity)-[:CONCERNS]->(s:DataSubject)
WHERE a.id IN $ids
RETURN a.id AS src, s AS node
