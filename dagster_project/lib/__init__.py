"""Pure helpers (no Dagster objects): catalog schema, event landing SQL, dbt vars, money."""
