"""The Great Expectations suite over `raw.events` as a Dagster asset check."""

import dagster as dg

from dagster_project.defs.checks.event_expectations import (
    count_sql,
    frame_sql,
    outcomes,
    report,
    validate,
)
from dagster_project.defs.partitions import window_from_tags
from dagster_project.defs.resources import Warehouse


@dg.asset_check(
    asset=dg.AssetKey(["raw", "events"]),
    name="raw_events_expectations",
    description=(
        "Great Expectations over the landed events: required fields, timestamps within "
        "2000-2100, known metric codes, plain-decimal numeric aggregation properties, at most "
        "1% duplicate transaction ids. Checks the event days the run landed (all events "
        "when it names none); duplicates count against every earlier event. Warns (bad "
        "events are quarantined, the run goes on)."
    ),
    additional_deps=[dg.AssetKey(["raw", "billable_metrics"])],
    pool="duckdb",
    blocking=False,
)
def raw_events_expectations(
    context: dg.AssetCheckExecutionContext, duckdb: Warehouse
) -> dg.AssetCheckResult:
    window = window_from_tags(dict(context.run.tags))
    days = (window.first_day, window.last_day) if window is not None else None
    with duckdb.get_connection() as con:
        landed = con.execute(count_sql(days)).fetchone()[0]
        metrics = con.execute("select code from raw.billable_metrics").fetchall()
        metric_codes = [code for (code,) in metrics]
        frame = con.execute(frame_sql(landed, days)).df()
    lines = outcomes(validate(frame, metric_codes))
    failed = [line for line in lines if not line.success]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "Every expectation holds." if not failed
            else "Failed: " + "; ".join(f"{line.expectation} on {line.column}" for line in failed)
        ),
        metadata={
            "expectations": dg.MetadataValue.md(report(lines, len(frame), landed)),
            "events_landed": landed,
            "events_validated": len(frame),
            "failed_expectations": len(failed),
        },
    )
