// Neighbourhood query: which of the organisations $ids control an activity.
MATCH (o:Organisation)-[:CONTROLS]->(:Activity)
WHERE o.id IN $ids
RETURN DISTINCT o.id AS id
