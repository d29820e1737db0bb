// Explorer query (part of a sub-network): where the organisations $ids process data.
MATCH (o:Organisation)-[r:PROCESSES_IN]->(k:Country)
WHERE o.id IN $ids
RETURN o.id AS src, k AS node, r.inferred AS inferred
