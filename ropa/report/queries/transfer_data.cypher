// Report query (not a rule): the data categories and data subjects of every activity, one row per
// (activity, category) and per (activity, subject). A transfer carries the data of its activity (the register
// records categories and subjects per activity, not per recipient): ropa/transfers.py lays them on each
// transfer and ignores the activities without one. No `WHERE a.id IN $ids` for just those: on LadybugDB that
// filter costs 3.5 s at a million relationships, the whole scan 0.2 s. Neo4j Cypher; LadybugDB through
// ropa.backends.dialect.
MATCH (a:Activity)-[:PROCESSES]->(d:DataCategory)
RETURN a.id AS activity_id, 'category' AS kind, d.name AS name
UNION ALL
MATCH (a:Activity)-[:CONCERNS]->(s:DataSubject)
RETURN a.id AS activity_id, 'subject' AS kind, s.name AS name
