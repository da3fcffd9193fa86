"""The raw/events expectations as a Dagster asset check: it validates the days its run landed."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from dagster_project.defs.checks.raw_events_check import raw_events_expectations
from dagster_project.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
from dagster_project.defs.resources import Warehouse
from dagster_project.lib.raw_schema import create_table_sql


def _warehouse(path) -> None:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(create_table_sql("events"))
        con.execute(create_table_sql("billable_metrics"))
        con.execute("insert into raw.billable_metrics (code, aggregation_type) values ('calls', 'count_agg')")
        for row, (transaction_id, timestamp) in enumerate(
            [
                ("t1", datetime(2024, 3, 1, 12)),
                ("t1", datetime(2024, 3, 2, 8)),  # a resend of Mar 1's event: a duplicate
                ("t2", datetime(2024, 3, 2, 9)),
                ("t3", datetime(2024, 3, 3, 9)),
            ],
            start=1,
        ):
            con.execute(
                """insert into raw.events (transaction_id, external_subscription_id, code,
                       "timestamp", properties, received_at, source_file, source_row)
                   values (?, 'sub', 'calls', ?, '{}', ?, 'events.jsonl', ?)""",
                [transaction_id, timestamp, timestamp, row],
            )


@dg.asset(key=["raw", "events"])
def _raw_events() -> None:
    """Stands in for the landing asset: the events are in the warehouse already."""


@dg.asset(key=["raw", "billable_metrics"])
def _raw_billable_metrics() -> None:
    """Stands in for the catalog asset."""


def _check(tmp_path, tags: dict[str, str]) -> dg.AssetCheckEvaluation:
    database = tmp_path / "warehouse.duckdb"
    _warehouse(database)
    result = dg.materialize(
        [_raw_events, _raw_billable_metrics, raw_events_expectations],
        resources={"duckdb": Warehouse(database=str(database))},
        tags=tags,
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_a_landing_run_checks_its_days_and_the_duplicates_of_earlier_ones(tmp_path):
    evaluation = _check(tmp_path, {RANGE_START_TAG: "2024-03-02", RANGE_END_TAG: "2024-03-02"})
    # Mar 2 holds 2 events, one a duplicate of Mar 1's: a rate of 50 % fails the 1 % limit
    assert evaluation.metadata["events_landed"].value == 2
    assert evaluation.metadata["events_validated"].value == 2
    assert not evaluation.passed


def test_a_run_naming_no_day_checks_the_whole_history(tmp_path):
    evaluation = _check(tmp_path, {})
    assert evaluation.metadata["events_landed"].value == 4
