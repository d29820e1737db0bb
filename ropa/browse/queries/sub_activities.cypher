// Explorer query (part of a sub-network): the activities $ids, their controllers (CONTROLS),
// data categories (PROCESSES) and data subjects (CONCERNS) come with the next queries.
MATCH (a:Activity)
WHERE a.id IN $ids
RETURN a AS node
