"""Every dbt model as a Dagster asset; dbt tests show as asset checks."""


import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.partitions import billing_days, single_run
from dagster_project.defs.resources import BillingPaths
from dagster_project.lib.dbt_vars import BillingWindow, dbt_vars


class SchemaQualifiedTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name] (`["billing", "invoices"]`), as analysts see them in the
    warehouse; sources keep dagster-dbt's [source, table] (`["raw", "events"]`).

    Only models whose dbt config says `meta: {dagster: {partitioned: true}}` (the billing
    marts: the invoices of each billing day) are partitioned by billing day. Staging and
    intermediate models are rebuilt whole by the same dbt invocation and materialize once
    per run: Dagster records one event per partition per partitioned asset, so a backfill
    over a year would otherwise write hundreds of thousands of events for tables that
    are not per-day anyway.
    """

    def get_partitions_def(self, dbt_resource_props: Mapping[str, Any]) -> dg.PartitionsDefinition | None:
        meta = {
            **(dbt_resource_props.get("meta") or {}),
            **((dbt_resource_props.get("config") or {}).get("meta") or {}),
        }
        return billing_days if (meta.get("dagster") or {}).get("partitioned") else None

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed"):
            name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([dbt_resource_props["schema"], name])
        return super().get_asset_key(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SchemaQualifiedTranslator(),
    backfill_policy=single_run,
    pool="duckdb",
)
def billing_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: BillingPaths):
    """Computes the invoices of every billing day in the run's window in one dbt build."""
    window = BillingWindow.from_time_window(*context.partition_time_window)
    # profiles.yml reads the warehouse path from BILLING_WAREHOUSE; dbt runs from
    # dbt_project/, so hand it the resolved absolute path.
    os.environ["BILLING_WAREHOUSE"] = str(paths.warehouse_path)
    args = ["build", "--vars", json.dumps(dbt_vars(window))]
    yield from dbt.cli(args, context=context).stream()
