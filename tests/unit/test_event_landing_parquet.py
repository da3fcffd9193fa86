"""Landing Parquet events: typed columns, hive folders, schemas that differ between files.

Each test writes its Parquet files with DuckDB so that the column types are in
the test itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.events import LandingStats, land_events
from dagster_project.lib.events_files import find_event_files
from dagster_project.lib.events_parquet import files_outside_window

MARCH_1_10H = datetime(2024, 3, 1, 10)


def write_parquet(data_dir: Path, relative: str, select_sql: str) -> None:
    path = data_dir / "events" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(f"copy ({select_sql}) to '{path}' (format parquet)")


def land(data_dir: Path) -> tuple[duckdb.DuckDBPyConnection, LandingStats]:
    con = duckdb.connect()
    return con, land_events(con, data_dir)


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    result = con.execute(f"select * from raw.{table} order by source_file, source_row")
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


REQUIRED = "'tr_' || i as transaction_id, 'sub_1' as external_subscription_id, 'api_calls' as code"


def test_parquet_in_hive_date_folders_lands_with_file_row_numbers(tmp_path: Path) -> None:
    for day in (1, 2):
        write_parquet(
            tmp_path,
            f"date=2024-03-0{day}/part-0.parquet",
            f"select {REQUIRED}, timestamp '2024-03-0{day} 10:00:00' + to_minutes(i) as timestamp "
            "from range(3) as t(i)",
        )
    con, stats = land(tmp_path)
    landed = [(e["source_file"], e["source_row"], e["timestamp"]) for e in rows(con, "events")]
    assert landed[:2] == [
        ("events/date=2024-03-01/part-0.parquet", 1, datetime(2024, 3, 1, 10, 0)),
        ("events/date=2024-03-01/part-0.parquet", 2, datetime(2024, 3, 1, 10, 1)),
    ]
    assert len(landed) == 6
    assert stats.events_by_date == {date(2024, 3, 1): 3, date(2024, 3, 2): 3}


def test_a_hive_partition_name_that_is_also_a_column_does_not_get_in_the_way(
    tmp_path: Path,
) -> None:
    write_parquet(
        tmp_path,
        "date=2024-03-01/code=api_calls/part-0.parquet",
        f"select {REQUIRED}, 'not a date' as date, 1709287200 as timestamp from range(1) as t(i)",
    )
    con, _ = land(tmp_path)
    [landed] = rows(con, "events")
    assert (landed["code"], landed["timestamp"]) == ("api_calls", MARCH_1_10H)


@pytest.mark.parametrize(
    ("name", "timestamp_sql", "expected"),
    [
        (
            "timestamp",
            "timestamp '2024-03-01 10:00:00.123456'",
            datetime(2024, 3, 1, 10, 0, 0, 123456),
        ),
        (
            "timestamp_ms",
            "cast(timestamp '2024-03-01 10:00:00.123' as timestamp_ms)",
            datetime(2024, 3, 1, 10, 0, 0, 123000),
        ),
        (
            "timestamp_ns",
            "cast(timestamp '2024-03-01 10:00:00.5' as timestamp_ns)",
            datetime(2024, 3, 1, 10, 0, 0, 500000),
        ),
        ("timestamptz", "timestamptz '2024-03-01 12:00:00+02:00'", MARCH_1_10H),
        ("bigint", "cast(1709287200 as bigint)", MARCH_1_10H),
        ("integer", "cast(1709287200 as integer)", MARCH_1_10H),
        ("double", "cast(1709287200.25 as double)", datetime(2024, 3, 1, 10, 0, 0, 250000)),
        (
            "decimal",
            "cast(1709287200.123456 as decimal(18, 6))",
            datetime(2024, 3, 1, 10, 0, 0, 123456),
        ),
        ("varchar_iso", "'2024-03-01T11:00:00+01:00'", MARCH_1_10H),
        ("varchar_naive", "'2024-03-01 10:00:00'", MARCH_1_10H),
        ("varchar_seconds", "'1709287200.5'", datetime(2024, 3, 1, 10, 0, 0, 500000)),
        ("date", "date '2024-03-01'", datetime(2024, 3, 1)),
    ],
)
def test_every_timestamp_column_type_lands_as_the_utc_instant(
    tmp_path: Path, name: str, timestamp_sql: str, expected: datetime
) -> None:
    write_parquet(
        tmp_path,
        f"{name}.parquet",
        f"select {REQUIRED}, {timestamp_sql} as timestamp from range(1) as t(i)",
    )
    con, _ = land(tmp_path)
    [landed] = rows(con, "events")
    assert landed["timestamp"] == expected
    assert landed["received_at"] == expected


def test_files_whose_timestamp_types_differ_are_read_in_separate_groups(tmp_path: Path) -> None:
    write_parquet(
        tmp_path, "a.parquet", f"select {REQUIRED}, 1709287200 as timestamp from range(2) as t(i)"
    )
    write_parquet(
        tmp_path,
        "b.parquet",
        f"select {REQUIRED}, '2024-03-01T10:00:00Z' as timestamp from range(2) as t(i)",
    )
    write_parquet(
        tmp_path,
        "c.parquet",
        f"select {REQUIRED}, timestamp '2024-03-01 10:00:00' as timestamp from range(2) as t(i)",
    )
    con, _ = land(tmp_path)
    landed = rows(con, "events")
    assert [e["source_file"] for e in landed] == ["events/a.parquet"] * 2 + [
        "events/b.parquet"
    ] * 2 + ["events/c.parquet"] * 2
    assert {e["timestamp"] for e in landed} == {MARCH_1_10H}


@pytest.mark.parametrize(
    ("properties_sql", "expected"),
    [
        ("{'region': 'eu', 'gb': 1.5}", {"region": "eu", "gb": 1.5}),
        ("map(['region'], ['eu'])", {"region": "eu"}),
        ('\'{"region": "eu"}\'', {"region": "eu"}),
        ('cast(\'{"region": "eu"}\' as json)', {"region": "eu"}),
        ("cast(null as varchar)", {}),
        ("''", {}),
    ],
)
def test_properties_as_struct_map_or_json_text_become_a_json_object(
    tmp_path: Path, properties_sql: str, expected: dict
) -> None:
    write_parquet(
        tmp_path,
        "p.parquet",
        f"select {REQUIRED}, 1709287200 as timestamp, {properties_sql} as properties from range(1) as t(i)",
    )
    con, _ = land(tmp_path)
    [landed] = rows(con, "events")
    assert json.loads(landed["properties"]) == expected


@pytest.mark.parametrize("properties_sql", ["'not json'", "'[1, 2]'", "[1, 2]"])
def test_properties_that_are_not_an_object_are_an_invalid_json_reject(
    tmp_path: Path, properties_sql: str
) -> None:
    write_parquet(
        tmp_path,
        "p.parquet",
        f"select {REQUIRED}, 1709287200 as timestamp, {properties_sql} as properties from range(1) as t(i)",
    )
    con, _ = land(tmp_path)
    [reject] = rows(con, "event_rejects")
    assert reject["error_code"] == "invalid_json"
    assert reject["event_date"] == date(2024, 3, 1)
    assert json.loads(reject["raw_payload"])["transaction_id"] == "tr_0"


def test_parquet_with_only_the_required_columns_lands(tmp_path: Path) -> None:
    write_parquet(
        tmp_path, "min.parquet", f"select {REQUIRED}, 1709287200 as timestamp from range(1) as t(i)"
    )
    con, _ = land(tmp_path)
    [landed] = rows(con, "events")
    assert landed["properties"] == "{}"
    assert landed["external_customer_id"] is None
    assert landed["precise_total_amount_cents"] is None


def test_a_missing_required_column_or_null_value_is_a_missing_field_reject(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        "no_code.parquet",
        "select 'tr_' || i as transaction_id, case when i = 0 then 'sub_1' end as external_subscription_id, "
        "1709287200 as timestamp from range(2) as t(i)",
    )
    con, _ = land(tmp_path)
    details = [
        (r["source_row"], r["error_code"], r["error_details"]) for r in rows(con, "event_rejects")
    ]
    assert details == [
        (1, "missing_field", "code is missing"),
        (2, "missing_field", "external_subscription_id is null; code is missing"),
    ]


def test_numeric_transaction_ids_land_as_text(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        "n.parquet",
        "select 1000 + i as transaction_id, 'sub_1' as external_subscription_id, 'c' as code, "
        "1709287200 as timestamp from range(2) as t(i)",
    )
    con, _ = land(tmp_path)
    assert [e["transaction_id"] for e in rows(con, "events")] == ["1000", "1001"]


@pytest.mark.parametrize(
    ("precise_sql", "kept"),
    [
        ("'10.1'", "10.1"),
        ("cast(10.10 as decimal(10, 2))", "10.10"),
        ("cast(250 as bigint)", "250"),
        ("'n/a'", None),
    ],
)
def test_precise_total_amount_cents_keeps_its_decimal_text(
    tmp_path: Path, precise_sql: str, kept: str | None
) -> None:
    write_parquet(
        tmp_path,
        "p.parquet",
        f"select {REQUIRED}, 1709287200 as timestamp, {precise_sql} as precise_total_amount_cents from range(1) as t(i)",
    )
    con, _ = land(tmp_path)
    [landed] = rows(con, "events")
    assert landed["precise_total_amount_cents"] == kept


def test_an_unreadable_timestamp_in_parquet_is_an_invalid_timestamp_reject(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        "t.parquet",
        f"select {REQUIRED}, case when i = 0 then 'soon' else '1709287200000' end as timestamp from range(2) as t(i)",
    )
    con, _ = land(tmp_path)
    assert [(r["source_row"], r["error_code"]) for r in rows(con, "event_rejects")] == [
        (1, "invalid_timestamp"),
        (2, "invalid_timestamp"),
    ]


def test_a_file_that_is_not_parquet_is_one_invalid_json_reject(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        "good.parquet",
        f"select {REQUIRED}, 1709287200 as timestamp from range(1) as t(i)",
    )
    (tmp_path / "events" / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    con, _ = land(tmp_path)
    [reject] = rows(con, "event_rejects")
    assert (reject["source_file"], reject["source_row"], reject["error_code"]) == (
        "events/broken.parquet",
        None,
        "invalid_json",
    )
    assert reject["error_details"].startswith("not a readable Parquet file")
    assert len(rows(con, "events")) == 1


def test_parquet_and_json_land_together(tmp_path: Path) -> None:
    write_parquet(
        tmp_path, "a.parquet", f"select {REQUIRED}, 1709287200 as timestamp from range(2) as t(i)"
    )
    (tmp_path / "events" / "b.jsonl").write_text(
        json.dumps(
            {
                "transaction_id": "tr_j",
                "external_subscription_id": "s",
                "code": "c",
                "timestamp": 1709287200,
            }
        )
    )
    con, stats = land(tmp_path)
    assert [e["source_file"] for e in rows(con, "events")] == ["events/a.parquet"] * 2 + [
        "events/b.jsonl"
    ]
    assert stats.files_read == 2


def test_a_full_row_group_of_parquet_after_json_stays_visible_to_every_scan(tmp_path: Path) -> None:
    # Regression: landing ran one INSERT per source inside the transaction; in this
    # DuckDB build an INSERT of no rows followed by one of a full row group (122,880
    # rows) left the later rows invisible to scans (counts from statistics still
    # said 130,000, so the test reads the rows).
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "a.jsonl").write_text("not json\n")
    write_parquet(
        tmp_path,
        "b.parquet",
        f"select {REQUIRED}, 1709287200 as timestamp from range(130000) as t(i)",
    )
    con = duckdb.connect()
    for _ in range(2):
        land_events(con, tmp_path)
        scanned = "select count(distinct transaction_id) from raw.events"
        assert con.execute(scanned).fetchone()[0] == 130000
        assert (
            con.execute(
                "select count(*) from raw.event_rejects where error_code = 'invalid_json'"
            ).fetchone()[0]
            == 1
        )


def test_columns_named_like_the_readers_own_do_not_get_in_the_way(tmp_path: Path) -> None:
    extra = "'export.csv' as filename, 100 + i as file_row_number"
    write_parquet(
        tmp_path,
        "a.parquet",
        f"select {REQUIRED}, {extra}, 1709287200 as timestamp from range(2) as t(i)",
    )
    write_parquet(
        tmp_path, "b.parquet", f"select {REQUIRED}, 1709287200 as timestamp from range(2) as t(i)"
    )
    con, _ = land(tmp_path)
    landed = [(e["source_file"], e["source_row"]) for e in rows(con, "events")]
    assert landed == [
        ("events/a.parquet", 1),
        ("events/a.parquet", 2),
        ("events/b.parquet", 1),
        ("events/b.parquet", 2),
    ]


def test_a_windowed_landing_skips_the_files_whose_footers_prove_no_event_in_it(
    tmp_path: Path,
) -> None:
    # march_1: every timestamp on 2024-03-01, typed: skipped when landing 2024-03-02.
    # late: in the 2024-03-01 folder, one event of 2024-03-02 (its statistics show it): read.
    # epoch: timestamps as epoch seconds (no timestamp statistics): always read.
    # undated: a null timestamp (an undated reject, replaced by every landing): always read.
    write_parquet(
        tmp_path,
        "date=2024-03-01/march_1.parquet",
        f"select {REQUIRED}, timestamp '2024-03-01 10:00:00' + to_hours(i) as timestamp "
        "from range(3) as t(i)",
    )
    write_parquet(
        tmp_path,
        "date=2024-03-01/late.parquet",
        f"select {REQUIRED}, timestamp '2024-03-01 23:00:00' + to_hours(i) as timestamp "
        "from range(2) as t(i)",
    )
    write_parquet(
        tmp_path,
        "epoch.parquet",
        f"select {REQUIRED}, 1709287200 + 86400 * i as timestamp from range(2) as t(i)",
    )
    write_parquet(
        tmp_path,
        "undated.parquet",
        f"select {REQUIRED}, cast(null as timestamp) as timestamp from range(1) as t(i)",
    )
    files = find_event_files(tmp_path)
    con = duckdb.connect()
    skipped = files_outside_window(con, files.parquet, date(2024, 3, 2), date(2024, 3, 3))
    assert {file.source_file for file in skipped} == {"events/date=2024-03-01/march_1.parquet"}

    # landing 2024-03-02 gives what reading every file gives: late's second event
    # (2024-03-02 00:00) and epoch's second (1709287200 + 86400 = 2024-03-02 10:00)
    con.execute("set TimeZone = 'UTC'")
    stats = land_events(con, tmp_path, (date(2024, 3, 2), date(2024, 3, 3)))
    landed = {(e["source_file"], e["timestamp"]) for e in rows(con, "events")}
    assert landed == {
        ("events/date=2024-03-01/late.parquet", datetime(2024, 3, 2, 0, 0)),
        ("events/epoch.parquet", datetime(2024, 3, 2, 10, 0)),
    }
    assert stats.rejects_by_code == {"invalid_timestamp": 1}  # the undated event, kept
