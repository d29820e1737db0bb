// title: Special-category or criminal data on a restricted transfer
// severity: high / medium
// article: GDPR Art. 9, 10, 44, 46; SCC 2021/914 Clause 8.7 (Modules 2/3) / 8.6 (Module 1) sensitive data
// legal_source: GDPR Art. 9(1) and Art. 10; Implementing Decision (EU) 2021/914, Clause 8.7 (sensitive data); EDPB Recommendations 01/2020
// remediation: Weigh the sensitivity in the transfer impact assessment, apply the SCC sensitive-data safeguards (restrictions, encryption, access controls), or keep these data in the EEA.
// judges: transfer
// From the restricted hops to their activity by its key (an index lookup on both engines), then to the
// activity's special categories: linear in the hops. (Joining hops to activities on h.activity = act.id
// after an aggregation made Neo4j scan the hops once per activity.)
MATCH (src)-[h:DISCLOSES_TO|ENGAGES]->(imp:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE k.eea = false AND k.resolved = true
MATCH (act:Activity) WHERE act.id = h.activity
MATCH (act)-[:PROCESSES]->(cat:DataCategory)
WHERE cat.article IS NOT NULL
WITH act, src, h, imp, k, min(cat.name) AS special
WITH act, special, src, h, imp, k, coalesce(imp.dpf_certified, false) AS certified,
     coalesce(imp.sector, 'private') AS sector, coalesce(h.mechanism, 'none') AS claimed
WHERE NOT EXISTS {
    MATCH (ad:Adequacy)-[:COVERS]->(k)
    WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
      AND (ad.scope_kind <> 'dpf_certified' OR certified)
      AND (sector = 'private' OR NOT (ad.scope_kind IN ['commercial_private', 'private_sector']))
  }
MATCH (exp:Organisation) WHERE exp.id = h.exporter
OPTIONAL MATCH (m:Mechanism) WHERE m.id = h.mechanism
RETURN 'special_category_transfer' AS rule,
       CASE
         WHEN m IS NULL OR m.kind IN ['none', 'invalidated'] OR m.kind = 'adequacy'
              OR (m.invalid_from IS NOT NULL AND m.invalid_from <= $asOf) THEN 'high'
         ELSE 'medium'
       END AS severity,
       imp.name AS subject,
       [exp.name, imp.name] AS path,
       'The activity "' + act.name + '" sends special-category (Art. 9) or criminal (Art. 10) data such as "' +
         special + '" to ' + imp.name + ' in ' + k.name +
         CASE WHEN m IS NULL THEN ' without any recorded transfer mechanism.'
              ELSE ' under ' + m.label + '.' END AS reason,
       null AS legal_source,
       h.evidence AS evidence,
       act.controller AS controller, act.name AS activity, exp.name AS exporter, imp.name AS importer,
       k.id AS destination, h.mechanism AS mechanism, h.source AS source, h.row AS row
