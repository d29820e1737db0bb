// title: Transfer relies on repealed standard contractual clauses
// severity: high
// article: GDPR Art. 46(2)(c)
// legal_source: Implementing Decision (EU) 2021/914, Art. 4: old SCCs (2001/497/EC, 2004/915/EC, 2010/87/EU) repealed from 2021-09-27; contracts signed before then valid until 2022-12-27
// remediation: Replace the old clauses with the 2021 SCCs (the right module) and document a transfer impact assessment.
// judges: transfer
MATCH (imp:Organisation)
// Per recipient first: where it processes data outside the EEA (the first such country by id),
// else its country of establishment; looked up once per organisation, not once per flow.
OPTIONAL MATCH (imp)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
WITH imp, coalesce(min(away.id), imp.country) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
WHERE h.mechanism IN ['scc_2001', 'scc_2004', 'scc_2010']
  AND (EXISTS { MATCH (imp)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false }
       OR NOT EXISTS { MATCH (imp)-[:PROCESSES_IN]->(:Country) })
MATCH (m:Mechanism) WHERE m.id = h.mechanism
  AND (m.invalid_from <= $asOf
       OR (h.mechanism_date IS NOT NULL AND h.mechanism_date >= m.new_contracts_until
           AND $asOf >= m.new_contracts_until))
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'outdated_scc' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' rests on the ' + m.label +
         CASE WHEN m.invalid_from <= $asOf
           THEN ', which may not be relied on after 2022-12-27.'
           ELSE ', signed on or after 2021-09-27 when those clauses could no longer be used for new contracts.'
         END AS reason,
       m.legal_source AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, m.remediation AS remediation,
       h.source AS source, h.row AS row
