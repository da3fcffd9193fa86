"""Replacing event dates: idempotent reruns, half-open windows, rejects, stats, the earliest date."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import events as events_module
from dagster_project.lib.events import earliest_event_date, land_events

MARCH_1 = 1709251200  # 2024-03-01T00:00:00Z
DAY = 86400


def write_events(data_dir: Path, relative: str, lines: list[str]) -> None:
    path = data_dir / "events" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def event(transaction_id: str, day: int, **fields: object) -> str:
    body = {
        "transaction_id": transaction_id,
        "external_subscription_id": "sub_1",
        "code": "api_calls",
        "timestamp": MARCH_1 + day * DAY + 3600,
        **fields,
    }
    return json.dumps(body)


def table(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return con.execute(f"select * from raw.{name} order by source_file, source_row").fetchall()


@pytest.fixture
def march(tmp_path: Path) -> Path:
    """Events on March 1st to 4th, one undated reject and one dated reject on March 2nd."""
    write_events(
        tmp_path,
        "march.jsonl",
        [
            event("tr_1", 0),
            event("tr_2", 1),
            event("tr_3", 2),
            event("tr_4", 3),
            "{not json",
            event("tr_6", 1, code=""),
        ],
    )
    return tmp_path


def test_landing_twice_gives_identical_rows(march: Path) -> None:
    con = duckdb.connect()
    land_events(con, march)
    first = (table(con, "events"), table(con, "event_rejects"))
    land_events(con, march)
    assert (table(con, "events"), table(con, "event_rejects")) == first
    assert len(first[0]) == 4


def test_landing_a_window_replaces_its_dates_and_leaves_the_others_untouched(march: Path) -> None:
    con = duckdb.connect()
    land_events(con, march)
    write_events(march, "march.jsonl", [event("tr_1b", 0), event("tr_2b", 1), event("tr_3b", 2)])
    stats = land_events(con, march, (date(2024, 3, 2), date(2024, 3, 3)))
    landed = con.execute('select transaction_id from raw.events order by "timestamp"').fetchall()
    assert [row[0] for row in landed] == ["tr_1", "tr_2b", "tr_3", "tr_4"]
    assert stats.events_by_date == {date(2024, 3, 2): 1}
    assert stats.events_landed == 1


def landings(con: duckdb.DuckDBPyConnection) -> dict[date, str]:
    rows = con.execute("select event_date, landing_id from raw.event_landings").fetchall()
    return dict(rows)


def test_each_landing_records_its_dates_with_a_new_landing_id(march: Path) -> None:
    """raw.event_landings: one row per date with events, its id new when the date is landed
    again (int_event_days_summarized hashes those dates again, and only those)."""
    con = duckdb.connect()
    land_events(con, march)
    first = landings(con)
    assert sorted(first) == [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)]
    assert len(set(first.values())) == 1  # one landing
    # March 2nd and 3rd landed again; March 3rd has no event left: its row goes
    write_events(march, "march.jsonl", [event("tr_1", 0), event("tr_2", 1), event("tr_4", 3)])
    land_events(con, march, (date(2024, 3, 2), date(2024, 3, 4)))
    second = landings(con)
    assert sorted(second) == [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 4)]
    assert second[date(2024, 3, 1)] == second[date(2024, 3, 4)] == first[date(2024, 3, 1)]
    assert second[date(2024, 3, 2)] != first[date(2024, 3, 2)]


def test_a_warehouse_landed_before_the_landings_were_kept_gets_a_row_for_every_date(
    march: Path,
) -> None:
    con = duckdb.connect()
    land_events(con, march)
    con.execute("drop table raw.event_landings")
    land_events(con, march, (date(2024, 3, 4), date(2024, 3, 5)))
    assert sorted(landings(con)) == [
        date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)
    ]


def test_the_window_end_date_is_excluded(march: Path) -> None:
    con = duckdb.connect()
    stats = land_events(con, march, (date(2024, 3, 2), date(2024, 3, 4)))
    assert stats.events_by_date == {date(2024, 3, 2): 1, date(2024, 3, 3): 1}
    dates = con.execute("select distinct event_date from raw.events order by 1").fetchall()
    assert [row[0] for row in dates] == [date(2024, 3, 2), date(2024, 3, 3)]


def test_undated_rejects_are_replaced_by_every_landing_never_duplicated(march: Path) -> None:
    con = duckdb.connect()
    land_events(con, march)
    land_events(con, march, (date(2024, 3, 4), date(2024, 3, 5)))
    undated = con.execute(
        "select source_row, error_code from raw.event_rejects where event_date is null"
    ).fetchall()
    assert undated == [(5, "invalid_json")]


def test_dated_rejects_follow_the_window_of_their_event_date(march: Path) -> None:
    con = duckdb.connect()
    land_events(con, march, (date(2024, 3, 1), date(2024, 3, 2)))
    assert (
        con.execute(
            "select count(*) from raw.event_rejects where event_date is not null"
        ).fetchone()[0]
        == 0
    )
    land_events(con, march, (date(2024, 3, 2), date(2024, 3, 3)))
    dated = con.execute(
        "select event_date, error_code from raw.event_rejects where event_date is not null"
    ).fetchall()
    assert dated == [(date(2024, 3, 2), "missing_field")]


def test_stats_report_what_was_landed(march: Path) -> None:
    stats = land_events(duckdb.connect(), march)
    assert stats.files_read == 1
    assert stats.events_landed == 4
    assert stats.rejects_landed == 2
    assert stats.rejects_by_code == {"invalid_json": 1, "missing_field": 1}
    assert stats.events_by_date == {date(2024, 3, d): 1 for d in (1, 2, 3, 4)}
    assert stats.min_event_timestamp == datetime(2024, 3, 1, 1)
    assert stats.max_event_timestamp == datetime(2024, 3, 4, 1)


def test_an_empty_window_is_refused(march: Path) -> None:
    with pytest.raises(ValueError, match="start must be before end"):
        land_events(duckdb.connect(), march, (date(2024, 3, 2), date(2024, 3, 2)))


def test_a_failed_landing_changes_nothing(march: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect()
    land_events(con, march)
    before = (table(con, "events"), table(con, "event_rejects"))
    write_events(march, "march.jsonl", [event("tr_new", 0)])
    monkeypatch.setattr(
        events_module.events_sql, "insert_rejects_sql", lambda sql: "select no_such_column"
    )
    with pytest.raises(duckdb.Error):
        land_events(con, march)
    assert (table(con, "events"), table(con, "event_rejects")) == before
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


def test_landing_creates_the_raw_tables_when_missing_and_keeps_other_tables(march: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.plans as select 'starter' as code")
    land_events(con, march)
    assert con.execute("select code from raw.plans").fetchall() == [("starter",)]
    columns = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'event_rejects' order by ordinal_position"
    ).fetchall()
    assert [c[0] for c in columns] == [
        "event_date",
        "transaction_id",
        "external_subscription_id",
        "code",
        "error_code",
        "error_details",
        "source_file",
        "source_row",
        "raw_payload",
    ]


def test_earliest_event_date_is_the_first_date_with_a_readable_timestamp(march: Path) -> None:
    write_events(march, "older.jsonl", [event("tr_0", -3, code=""), '{"timestamp": "garbage"}'])
    assert earliest_event_date(march) == date(2024, 2, 27)


def test_earliest_event_date_without_events_is_none(tmp_path: Path) -> None:
    assert earliest_event_date(tmp_path) is None
    write_events(tmp_path, "bad.jsonl", ["{not json"])
    assert earliest_event_date(tmp_path) is None
