// Explorer query: the activities that concern one of the data subjects $ids.
MATCH (a:Activity)-[:CONCERNS]->(s:DataSubject)
WHERE s.id IN $ids
RETURN DISTINCT a.id AS id
