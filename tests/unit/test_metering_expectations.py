"""The Great Expectations suite over raw.events (dagster_project/defs/checks)."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest

from dagster_project.defs.checks.event_expectations import (
    EVENTS_FRAME_SQL,
    MAX_ROWS,
    SAMPLED_FRAME_SQL,
    _frame,
    count_sql,
    frame_sql,
    outcomes,
    report,
    validate,
)
from dagster_project.lib.raw_schema import create_table_sql

METRICS = [
    ("api_calls", "count_agg", None),
    ("storage_gb", "sum_agg", "gb"),
    ("active_users", "unique_count_agg", "user_id"),
]


def _warehouse(events: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(create_table_sql("events"))
    con.execute(create_table_sql("billable_metrics"))
    for code, aggregation_type, field_name in METRICS:
        con.execute(
            "insert into raw.billable_metrics (code, aggregation_type, field_name) "
            "values (?, ?, ?)",
            [code, aggregation_type, field_name],
        )
    for row, event in enumerate(events, start=1):
        con.execute(
            """insert into raw.events (transaction_id, external_subscription_id, code, "timestamp",
                   properties, received_at, source_file, source_row)
               values (?, ?, ?, ?, ?, ?, 'events.jsonl', ?)""",
            [
                event.get("transaction_id", f"t{row}"),
                event.get("external_subscription_id", "sub"),
                event.get("code", "api_calls"),
                event.get("timestamp", datetime(2024, 3, 1)),
                json.dumps(event.get("properties", {})),
                event.get("timestamp", datetime(2024, 3, 1)),
                row,
            ],
        )
    return con


def _failures(events: list[dict]) -> dict[tuple[str, str], str]:
    con = _warehouse(events)
    landed = con.execute("select count(*) from raw.events").fetchone()[0]
    frame = con.execute(frame_sql(landed)).df()
    lines = outcomes(validate(frame, [code for code, _, _ in METRICS]))
    return {(line.expectation, line.column): line.observed for line in lines if not line.success}


@pytest.fixture(scope="module")
def clean_events() -> list[dict]:
    return [
        {"code": "api_calls"},
        {"code": "storage_gb", "properties": {"gb": "1.5"}},
        {"code": "storage_gb", "properties": {"gb": 2}},
        {"code": "active_users", "properties": {"user_id": "u1"}},
    ]


def test_clean_events_meet_every_expectation(clean_events):
    assert _failures(clean_events) == {}


def test_an_unknown_code_and_a_non_numeric_property_fail_their_expectations(clean_events):
    failures = _failures(
        clean_events
        + [
            {"code": "api_call"},
            {"code": "storage_gb", "properties": {"gb": "1e3"}},
            {"code": "storage_gb", "properties": {}},
        ]
    )
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "code"),
        ("expect_column_values_to_match_regex", "numeric_property_text"),
    }
    assert failures[("expect_column_values_to_match_regex", "numeric_property_text")].startswith(
        "2 of 7 unexpected"
    )


def test_a_timestamp_outside_2000_to_2100_fails_the_range(clean_events):
    # what a producer sending 0, or milliseconds read as seconds (the year 56000), lands
    failures = _failures(clean_events + [{"timestamp": datetime(1970, 1, 1)}])
    assert set(failures) == {("expect_column_values_to_be_between", "timestamp")}


def test_more_than_one_percent_of_duplicates_fails_the_duplicate_rate(clean_events):
    duplicates = [{"transaction_id": "same"}] * 2  # 1 later duplicate in 6 events
    failures = _failures(clean_events + duplicates)
    assert set(failures) == {("expect_column_mean_to_be_between", "is_duplicate")}
    assert failures[("expect_column_mean_to_be_between", "is_duplicate")] == "observed 16.6667%"


def test_large_tables_are_sampled_reproducibly():
    assert frame_sql(MAX_ROWS) == EVENTS_FRAME_SQL
    assert frame_sql(MAX_ROWS + 1) == SAMPLED_FRAME_SQL
    assert "repeatable" in SAMPLED_FRAME_SQL


def test_the_report_says_what_was_validated(clean_events):
    con = _warehouse(clean_events)
    frame = con.execute(EVENTS_FRAME_SQL).df()
    lines = outcomes(validate(frame, ["api_calls"]))
    text = report(lines, validated=len(frame), landed=10_000_000)
    assert text.startswith("Validated 4 of 10,000,000 landed events (a reservoir sample")
    assert "| expect_column_values_to_be_in_set | code | **FAIL** |" in text


def test_a_run_validates_the_days_it_landed_and_counts_duplicates_of_earlier_days():
    con = _warehouse(
        [
            {"transaction_id": "t1", "timestamp": datetime(2024, 3, 1, 12)},
            {"transaction_id": "t9", "timestamp": datetime(2024, 3, 1, 13)},
            # landed on Mar 2: a resend of Mar 1's t1 (a duplicate), and a new t2
            {"transaction_id": "t1", "timestamp": datetime(2024, 3, 2, 8)},
            {"transaction_id": "t2", "timestamp": datetime(2024, 3, 2, 9)},
            {"transaction_id": "t3", "timestamp": datetime(2024, 3, 3, 0)},
        ]
    )
    days = (date(2024, 3, 2), date(2024, 3, 2))
    assert con.execute(count_sql(days)).fetchone()[0] == 2
    frame = con.execute(frame_sql(2, days)).df()
    assert sorted(zip(frame.transaction_id, frame.is_duplicate, strict=True)) == [("t1", 1), ("t2", 0)]
    # without days: the whole history, 5 events, the same one duplicate
    assert con.execute(count_sql()).fetchone()[0] == 5
    assert con.execute(frame_sql(5)).df().is_duplicate.sum() == 1


def test_a_sample_is_flagged_against_every_event_not_only_the_sampled_ones():
    # 40 events: t0..t19 each sent twice, the copy received an hour later (20 duplicates).
    # A sample of 10 rows: each sampled copy is a duplicate exactly when it is the later
    # one, whether or not the first copy was sampled too.
    events = []
    for number in range(20):
        first = datetime(2024, 3, 1, 0, number)
        events.append({"transaction_id": f"t{number}", "timestamp": first})
        events.append({"transaction_id": f"t{number}", "timestamp": first.replace(hour=1)})
    con = _warehouse(events)
    sampled = con.execute(_frame(sample_rows=10)).df()
    assert len(sampled) == 10
    assert 0 < sampled.is_duplicate.sum() < 10  # both kinds are in this sample
    for transaction_id, timestamp, is_duplicate in zip(
        sampled.transaction_id, sampled.timestamp, sampled.is_duplicate, strict=True
    ):
        assert is_duplicate == (1 if timestamp.hour == 1 else 0), transaction_id
    # the whole frame: 20 of 40 are later copies
    assert con.execute(EVENTS_FRAME_SQL).df().is_duplicate.sum() == 20
