// title: Transfer without a safeguard
// severity: high
// article: GDPR Art. 44, 45, 46, 49
// legal_source: GDPR Art. 44 (general principle for transfers); Art. 45 (adequacy); Art. 46 (appropriate safeguards)
// remediation: Put an Art. 46 safeguard in place (2021 SCCs with a transfer impact assessment, or BCRs), use a recipient covered by an adequacy decision, or stop the transfer.
// judges: transfer
// A mechanism dated after the evaluation date was not in place on it, nor was an Art. 46 tool or derogation
// that did not exist yet (the 2021 SCCs before 2021-06-27): the transfer had no safeguard then. (Adequacy
// and the DPF claimed too early are adequacy_out_of_scope's.)
// A date without a mechanism (or with 'none') dates nothing: the reason says no safeguard is recorded (it once
// read the missing mechanism's label into the text: '' on the embedded store, the whole reason null on Neo4j).
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE k.eea = false AND k.resolved = true
  AND (coalesce(h.mechanism, 'none') = 'none' OR h.mechanism_date > $asOf
       OR EXISTS { MATCH (m0:Mechanism) WHERE m0.id = h.mechanism AND m0.valid_from > $asOf
                   AND m0.kind IN ['art46', 'derogation'] })
WITH src, h, imp, k, coalesce(imp.dpf_certified, false) AS certified,
     coalesce(imp.sector, 'private') AS sector, coalesce(h.mechanism, 'none') AS claimed
WHERE NOT EXISTS {
    MATCH (ad:Adequacy)-[:COVERS]->(k)
    WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
      AND (ad.scope_kind <> 'dpf_certified' OR certified)
      AND (sector = 'private' OR NOT (ad.scope_kind IN ['commercial_private', 'private_sector']))
  }
MATCH (exp:Organisation) WHERE exp.id = h.exporter
MATCH (act:Activity) WHERE act.id = h.activity
// The decision in force on the evaluation date, if any (the US had three in turn: Safe Harbor, Privacy Shield, DPF).
OPTIONAL MATCH (ad2:Adequacy)-[:COVERS]->(k)
WHERE ad2.valid_from <= $asOf AND coalesce(ad2.valid_until, $asOf) >= $asOf
OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism
RETURN 'transfer_without_safeguard' AS rule,
       'high' AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'Personal data of the activity "' + act.name + '" go to ' + imp.name + ' in ' + k.name +
         CASE
           WHEN ad2 IS NULL THEN ', a country with no adequacy decision in force on the evaluation date,'
           WHEN ad2.scope_kind = 'dpf_certified' THEN ', but the recipient is not recorded as certified under ' + ad2.instrument + ', the US decision in force on the evaluation date,'
           ELSE ', outside the scope of its adequacy decision,'
         END +
         CASE
           WHEN h.mechanism_date > $asOf AND coalesce(h.mechanism, 'none') <> 'none'
             THEN ' and the ' + coalesce(m.label, h.mechanism) + ' recorded is dated after the evaluation date: it was not in place then.'
           WHEN m.valid_from > $asOf
             THEN ' and the ' + m.label + ' recorded did not exist yet on the evaluation date.'
           ELSE ' and no Art. 46 safeguard or Art. 49 derogation is recorded.'
         END AS reason,
       CASE WHEN ad2 IS NULL THEN null ELSE 'GDPR Art. 44-46; ' + ad2.legal_source END AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       k.id AS destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
