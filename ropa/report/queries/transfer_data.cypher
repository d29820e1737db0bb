// Report query (not a rule): the data categories and data subjects of some activities ($ids), one row per
// (activity, category) and per (activity, subject). A transfer carries the data of its activity (the register
// records categories and subjects per activity, not per recipient): ropa/transfers.py lays them on each
// transfer. Neo4j Cypher; LadybugDB through ropa.backends.dialect.
MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory)
WHERE a.id IN $ids
RETURN a.id AS activity_id, 'category' AS kind, d.name AS name
UNION ALL
MATCH (a:Activity)-[:CONCERNS]->(s:DataSubject)
WHERE a.id IN $ids
RETURN a.id AS activity_id, 'subject' AS kind, s.name AS name
