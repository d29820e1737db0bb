// title: Adequacy claimed where no decision applies
// severity: high
// article: GDPR Art. 45
// legal_source: GDPR Art. 45; the adequacy decisions in data/reference/adequacy.csv with their scope and dates
// remediation: Use an Art. 46 safeguard (2021 SCCs with a transfer impact assessment), or check and record the recipient's DPF certification for US recipients.
// judges: transfer
// A claim dated after the evaluation date was not in place then (transfer_without_safeguard reports it).
// 'dpf' is met only by a decision of the DPF's time or later (the US had Safe Harbor, then the Privacy
// Shield, then the DPF, each for certified organisations only; see data/reference/adequacy.csv).
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE h.mechanism IN ['adequacy', 'dpf'] AND k.eea = false AND k.resolved = true
  AND coalesce(h.mechanism_date, $asOf) <= $asOf
// (no null outer variable inside EXISTS: LadybugDB reads `x IS NULL` there as false)
MATCH (m:Mechanism) WHERE m.id = h.mechanism
WITH src, h, imp, k, m, coalesce(imp.dpf_certified, false) AS certified,
     coalesce(imp.sector, 'private') AS sector, coalesce(h.mechanism, 'none') AS claimed,
     h.mechanism = 'dpf' AS claims_dpf, coalesce(m.valid_from, $asOf) AS claim_from
WHERE NOT EXISTS {
    MATCH (ad:Adequacy)-[:COVERS]->(k)
    WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
      AND (ad.scope_kind <> 'dpf_certified' OR certified)
      AND (sector = 'private' OR NOT (ad.scope_kind IN ['commercial_private', 'private_sector']))
      AND (NOT claims_dpf OR (ad.scope_kind = 'dpf_certified' AND ad.valid_from >= claim_from))
  }
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
// The decision in force on the evaluation date, if any; and whether any decision ever covered the place.
OPTIONAL MATCH (ad2:Adequacy)-[:COVERS]->(k)
WHERE ad2.valid_from <= $asOf AND coalesce(ad2.valid_until, $asOf) >= $asOf
WITH h, imp, k, m, exp, act, ad2, EXISTS { MATCH (:Adequacy)-[:COVERS]->(k) } AS ever_covered
RETURN 'adequacy_out_of_scope' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The transfer of "' + act.name + '" data to ' + imp.name + ' in ' + k.name + ' claims ' +
         CASE WHEN h.mechanism = 'dpf' THEN 'the EU-US Data Privacy Framework' ELSE 'adequacy' END + ', but ' +
         CASE
           WHEN NOT ever_covered THEN 'no adequacy decision covers ' + k.name + '.'
           WHEN h.mechanism = 'dpf' AND m.valid_from > $asOf THEN 'the EU-US Data Privacy Framework did not yet apply on the evaluation date' +
             CASE WHEN ad2 IS NULL THEN '.' ELSE ' (the US decision in force was ' + ad2.instrument + ').' END
           WHEN ad2 IS NULL THEN 'no adequacy decision for ' + k.name + ' was in force on the evaluation date.'
           WHEN h.mechanism = 'dpf' AND ad2.scope_kind <> 'dpf_certified' THEN 'the Data Privacy Framework applies only to certified US organisations.'
           WHEN ad2.scope_kind = 'dpf_certified' THEN 'the US decision in force on the evaluation date, ' + ad2.instrument + ', covers only certified organisations and the recipient is not recorded as certified.'
           ELSE 'the recipient is outside the scope of the decision: ' + ad2.scope
         END AS reason,
       CASE WHEN ad2 IS NULL THEN null ELSE ad2.legal_source END AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       k.id AS destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
