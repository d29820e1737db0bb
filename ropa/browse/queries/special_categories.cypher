// Explorer query: the activities that process special-category (Art. 9) or criminal-offence (Art. 10)
// data, one row per (activity, such data category), with the Art. 9(2) condition the register records.
MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)-[:PROCESSES]->(d:DataCategory)
WHERE d.special IS NOT NULL AND d.special <> ''
RETURN a.id AS activity_id, a.name AS activity, c.id AS controller_id, c.name AS controller,
       a.special_condition AS special_condition, a.legal_basis AS legal_basis, d.name AS category,
       d.special AS special, d.article AS article
ORDER BY controller, activity, category
