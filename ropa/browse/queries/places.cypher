// Explorer query: where each recipient (an organisation at the end of a hop) processes
// data (PROCESSES_IN, processing = true) and where it is established (ESTABLISHED_IN,
// processing = false), with the country's EEA flag. A transfer is a hop into an
// organisation that processes data outside the EEA.
MATCH ()-[:DISCLOSES_TO|ENGAGES]->(o:Organisation)
WITH DISTINCT o
MATCH (o)-[:PROCESSES_IN]->(k:Country)
RETURN o.id AS org, k.id AS country, k.name AS name, k.eea AS eea, true AS processing
UNION ALL
MATCH ()-[:DISCLOSES_TO|ENGAGES]->(o:Organisation)
WITH DISTINCT o
MATCH (o)-[:ESTABLISHED_IN]->(k:Country)
RETURN o.id AS org, k.id AS country, k.name AS name, k.eea AS eea, false AS processing
