// title: Adequacy claimed where no decision applies
// severity: high
// article: GDPR Art. 45
// legal_source: GDPR Art. 45; the adequacy decisions in data/reference/adequacy.csv with their scope and dates
// remediation: Use an Art. 46 safeguard (2021 SCCs with a transfer impact assessment), or check and record the recipient's DPF certification for US recipients.
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE h.mechanism IN ['adequacy', 'dpf'] AND k.eea = false AND k.resolved = true
WITH src, h, imp, k, coalesce(imp.dpf_certified, false) AS certified,
     coalesce(imp.sector, 'private') AS sector, coalesce(h.mechanism, 'none') AS claimed
WHERE NOT EXISTS {
    MATCH (ad:Adequacy)-[:COVERS]->(k)
    WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
      AND (ad.scope_kind <> 'dpf_certified' OR certified)
      AND (sector = 'private' OR NOT (ad.scope_kind IN ['commercial_private', 'private_sector']))
      AND (claimed <> 'dpf' OR ad.scope_kind = 'dpf_certified')
  }
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
OPTIONAL MATCH (ad2:Adequacy)-[:COVERS]->(k)
RETURN 'adequacy_out_of_scope' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' in ' + k.name + ' claims ' +
         CASE WHEN h.mechanism = 'dpf' THEN 'the EU-US Data Privacy Framework' ELSE 'adequacy' END + ', but ' +
         CASE
           WHEN ad2 IS NULL THEN 'no adequacy decision covers ' + k.name + '.'
           WHEN h.mechanism = 'dpf' AND ad2.scope_kind <> 'dpf_certified' THEN 'the Data Privacy Framework applies only to certified US organisations.'
           WHEN ad2.valid_from > $asOf THEN 'the adequacy decision for ' + k.name + ' did not yet apply on the evaluation date.'
           WHEN ad2.valid_until IS NOT NULL AND ad2.valid_until < $asOf THEN 'the adequacy decision for ' + k.name + ' had expired on the evaluation date.'
           WHEN ad2.scope_kind = 'dpf_certified' THEN 'the US decision covers only organisations on the DPF List and the recipient is not recorded as certified.'
           ELSE 'the recipient is outside the scope of the decision: ' + ad2.scope
         END AS reason,
       CASE WHEN ad2 IS NULL THEN null ELSE ad2.legal_source END AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       k.id AS destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
