"""The readers' copy of the warehouse, published atomically at the end of a successful run."""

import dagster as dg

from dagster_project.defs.billing.dbt_assets import billing_models
from dagster_project.defs.payments.assets import STATUS_KEY
from dagster_project.defs.resources import BillingPaths, Warehouse
from dagster_project.lib.publish import PUBLISHED_SCHEMAS, publish

# Everything the copy holds (every dbt model of the published schemas, the payment ledger)
# and everything that reads the warehouse after dbt: the copy is published only once all of
# them have succeeded in the run, so readers never see a state a failed step left.
PUBLISHED_DEPS = sorted(
    [key for key in billing_models.keys if key.path[0] in PUBLISHED_SCHEMAS]
    + [
        STATUS_KEY,
        dg.AssetKey(["payments", "attempts"]),
        dg.AssetKey(["payments", "payments"]),
        dg.AssetKey(["analytics", "report"]),
        dg.AssetKey(["documents", "invoices"]),
    ],
    key=lambda key: key.to_user_string(),
)


@dg.asset(
    key=["warehouse", "published"],
    deps=PUBLISHED_DEPS,
    group_name="publish",
    kinds={"duckdb"},
    pool="duckdb",
)
def published_warehouse(
    context: dg.AssetExecutionContext, paths: BillingPaths, duckdb: Warehouse
) -> dg.MaterializeResult:
    """Copies the `billing`, `analytics` and `payments` schemas into the readers' DuckDB file
    (BILLING_PUBLISHED_WAREHOUSE, default `<warehouse>_published.duckdb`) and swaps it in
    with one atomic rename: analysts query that file, read-only, while runs write the working
    warehouse; they see the previous run's state or this one's, never a half-written one."""
    target = paths.published_warehouse_path
    with duckdb.get_connection() as con:
        result = publish(con, target)
    for schema in result.missing_schemas:
        context.log.warning(f"schema {schema} is not in the warehouse yet: not published")
    context.log.info(f"Published {len(result.rows_by_table)} tables to {result.path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": len(result.rows_by_table),
            "rows_by_table": dg.MetadataValue.json(result.rows_by_table),
            "invoices": result.rows_by_table.get("billing.invoices", 0),
        }
    )
