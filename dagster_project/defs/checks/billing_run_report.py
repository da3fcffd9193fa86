"""The billing run report: what the run issued and what it could not bill, on one
materialization a billing operator reads (and whose numbers Dagster plots run over run)."""

import dagster as dg

from dagster_project.defs.checks.billing_run_summary import render_markdown, summarize
from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.resources import Warehouse


@dg.asset(
    key=["billing", "run_report"],
    deps=[
        dg.AssetKey(["billing", "invoices"]),
        dg.AssetKey(["billing", "event_errors"]),
        dg.AssetKey(["raw", "event_rejects"]),
    ],
    group_name="billing",
    kinds={"python"},
    pool="duckdb",
)
def billing_run_report(context: dg.AssetExecutionContext, duckdb: Warehouse) -> dg.MaterializeResult:
    """Invoices issued on the run's billing days per currency and status with their totals
    (integer minor units), events landed and rejected for those days, late events
    (`late_for_finalized_invoice`) and every event error by code. Writes nothing."""
    window = run_billing_window(context)
    with duckdb.get_connection() as con:
        summary, skipped = summarize(con, window)
    for reason in skipped:
        context.log.warning(f"Billing run report: skipped {reason}")
    if not summary.issued:
        context.log.info(
            f"No invoice issued on {window.first_day}..{window.last_day}: no billing period "
            "of any subscription ended on these days."
        )
    totals = summary.totals_by_currency
    return dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.md(render_markdown(summary)),
            "billing_days": f"{window.first_day}..{window.last_day}",
            "invoices_issued": summary.invoices_issued,
            **{
                f"invoices_{status}": sum(count for (_, s), (count, _) in summary.issued.items() if s == status)
                for status in ("draft", "finalized", "voided")
            },
            **{f"total_amount_cents_{currency}": cents for currency, cents in totals.items()},
            "events_landed": summary.landed_in_window,
            "events_rejected": summary.rejected_in_window,
            "late_events": summary.late_events,
            "event_errors": sum(summary.event_errors_by_code.values()),
        }
    )
