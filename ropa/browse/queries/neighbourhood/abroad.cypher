// Neighbourhood query: which of the organisations $ids process data outside the EEA.
MATCH (o:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE o.id IN $ids AND k.eea = false
RETURN DISTINCT o.id AS id
