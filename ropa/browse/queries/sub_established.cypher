// Explorer query (part of a sub-network): where the organisations $ids are established.
MATCH (o:Organisation)-[:ESTABLISHED_IN]->(k:Country)
WHERE o.id IN $ids
RETURN o.id AS src, k AS node
