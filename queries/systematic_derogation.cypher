// title: Art. 49 derogation used for a regular transfer
// severity: medium
// article: GDPR Art. 49
// legal_source: GDPR Art. 49; EDPB Guidelines 2/2018 on derogations (2018-05-25): derogations are exceptions, read restrictively
// remediation: Put an Art. 46 safeguard in place for regular transfers; keep derogations for occasional, documented cases and mark those rows as occasional.
// judges: transfer
MATCH (imp:Organisation)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
// Per recipient first, once per organisation rather than once per flow: the first country
// (by id) outside the EEA where it processes the data; recipients with none are not in scope.
WITH imp, min(away.id) AS destination
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp)
// a mechanism dated after the evaluation date was not in place then (transfer_without_safeguard reports it)
WHERE coalesce(h.mechanism_date, $asOf) <= $asOf AND coalesce(h.occasional, false) = false
MATCH (m:Mechanism) WHERE m.id = h.mechanism AND m.kind = 'derogation'
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
RETURN 'systematic_derogation' AS rule,
       'medium' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' relies on a derogation (' + m.label +
         ') but is part of a regular processing activity and is not marked as occasional.' AS reason,
       m.legal_source AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
