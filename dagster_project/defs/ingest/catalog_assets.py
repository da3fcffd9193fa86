"""Catalog landing: every catalog file into `raw.*`, validated before anything is written."""


import dagster as dg

from dagster_project.defs.resources import BillingPaths, Warehouse
from dagster_project.lib.catalog import read_catalog, write_catalog
from dagster_project.lib.raw_schema import CATALOG_TABLES


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", table],
            group_name="ingest",
            description=(
                f"Catalog kind `{table}` as loaded from the catalog files. Not partitioned: "
                "the catalog is the configuration as of the run and is replaced whole."
            ),
            kinds={"duckdb"},
        )
        for table in CATALOG_TABLES
    ],
    pool="duckdb",
    can_subset=False,
)
def raw_catalog(context: dg.AssetExecutionContext, paths: BillingPaths, duckdb: Warehouse):
    """Reads every catalog file, validates the whole catalog (all errors at once, each naming
    file, object and field) and only then replaces the `raw` catalog tables."""
    catalog = read_catalog(paths.data_path)
    for warning in catalog.warnings:
        context.log.warning(warning)
    with duckdb.get_connection() as con:
        counts = write_catalog(con, catalog)
    for table in CATALOG_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            metadata={"dagster/row_count": counts.get(table, 0), "warnings": len(catalog.warnings)},
        )
