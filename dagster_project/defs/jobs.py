"""The billing job: land the catalog and events, then bill, for a range of billing days."""

import dagster as dg

billing_job = dg.define_asset_job(
    name="billing_job",
    selection=dg.AssetSelection.all(),
    description="Lands catalog and events and computes every invoice of the selected billing days.",
)
