// title: Processor without an Art. 28 contract
// severity: medium
// article: GDPR Art. 28(3), 28(4)
// legal_source: GDPR Art. 28(3) (contract with the processor); Art. 28(4) (same obligations flowed down to sub-processors)
// remediation: Sign (or record) a data processing agreement meeting Art. 28(3); for sub-processors, check the processor flows the same obligations down.
// judges: contract
MATCH (imp:Organisation)
// Per recipient first: where it processes data outside the EEA (the first such country by id),
// else its country of establishment; looked up once per organisation, not once per flow.
OPTIONAL MATCH (imp)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
WITH imp, coalesce(min(away.id), imp.country) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
WHERE h.role IN ['processor', 'subprocessor'] AND coalesce(h.dpa, false) = false
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'processor_without_dpa' AS rule,
       'medium' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'No Art. 28 contract is recorded between ' + exp.name + ' and its ' + h.role + ' ' + imp.name +
         ' for "' + act.name + '".' AS reason,
       null AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
