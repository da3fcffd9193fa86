"""The Dagster definitions load, and are shaped as STYLE.md and the foundation issue ask."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.definitions import defs as lazy_defs


@pytest.fixture(scope="module")
def defs(monkeypatch_module) -> dg.Definitions:
    return lazy_defs()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "BILLING_DATA_DIR": "data",
            "BILLING_WAREHOUSE": "data/warehouse.duckdb",
            "BILLING_OUTPUT_DIR": "data/invoices",
        }.items():
            patch.setenv(name, value)
        yield patch


def test_definitions_validate(defs):
    dg.Definitions.validate_loadable(defs)


def test_landing_assets_are_keyed_by_raw_table(defs):
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/events", "raw/event_rejects", "raw/plans", "raw/subscriptions"} <= keys
    assert {"billing/invoices", "billing/fees", "billing/event_errors"} <= keys


def test_billing_job_backfills_a_range_in_one_run(defs):
    job = defs.resolve_job_def("billing_job")
    assert job.partitions_def is not None
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable and node.partitions_def is not None:
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_only_the_event_landing_is_partitioned(defs):
    """Per-day replacement is real only for landed events; the rest is a snapshot as of
    the run's last billing day (defs/partitions.py)."""
    graph = defs.resolve_asset_graph()
    partitioned = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable and graph.get(key).partitions_def is not None
    }
    assert partitioned == {"raw/events", "raw/event_landings", "raw/event_rejects"}


def test_every_warehouse_writer_runs_in_the_duckdb_pool(defs):
    job = defs.resolve_job_def("billing_job")
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools and all(pool == "duckdb" for pool in pools.values()), pools


def test_the_nightly_schedule_targets_the_billing_job(defs):
    schedule = defs.resolve_schedule_def("billing_job_schedule")
    assert schedule.job_name == "billing_job"
    # Hourly: each tick bills the day that just ended in the organization's timezone, once
    # (defs/schedules.py); a fixed nightly UTC cron would bill New York's day four hours early.
    assert schedule.cron_schedule == "15 * * * *"


def test_the_event_files_sensor_targets_the_billing_job(defs):
    assert defs.resolve_sensor_def("event_files_sensor").job_name == "billing_job"
