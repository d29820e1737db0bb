// title: Transfer relies on Safe Harbor
// severity: high
// article: GDPR Art. 44, 45, 46
// legal_source: CJEU C-362/14 (Schrems I), 2015-10-06
// remediation: Re-paper on the 2021 SCCs with a transfer impact assessment, or rely on the EU-US Data Privacy Framework if the recipient is certified.
// judges: transfer
MATCH (imp:Organisation)
// Per recipient first: where it processes data outside the EEA (the first such country by id),
// else its country of establishment; looked up once per organisation, not once per flow.
OPTIONAL MATCH (imp)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
WITH imp, coalesce(min(away.id), imp.country) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
WHERE h.mechanism = 'safe_harbor'
  AND (EXISTS { MATCH (imp)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false }
       OR NOT EXISTS { MATCH (imp)-[:PROCESSES_IN]->(:Country) })
MATCH (m:Mechanism) WHERE m.id = h.mechanism AND m.invalid_from <= $asOf
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'safe_harbor_reliance' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name +
         ' rests on the Safe Harbor decision (2000/520/EC), which the CJEU declared invalid.' AS reason,
       m.legal_source AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, m.remediation AS remediation,
       h.source AS source, h.row AS row
