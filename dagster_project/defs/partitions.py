"""Billing days: the partitions of event landing, and the window every other asset acts on.

Only the event landing (`raw/events`, `raw/event_landings`, `raw/event_rejects`) is
partitioned by billing day: it really replaces one day of events per partition.
Everything downstream (the dbt models, documents, payments, analytics) is a snapshot of
the whole history *as of* the end of the run's last billing day, rebuilt whole by one dbt
invocation: partitioning those would claim per-day materializations that do not exist,
and would cost Dagster one event per partition per asset and one planned check row per
partition per dbt test (a three-year backfill spent minutes writing them).
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from dagster_project.lib.dbt_vars import BillingWindow

# UTC days. Partition D covers the run that acts as of the end of day D.
billing_days = dg.DailyPartitionsDefinition(start_date="2020-01-01", timezone="UTC")

# A backfill over any range of billing days runs as one run (one dbt invocation).
single_run = dg.BackfillPolicy.single_run()

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# The billing days of a run of the unpartitioned assets only (the second run of `billing run`).
FIRST_DAY_TAG = "ratebook/first_billing_day"
LAST_DAY_TAG = "ratebook/last_billing_day"
LANDING_KEY = dg.AssetKey(["raw", "events"])


class NoBillingDayError(dg.Failure):
    pass


def window_from_tags(tags: dict[str, str]) -> BillingWindow | None:
    """The billing days a run was launched for: a partition range (a single-run backfill,
    the landing run of `billing run`), one partition (the nightly schedule, a one-day
    launch) or ratebook's own tags (the billing run of `billing run`)."""
    if FIRST_DAY_TAG in tags and LAST_DAY_TAG in tags:
        return BillingWindow(date.fromisoformat(tags[FIRST_DAY_TAG]), date.fromisoformat(tags[LAST_DAY_TAG]))
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return BillingWindow(date.fromisoformat(tags[RANGE_START_TAG]), date.fromisoformat(tags[RANGE_END_TAG]))
    if PARTITION_TAG in tags:
        day = date.fromisoformat(tags[PARTITION_TAG])
        return BillingWindow(day, day)
    return None


def run_billing_window(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> BillingWindow:
    """The window a downstream asset acts on.

    A run launched for billing days acts as of its last one. A run launched without any
    (one asset materialized on its own in the UI, the second run of a UI backfill, which
    Dagster gives to the unpartitioned assets) acts as of the latest billing day whose
    events have been landed: the warehouse's current state.
    """
    window = window_from_tags(dict(context.run.tags))
    if window is not None:
        return window
    landed = context.instance.get_materialized_partitions(LANDING_KEY)
    if not landed:
        raise NoBillingDayError(
            description="No billing day to act as of: this run names no billing day and no "
            "event partition has been landed yet. Launch billing_job for the billing days "
            "to bill (Materialize > choose partitions), or run `billing run --through DAY`."
        )
    last = date.fromisoformat(max(landed))
    context.log.info(f"No billing day in the run's tags: acting as of the latest landed one, {last}")
    return BillingWindow(last, last)
