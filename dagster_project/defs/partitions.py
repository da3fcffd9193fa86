"""Billing-day partitions: one partition per day on which invoices are issued."""

import dagster as dg

# UTC days. Partition D covers the run that acts as of the end of day D.
billing_days = dg.DailyPartitionsDefinition(start_date="2020-01-01", timezone="UTC")

# A backfill over any range of billing days runs as one run (one dbt invocation).
single_run = dg.BackfillPolicy.single_run()
