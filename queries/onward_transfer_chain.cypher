// title: Sub-processor chain leaves the EEA
// severity: high / medium
// article: GDPR Art. 44, 28(2), 28(4); SCC 2021/914 Clause 8.8 (onward transfers), Clause 9 (sub-processors)
// legal_source: GDPR Art. 44 (onward transfers must keep the level of protection); Art. 28(4) (sub-processors); EDPB Recommendations 01/2020, step 1 (map onward transfers)
// remediation: Check that each hop of the chain has a valid transfer basis flowed down from the processor (SCC Module 3 or adequacy) and that the sub-processor is on the approved list (SCC Annex III).
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)-[:DISCLOSES_TO]->(o1:Organisation)
// The chain is walked one hop at a time, each hop joined on (engager id, activity id):
// a popular sub-processor engaged for thousands of activities is then looked up once per
// activity instead of fanning out into every activity's edges, which a variable-length
// pattern filtered afterwards does (its paths multiply with the activities; it ran out of
// memory at 10k relationships). Chains are simple (no organisation twice); a shorter path
// through a cycle gives the same finding.
OPTIONAL MATCH (x1:Organisation)-[e1:ENGAGES]->(o2:Organisation)
  WHERE x1.id = o1.id AND e1.activity = act.id AND NOT (o2.id IN [o1.id])
OPTIONAL MATCH (x2:Organisation)-[e2:ENGAGES]->(o3:Organisation)
  WHERE x2.id = o2.id AND e2.activity = act.id AND NOT (o3.id IN [o1.id, o2.id])
OPTIONAL MATCH (x3:Organisation)-[e3:ENGAGES]->(o4:Organisation)
  WHERE x3.id = o3.id AND e3.activity = act.id AND NOT (o4.id IN [o1.id, o2.id, o3.id])
OPTIONAL MATCH (x4:Organisation)-[e4:ENGAGES]->(o5:Organisation)
  WHERE x4.id = o4.id AND e4.activity = act.id AND NOT (o5.id IN [o1.id, o2.id, o3.id, o4.id])
OPTIONAL MATCH (x5:Organisation)-[e5:ENGAGES]->(o6:Organisation)
  WHERE x5.id = o5.id AND e5.activity = act.id AND NOT (o6.id IN [o1.id, o2.id, o3.id, o4.id, o5.id])
OPTIONAL MATCH (x6:Organisation)-[e6:ENGAGES]->(o7:Organisation)
  WHERE x6.id = o6.id AND e6.activity = act.id AND NOT (o7.id IN [o1.id, o2.id, o3.id, o4.id, o5.id, o6.id])
OPTIONAL MATCH (x7:Organisation)-[e7:ENGAGES]->(o8:Organisation)
  WHERE x7.id = o7.id AND e7.activity = act.id AND NOT (o8.id IN [o1.id, o2.id, o3.id, o4.id, o5.id, o6.id, o7.id])
// Every hop of the chain: z = o_d engages y = o_(d+1); the organisations before z are
// carried as names n1..n6 (null past the hop) and the path is built for the findings only.
UNWIND [1, 2, 3, 4, 5, 6, 7] AS d
WITH c, act, d, o1, o2, o3, o4, o5, o6, o7,
     CASE d WHEN 1 THEN o1.id WHEN 2 THEN o2.id WHEN 3 THEN o3.id WHEN 4 THEN o4.id
            WHEN 5 THEN o5.id WHEN 6 THEN o6.id ELSE o7.id END AS zid,
     CASE d WHEN 1 THEN o2.id WHEN 2 THEN o3.id WHEN 3 THEN o4.id WHEN 4 THEN o5.id
            WHEN 5 THEN o6.id WHEN 6 THEN o7.id ELSE o8.id END AS yid
WHERE yid IS NOT NULL AND yid <> c.id
WITH DISTINCT c, act, d, zid, yid,
     CASE WHEN d > 1 THEN o1.name END AS n1, CASE WHEN d > 2 THEN o2.name END AS n2,
     CASE WHEN d > 3 THEN o3.name END AS n3, CASE WHEN d > 4 THEN o4.name END AS n4,
     CASE WHEN d > 5 THEN o5.name END AS n5, CASE WHEN d > 6 THEN o6.name END AS n6
MATCH (z:Organisation)-[last:ENGAGES]->(y:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE z.id = zid AND y.id = yid AND last.activity = act.id AND k.eea = false
OPTIONAL MATCH (m:Mechanism) WHERE m.id = last.mechanism
WITH c, act, z, last, y, k, m, coalesce(y.dpf_certified, false) AS certified,
     CASE d WHEN 1 THEN [c.name, z.name, y.name]
            WHEN 2 THEN [c.name, n1, z.name, y.name]
            WHEN 3 THEN [c.name, n1, n2, z.name, y.name]
            WHEN 4 THEN [c.name, n1, n2, n3, z.name, y.name]
            WHEN 5 THEN [c.name, n1, n2, n3, n4, z.name, y.name]
            WHEN 6 THEN [c.name, n1, n2, n3, n4, n5, z.name, y.name]
            ELSE [c.name, n1, n2, n3, n4, n5, n6, z.name, y.name] END AS path
WITH c, act, path, z, last, y, k, m,
     EXISTS {
       MATCH (ad:Adequacy)-[:COVERS]->(k)
       WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
         AND (ad.scope_kind <> 'dpf_certified' OR certified)
     } AS adequate
RETURN 'onward_transfer_chain' AS rule,
       CASE
         WHEN m IS NULL AND NOT adequate THEN 'high'
         WHEN m IS NOT NULL AND (m.kind = 'none' OR (m.invalid_from IS NOT NULL AND m.invalid_from <= $asOf)) THEN 'high'
         ELSE 'medium'
       END AS severity,
       y.name AS subject,
       path,
       'Data of "' + act.name + '" reach ' + y.name + ' in ' + k.name + ' through the sub-processor chain of ' +
         z.name + CASE
           WHEN m IS NULL AND NOT adequate THEN '; the last hop records no transfer mechanism.'
           WHEN m IS NULL THEN '; the last hop relies on the adequacy of the destination.'
           ELSE '; the last hop relies on ' + m.label + '.'
         END AS reason,
       null AS legal_source,
       last.evidence AS evidence,
       c.name AS controller, act.name AS activity, z.name AS exporter, y.name AS importer,
       k.id AS destination, last.mechanism AS mechanism, last.source AS source, last.row AS row
