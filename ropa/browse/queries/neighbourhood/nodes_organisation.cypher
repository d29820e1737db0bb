// Neighbourhood query: the Organisation nodes $ids with their stored properties.
MATCH (n:Organisation)
WHERE n.id IN $ids
RETURN n.id AS id, n.name AS name, n.country AS country, n.sector AS sector, n.dpf_certified AS dpf_certified, n.dpf_checked AS dpf_checked
