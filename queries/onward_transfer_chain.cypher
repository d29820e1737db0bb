// title: Sub-processor chain leaves the EEA
// severity: high / medium
// article: GDPR Art. 44, 28(2), 28(4); SCC 2021/914 Clause 8.8 (onward transfers), Clause 9 (sub-processors)
// legal_source: GDPR Art. 44 (onward transfers must keep the level of protection); Art. 28(4) (sub-processors); EDPB Recommendations 01/2020, step 1 (map onward transfers)
// remediation: Check that each hop of the chain has a valid transfer basis flowed down from the processor (SCC Module 3 or adequacy) and that the sub-processor is on the approved list (SCC Annex III).
// judges: transfer
// The chain of each hop is stored on it (ENGAGES.via: the names of the organisations o1..z, joined by
// U+001F into one text, through which
// the activity's data reach the engager z, o1 a recipient the activity discloses to; the shortest,
// then the smallest names; never through y; at most 7; null when the data never reach z), computed
// once whenever the store is written (ropa.model.engagement_chains). So this is one scan of the
// hops instead of a walk of every chain hop by hop. A hop into the controller itself is not an
// onward transfer (y.id <> c.id); an activity with two controllers gives each its own finding.
// Adequacy depends only on the destination and on whether the importer is DPF-certified (a
// 'dpf_certified' decision covers certified importers only), so the countries adequate on the
// evaluation date are listed once, for both cases, before the hops are read (not once per hop; and
// not as a row per country joined to the hops: LadybugDB then hashed all the hops to join them to
// those few rows, 1.5x the time at a million relationships). The path and the adequacy are computed
// where they are used, not in a WITH of their own (each WITH holds every row once more).
// LadybugDB spends most of this rule computing the returned columns, so they are written to cost
// little: the severity is one condition (with m null, m.kind = 'none' and m.invalid_from <= $asOf are
// null, which CASE takes as false); the reason asks once whether m is null.
OPTIONAL MATCH (ad:Adequacy)-[:COVERS]->(ka:Country)
WHERE ad.valid_from <= $asOf AND coalesce(ad.valid_until, $asOf) >= $asOf
WITH collect(CASE WHEN ad.scope_kind <> 'dpf_certified' THEN ka.id END) AS adequate_plain,
     collect(ka.id) AS adequate_certified
MATCH (z:Organisation)-[last:ENGAGES]->(y:Organisation)-[:PROCESSES_IN]->(k:Country)
WHERE last.via IS NOT NULL AND k.eea = false
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)
WHERE act.id = last.activity AND y.id <> c.id
// A mechanism dated after the evaluation date was not in place then: the hop had none. (Decided in a WITH:
// LadybugDB drops an OPTIONAL MATCH's condition on an outer variable's property.)
WITH c, act, z, last, y, k,
     CASE WHEN coalesce(last.mechanism_date, $asOf) <= $asOf THEN last.mechanism ELSE 'none' END AS in_place,
     k.id IN CASE WHEN coalesce(y.dpf_certified, false) THEN adequate_certified ELSE adequate_plain END AS adequate
OPTIONAL MATCH (m:Mechanism) WHERE m.id = in_place
RETURN 'onward_transfer_chain' AS rule,
       CASE WHEN (m IS NULL AND NOT adequate) OR m.kind = 'none' OR m.invalid_from <= $asOf THEN 'high' ELSE 'medium' END AS severity,
       y.name AS subject,
       [c.name] + split(last.via, '\u001F') + [y.name] AS path,
       'Data of "' + act.name + '" reach ' + y.name + ' in ' + k.name + ' through the sub-processor chain of ' +
         z.name + CASE
           WHEN m IS NULL THEN CASE WHEN adequate THEN '; the last hop relies on the adequacy of the destination.'
                                    ELSE '; the last hop records no transfer mechanism.' END
           WHEN m.kind = 'none' THEN '; the last hop records no transfer mechanism in place on the evaluation date.'
           ELSE '; the last hop relies on ' + m.label + '.'
         END AS reason,
       null AS legal_source,
       last.evidence AS evidence,
       c.name AS controller, act.name AS activity, z.name AS exporter, y.name AS importer,
       k.id AS destination, last.mechanism AS mechanism, last.source AS source, last.row AS row
