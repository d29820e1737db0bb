// title: Transfer relies on the invalidated Privacy Shield
// severity: high
// article: GDPR Art. 44, 45, 46
// legal_source: CJEU C-311/18 (Schrems II), 2020-07-16; FDPIC position of 2020-09-08 (Swiss-US Privacy Shield)
// remediation: Re-paper on the 2021 SCCs with a transfer impact assessment, or rely on the EU-US Data Privacy Framework if the recipient is certified (check the DPF List).
// judges: transfer
MATCH (imp:Organisation)
// Per recipient first: where it processes data outside the EEA (the first such country by id),
// else its country of establishment; looked up once per organisation, not once per flow.
OPTIONAL MATCH (imp)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
WITH imp, coalesce(min(away.id), imp.country) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
WHERE h.mechanism IN ['privacy_shield', 'swiss_us_privacy_shield']
  AND (EXISTS { MATCH (imp)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false }
       OR NOT EXISTS { MATCH (imp)-[:PROCESSES_IN]->(:Country) })
MATCH (m:Mechanism) WHERE m.id = h.mechanism AND m.invalid_from <= $asOf
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'privacy_shield_reliance' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' rests on the ' + m.label +
         ', which is no longer a valid transfer basis.' +
         CASE WHEN coalesce(imp.dpf_certified, false) = true
           THEN ' The recipient is recorded as certified under the Data Privacy Framework: re-label the transfer as DPF after checking the DPF List.'
           ELSE ' No DPF certification is recorded for the recipient.'
         END AS reason,
       m.legal_source AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, m.remediation AS remediation,
       h.source AS source, h.row AS row
