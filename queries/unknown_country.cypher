// title: Country cannot be resolved
// severity: low
// article: GDPR Art. 30(1)(e), 44
// legal_source: GDPR Art. 30(1)(e) (transfers must name the third country); Art. 44
// remediation: Record the country of establishment and the processing location of this organisation (ISO country code or name).
// judges: place
MATCH (o:Organisation)-[:ESTABLISHED_IN|PROCESSES_IN]->(k:Country)
WHERE k.resolved = false
OPTIONAL MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(o)
WITH o, k, min(h.row) AS row, min(h.source) AS source, min(h.evidence) AS evidence
RETURN 'unknown_country' AS rule, 'low' AS severity, o.name AS subject, [o.name] AS path,
       'The place "' + k.name + '" given for ' + o.name + ' cannot be resolved to a country, so its transfers cannot be judged.' AS reason,
       null AS legal_source, evidence, null AS controller, null AS activity, null AS exporter,
       o.name AS importer, k.name AS destination, null AS mechanism, source, row
UNION ALL
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(o:Organisation)
WHERE NOT EXISTS { MATCH (o)-[:ESTABLISHED_IN|PROCESSES_IN]->(:Country) }
WITH o, min(h.row) AS row, min(h.source) AS source, min(h.evidence) AS evidence
RETURN 'unknown_country' AS rule, 'low' AS severity, o.name AS subject, [o.name] AS path,
       'No country of establishment or processing location is recorded for the recipient ' + o.name + ', so its transfers cannot be judged.' AS reason,
       null AS legal_source, evidence, null AS controller, null AS activity, null AS exporter,
       o.name AS importer, o.country AS destination, null AS mechanism, source, row
