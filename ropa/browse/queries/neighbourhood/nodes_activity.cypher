// Neighbourhood query: the Activity nodes $ids with their stored properties.
MATCH (n:Activity)
WHERE n.id IN $ids
RETURN n.id AS id, n.name AS name, n.controller AS controller, n.purpose AS purpose, n.legal_basis AS legal_basis, n.special_condition AS special_condition, n.retention AS retention, n.security_measures AS security_measures, n.source AS source, n.row AS row
