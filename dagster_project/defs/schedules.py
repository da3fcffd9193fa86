"""The nightly billing run: bills the billing day that has just ended."""

import dagster as dg

from dagster_project.defs.jobs import billing_job

billing_job_schedule = dg.build_schedule_from_partitioned_job(
    billing_job,
    name="billing_job_schedule",
    hour_of_day=0,
    minute_of_hour=15,
    description="Every night at 00:15 UTC, bills the billing day that just ended.",
)
