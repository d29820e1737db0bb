// Explorer query: how many controllers, activities and organisations the store holds.
MATCH (a:Activity)
WITH count(a) AS activities
OPTIONAL MATCH (c:Organisation)-[:CONTROLS]->(:Activity)
WITH activities, count(DISTINCT c) AS controllers
MATCH (o:Organisation)
RETURN activities, controllers, count(o) AS organisations
