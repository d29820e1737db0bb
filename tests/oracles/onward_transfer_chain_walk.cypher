// TEST ORACLE, not shipped: queries/onward_transfer_chain.cypher as it was before the hops stored
// their chain: it walks every simple sub-processor chain hop by hop (o1..o8). tests/test_chain.py
// checks that the stored-chain query gives the same finalised findings / report transfers.
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
// Organisation k of the chain is carried as its id i<k> and name m<k>. The hop that would
// revisit an organisation is nulled after the lookup, not excluded inside it: the lookup is
// then shared by every chain reaching the same (organisation, activity), and the extra
// shorter chains this leaves only repeat hops that DISTINCT below removes.
WITH c, act, o1.id AS i1, o1.name AS m1
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i1 AND e.activity = act.id
WITH c, act, i1, m1, CASE WHEN p.id IN [i1] THEN null ELSE p.id END AS i2,
     CASE WHEN p.id IN [i1] THEN null ELSE p.name END AS m2
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i2 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, CASE WHEN p.id IN [i1, i2] THEN null ELSE p.id END AS i3,
     CASE WHEN p.id IN [i1, i2] THEN null ELSE p.name END AS m3
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i3 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, i3, m3, CASE WHEN p.id IN [i1, i2, i3] THEN null ELSE p.id END AS i4,
     CASE WHEN p.id IN [i1, i2, i3] THEN null ELSE p.name END AS m4
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i4 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, i3, m3, i4, m4, CASE WHEN p.id IN [i1, i2, i3, i4] THEN null ELSE p.id END AS i5,
     CASE WHEN p.id IN [i1, i2, i3, i4] THEN null ELSE p.name END AS m5
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i5 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, i3, m3, i4, m4, i5, m5, CASE WHEN p.id IN [i1, i2, i3, i4, i5] THEN null ELSE p.id END AS i6,
     CASE WHEN p.id IN [i1, i2, i3, i4, i5] THEN null ELSE p.name END AS m6
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i6 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, i3, m3, i4, m4, i5, m5, i6, m6, CASE WHEN p.id IN [i1, i2, i3, i4, i5, i6] THEN null ELSE p.id END AS i7,
     CASE WHEN p.id IN [i1, i2, i3, i4, i5, i6] THEN null ELSE p.name END AS m7
OPTIONAL MATCH (x:Organisation)-[e:ENGAGES]->(p:Organisation) WHERE x.id = i7 AND e.activity = act.id
WITH c, act, i1, m1, i2, m2, i3, m3, i4, m4, i5, m5, i6, m6, i7, m7, CASE WHEN p.id IN [i1, i2, i3, i4, i5, i6, i7] THEN null ELSE p.id END AS i8,
     CASE WHEN p.id IN [i1, i2, i3, i4, i5, i6, i7] THEN null ELSE p.name END AS m8
// Every hop of the chain: z = o_d engages y = o_(d+1); the organisations before z are
// the names n1..n6 (null past the hop) and the path is built for the findings only.
UNWIND [1, 2, 3, 4, 5, 6, 7] AS d
WITH c, act, d, m1, m2, m3, m4, m5, m6,
     CASE d WHEN 1 THEN i1 WHEN 2 THEN i2 WHEN 3 THEN i3 WHEN 4 THEN i4
            WHEN 5 THEN i5 WHEN 6 THEN i6 ELSE i7 END AS zid,
     CASE d WHEN 1 THEN i2 WHEN 2 THEN i3 WHEN 3 THEN i4 WHEN 4 THEN i5
            WHEN 5 THEN i6 WHEN 6 THEN i7 ELSE i8 END AS yid
WHERE yid IS NOT NULL AND yid <> c.id
WITH DISTINCT c, act, d, zid, yid,
     CASE WHEN d > 1 THEN m1 END AS n1, CASE WHEN d > 2 THEN m2 END AS n2,
     CASE WHEN d > 3 THEN m3 END AS n3, CASE WHEN d > 4 THEN m4 END AS n4,
     CASE WHEN d > 5 THEN m5 END AS n5, CASE WHEN d > 6 THEN m6 END AS n6
MATCH (z:Organisation)-[last:ENGAGES]->(y:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE z.id = zid AND y.id = yid AND last.activity = act.id AND k.eea = false
WITH c, act, d, n1, n2, n3, n4, n5, n6, z, last, y, k,
     CASE WHEN coalesce(last.mechanism_date, $asOf) <= $asOf THEN last.mechanism ELSE 'none' END AS in_place
OPTIONAL MATCH (m:Mechanism) WHERE m.id = in_place
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
           WHEN m.kind = 'none' THEN '; the last hop records no transfer mechanism in place on the evaluation date.'
           ELSE '; the last hop relies on ' + m.label + '.'
         END AS reason,
       null AS legal_source,
       last.evidence AS evidence,
       c.name AS controller, act.name AS activity, z.name AS exporter, y.name AS importer,
       k.id AS destination, last.mechanism AS mechanism, last.source AS source, last.row AS row
