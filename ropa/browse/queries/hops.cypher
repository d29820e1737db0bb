// Explorer query (not a rule): every hop (DISCLOSES_TO from an activity, ENGAGES between
// organisations on an activity's behalf) with its controller, activity, exporter and
// importer, one row per hop. The explorer lays the rule pack's findings on these rows to
// get each transfer's verdict, the map and the transfer table without loading the graph.
// No expression twice in this first part's RETURN (coalesce(a.id, '') for src_id, coalesce(c.name, '') for the
// exporter): LadybugDB makes such columns one, and the onward hops' engager then read as the activity and
// the controller (ropa.backends.dialect.union_repeats).
MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)-[h:DISCLOSES_TO]->(o:Organisation)
RETURN 'DISCLOSES_TO' AS type, coalesce(a.id, '') AS src_id, c.id AS controller_id, c.name AS controller,
       a.id AS activity_id, a.name AS activity, h.exporter AS exporter_id, coalesce(c.name, '') AS exporter,
       o.id AS importer_id, o.name AS importer, h.role AS role, h.mechanism AS mechanism,
       h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date, h.evidence AS evidence,
       h.source AS source, h.row AS row
UNION ALL
MATCH (e:Organisation)-[h:ENGAGES]->(o:Organisation)
MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)
WHERE a.id = h.activity
RETURN 'ENGAGES' AS type, e.id AS src_id, c.id AS controller_id, c.name AS controller,
       a.id AS activity_id, a.name AS activity, h.exporter AS exporter_id, e.name AS exporter,
       o.id AS importer_id, o.name AS importer, h.role AS role, h.mechanism AS mechanism,
       h.mechanism_raw AS mechanism_raw, h.mechanism_date AS mechanism_date, h.evidence AS evidence,
       h.source AS source, h.row AS row
