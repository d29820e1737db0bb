// title: Incomplete Art. 30 record
// severity: low
// article: GDPR Art. 30(1)
// legal_source: GDPR Art. 30(1)(b)-(g); Art. 6(1) (legal basis); Art. 9(2) (condition for special-category data)
// remediation: Complete the record: state the missing field for this activity.
// judges: record
MATCH (c:Organisation)-[:CONTROLS]->(act:Activity)
OPTIONAL MATCH (act)-[:CONCERNS]->(s:DataSubject)
WITH c, act, count(s) AS subjects
OPTIONAL MATCH (act)-[:PROCESSES]->(d:DataCategory)
WITH c, act, subjects, count(d) AS categories, count(d.article) AS special
OPTIONAL MATCH (act)-[r:DISCLOSES_TO]->(:Organisation)
WITH c, act, subjects, categories, special, count(r) AS recipients
UNWIND [
  CASE WHEN coalesce(act.purpose, '') = '' THEN 'purpose (Art. 30(1)(b))' END,
  CASE WHEN coalesce(act.legal_basis, '') = '' THEN 'legal basis (Art. 6(1))' END,
  CASE WHEN subjects = 0 THEN 'categories of data subjects (Art. 30(1)(c))' END,
  CASE WHEN categories = 0 THEN 'categories of personal data (Art. 30(1)(c))' END,
  CASE WHEN recipients = 0 THEN 'recipients (Art. 30(1)(d))' END,
  CASE WHEN coalesce(act.retention, '') = '' THEN 'retention period (Art. 30(1)(f))' END,
  CASE WHEN coalesce(act.security_measures, '') = '' THEN 'security measures (Art. 30(1)(g))' END,
  CASE WHEN special > 0 AND coalesce(act.special_condition, '') = '' THEN 'Art. 9(2) condition for its special-category data' END
] AS missing
WITH c, act, missing
WHERE missing IS NOT NULL
RETURN 'incomplete_record' AS rule,
       'low' AS severity,
       act.name AS subject,
       [c.name] AS path,
       'The record of "' + act.name + '" does not state its ' + missing + '.' AS reason,
       null AS legal_source,
       null AS evidence,
       c.name AS controller, act.name AS activity, null AS exporter, null AS importer,
       null AS destination, null AS mechanism, act.source AS source, act.row AS row
