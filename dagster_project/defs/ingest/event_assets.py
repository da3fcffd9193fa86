"""Event landing: raw usage event files into `raw.events`, one partition per event date."""


import dagster as dg

from dagster_project.defs.partitions import billing_days, single_run
from dagster_project.defs.resources import BillingPaths, Warehouse
from dagster_project.lib.dbt_vars import BillingWindow
from dagster_project.lib.events import land_events


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", "events"],
            group_name="ingest",
            description="Every parsed usage event, by UTC event date (partitions replaced on rerun).",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            key=["raw", "event_landings"],
            group_name="ingest",
            description="The landing that last replaced each event date (what dbt hashes again).",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            key=["raw", "event_rejects"],
            group_name="ingest",
            description="Events that could not be parsed (invalid_json, missing_field, invalid_timestamp).",
            kinds={"duckdb"},
        ),
    ],
    partitions_def=billing_days,
    backfill_policy=single_run,
    pool="duckdb",
    can_subset=False,
)
def raw_events(context: dg.AssetExecutionContext, paths: BillingPaths, duckdb: Warehouse):
    """Lands the event files of the run's billing days with DuckDB's readers. A malformed line
    is a reject with its reason; its neighbours still land."""
    window = BillingWindow.from_time_window(*context.partition_time_window)
    with duckdb.get_connection() as con:
        stats = land_events(con, paths.data_path, (window.first_day, window.end_exclusive))
    rejected = sum(stats.rejects_by_code.values())
    context.log.info(
        f"Landed {stats.events_landed} events from {stats.files_read} files for "
        f"{window.first_day}..{window.last_day}; {rejected} rejected {dict(stats.rejects_by_code)}"
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "events"],
        metadata={
            "dagster/row_count": stats.events_landed,
            "files_read": stats.files_read,
            "window": f"{window.first_day}..{window.last_day}",
        },
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "event_landings"],
        metadata={"dates_landed": len(stats.events_by_date)},
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "event_rejects"],
        metadata={
            "dagster/row_count": rejected,
            **{f"rejected_{code}": count for code, count in sorted(stats.rejects_by_code.items())},
        },
    )
