// Explorer query: data categories and data subjects by name (the graph page's filters).
MATCH (d:DataCategory)
RETURN 'categories' AS kind, d.id AS id, d.name AS name
UNION ALL
MATCH (s:DataSubject)
RETURN 'subjects' AS kind, s.id AS id, s.name AS name
