"""Open data: the public catalog for outside tools (DCAT-AP, CKAN, Frictionless)."""
