// title: Art. 46 transfer without a transfer impact assessment
// severity: medium
// article: GDPR Art. 46(1); SCC 2021/914 Clause 14
// legal_source: CJEU C-311/18 (Schrems II), 2020-07-16; Implementing Decision (EU) 2021/914, Clause 14; EDPB Recommendations 01/2020 v2.0 (2021-06-18)
// remediation: Carry out and record a transfer impact assessment (EDPB Recommendations 01/2020, steps 3-4) and any supplementary measures it calls for.
// judges: transfer
MATCH (imp:Organisation)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
// Per recipient first, once per organisation rather than once per flow: the first country
// (by id) outside the EEA where it processes the data; recipients with none are not in scope.
WITH imp, min(away.id) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
// a mechanism dated after the evaluation date was not in place then (transfer_without_safeguard reports it)
WHERE coalesce(h.mechanism_date, $asOf) <= $asOf AND coalesce(h.tia, false) = false
MATCH (m:Mechanism) WHERE m.id = h.mechanism AND m.requires_tia = true
  AND (m.valid_from IS NULL OR m.valid_from <= $asOf)
  AND (m.invalid_from IS NULL OR m.invalid_from > $asOf)
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'scc_without_tia' AS rule,
       'medium' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' relies on ' + m.label +
         ', but no transfer impact assessment is recorded.' AS reason,
       null AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
