"""Storage: the schema, the engine, migrations. Thin and shared by every area."""
