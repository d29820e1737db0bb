// title: Art. 49 derogation used for a regular transfer
// severity: medium
// article: GDPR Art. 49
// legal_source: GDPR Art. 49; EDPB Guidelines 2/2018 on derogations (2018-05-25): derogations are exceptions, read restrictively
// remediation: Put an Art. 46 safeguard in place for regular transfers; keep derogations for occasional, documented cases and mark those rows as occasional.
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp:Organisation)
WHERE coalesce(h.occasional, false) = false
  AND EXISTS { MATCH (imp)-[:PROCESSES_IN]->(k:Country) WHERE k.eea = false }
MATCH (m:Mechanism) WHERE m.id = h.mechanism AND m.kind = 'derogation'
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
OPTIONAL MATCH (imp)-[:PROCESSES_IN]->(away:Country) WHERE away.eea = false
WITH src, h, imp, exp, act, m, coalesce(min(away.id), imp.country) AS destination
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
