// Explorer query (part of a sub-network): the onward hops made on behalf of the activities $ids.
MATCH (e:Organisation)-[h:ENGAGES]->(o:Organisation)
WHERE h.activity IN $ids
RETURN e.id AS src, o.id AS dst, h AS rel
