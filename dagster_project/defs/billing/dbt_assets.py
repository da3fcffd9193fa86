"""Every dbt model as a Dagster asset; dbt tests show as asset checks."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.resources import BillingPaths
from dagster_project.lib import dbt_target
from dagster_project.lib.dbt_vars import dbt_window_env


# dbt's target folder: one folder per invocation, and the parses kept for the next one
# (lib/dbt_target.py).
TARGET_DIR = Path(dbt_project.project_dir) / "target"
PARSES_KEPT = TARGET_DIR / "parses_by_profile"


class SchemaQualifiedTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name] (`["billing", "invoices"]`), as analysts see them in the
    warehouse; sources keep dagster-dbt's [source, table] (`["raw", "events"]`).

    No model is partitioned: every model is rebuilt whole as of the run's last billing day
    (see defs/partitions.py).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed"):
            name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([dbt_resource_props["schema"], name])
        return super().get_asset_key(dbt_resource_props)


class BillingModelsConfig(dg.Config):
    full_refresh: bool = False
    """Pass dbt's `--full-refresh`: rebuild every incremental model from raw data too. The
    three event-grain models are incremental (macros/event_increments.sql: a run computes
    again only the events it can change, and every row when it cannot tell); every other
    model is a table rebuilt whole on each run already. The ledger's tables of finalized
    invoices are not models and survive it."""
    event_grain_tests: bool = False
    """Run the dbt tests over every event (tag `event_grain`) on a one-day run too. Runs over
    several billing days (backfills, re-bills) and full refreshes always run them."""


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SchemaQualifiedTranslator(),
    pool="duckdb",
)
def billing_models(
    context: dg.AssetExecutionContext,
    config: BillingModelsConfig,
    dbt: DbtCliResource,
    paths: BillingPaths,
):
    """Computes the invoices as of the run's last billing day in one dbt build."""
    window = run_billing_window(context)
    # profiles.yml reads the warehouse path from BILLING_WAREHOUSE; dbt runs from
    # dbt_project/, so hand it the resolved absolute path.
    os.environ["BILLING_WAREHOUSE"] = str(paths.warehouse_path)
    if context.is_subset:
        # A subset (some models picked in the UI, a split backfill): run only the tests
        # whose every parent is built, not a relationship test against a model this run
        # leaves out (dbt's default `eager` would, and fail on a fresh warehouse).
        os.environ.setdefault("DBT_INDIRECT_SELECTION", "cautious")
    # dbt's log file (dbt.log in the invocation's target folder) at info: a line per model
    # and test and what the macros report. dbt's default, debug, also writes every SQL
    # statement, about 2 s of dbt's own Python in each run (the SQL run is kept in the
    # folder's run/ anyway). DBT_LOG_LEVEL_FILE=debug in the environment brings them back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    # dbt unit tests check the SQL, not the data: they run in the test suite
    # (tests/integration/test_end_to_end.py), not in every billing run (~9 s each).
    # The window travels in environment variables, not --vars: a --vars that changes every
    # run makes dbt parse the whole project again (~7 s); these are read only at execution.
    os.environ.update(dbt_window_env(window))
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        context.log.info("full_refresh: dbt rebuilds every incremental model from raw data")
        args.append("--full-refresh")
    elif window.first_day == window.last_day and not config.event_grain_tests:
        # The dbt tests over every event (tag event_grain: uniqueness of event ids, each
        # event in one bucket...) check how the models are written, and re-reading the whole
        # history costs a nightly run as much as its models (52 to 69 s at 10M events). A
        # one-day run skips them; a backfill, a re-bill and the test suite run them.
        context.log.info(
            "One billing day: dbt tests over every event (tag event_grain) are skipped; "
            "a run over several days, or event_grain_tests: true, runs them"
        )
        args += ["--exclude", "tag:event_grain"]
    # dagster-dbt's own naming: target/billing_models-<run>-<random>, one folder per invocation.
    target_path = TARGET_DIR / (
        f"{dbt_target.INVOCATION_PREFIX}{context.run_id[:7]}-{secrets.token_hex(4)}"
    )
    connection = _reuse_earlier_parse(context, target_path)
    try:
        yield from dbt.cli(args, context=context, target_path=target_path).stream()
    finally:
        if connection is not None:
            _keep_parse(context, target_path, connection)
        deleted = dbt_target.prune_invocations(TARGET_DIR)
        if deleted:
            context.log.info(
                f"Deleted {len(deleted)} old dbt invocation folder(s) from {TARGET_DIR} "
                f"(the newest {dbt_target.KEEP_INVOCATIONS} are kept)"
            )


def _reuse_earlier_parse(context: dg.AssetExecutionContext, target_path: Path):
    """Starts dbt from the last parse made with this profile whatever the warehouse path
    (lib/dbt_target.py): dbt then parses only the files changed since, instead of
    everything (about 5 s) each time the warehouse differs from the last one's."""
    try:
        connection = dbt_target.profile_connection(Path(dbt_project.project_dir))
        source = dbt_target.seed(target_path, PARSES_KEPT, connection)
    except Exception as error:  # noqa: BLE001 - dbt parses in full instead: slower, not wrong
        context.log.warning(f"dbt parses the whole project: no earlier parse reused ({error!r})")
        return None
    if source is not None:
        context.log.info(f"dbt starts from its parse kept in {source} (only changed files parsed)")
    return connection


def _keep_parse(context: dg.AssetExecutionContext, target_path: Path, connection) -> None:
    try:
        dbt_target.keep(target_path, PARSES_KEPT, connection)
    except OSError as error:
        context.log.warning(f"dbt's parse not kept for the next run ({error!r})")
