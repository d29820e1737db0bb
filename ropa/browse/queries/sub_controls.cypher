// Explorer query (part of a sub-network): the CONTROLS relationships into the activities $ids.
MATCH (c:Organisation)-[r:CONTROLS]->(a:Activity)
WHERE a.id IN $ids
RETURN c.id AS src, a.id AS dst, r.joint AS joint
