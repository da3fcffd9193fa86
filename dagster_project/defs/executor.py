"""Every run of this code location executes in one process, not only billing_job's.

The runs Dagster makes by itself (a backfill launched from the asset lineage page, a
"Materialize" of a few assets) use its implicit asset job; every step of those writes the
one DuckDB file too, so the `duckdb` pool runs them one at a time and a process per step
would only add a fresh import of the code location to each.
"""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=dg.in_process_executor)
