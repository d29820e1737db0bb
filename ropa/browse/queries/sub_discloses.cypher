// Explorer query (part of a sub-network): the first hops of the activities $ids.
MATCH (a:Activity)-[h:DISCLOSES_TO]->(o:Organisation)
WHERE a.id IN $ids
RETURN a.id AS src, o.id AS dst, h AS rel
