"""Landing JSON events (CONTRACT.md §1.2): formats, line numbers and Lago's field rules.

The fixture data directory tests/fixtures/events/lago_formats holds every JSON
form; smaller cases are written into a temporary data directory.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.events import LandingStats, land_events

FORMATS_DIR = Path(__file__).parents[1] / "fixtures" / "events" / "lago_formats"


def land(data_dir: Path) -> tuple[duckdb.DuckDBPyConnection, LandingStats]:
    con = duckdb.connect()
    return con, land_events(con, data_dir)


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    result = con.execute(f"select * from raw.{table} order by source_file, source_row")
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def write(data_dir: Path, relative: str, content: str | bytes) -> None:
    path = data_dir / "events" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def event(**fields: object) -> dict:
    base = {
        "transaction_id": "tr_1",
        "external_subscription_id": "sub_1",
        "code": "api_calls",
        "timestamp": 1709251200,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


def land_one(tmp_path: Path, **fields: object) -> tuple[list[dict], list[dict]]:
    write(tmp_path, "one.jsonl", json.dumps(event(**fields)) + "\n")
    con, _ = land(tmp_path)
    return rows(con, "events"), rows(con, "event_rejects")


# Formats and positions


def test_every_json_form_lands_with_its_relative_file_and_row_number() -> None:
    con, stats = land(FORMATS_DIR)
    landed = [(e["source_file"], e["source_row"], e["transaction_id"]) for e in rows(con, "events")]
    assert landed == [
        ("events/2024/03/01.jsonl", 1, "tr_0001"),
        ("events/2024/03/01.jsonl", 3, "tr_0003"),
        ("events/2024/03/02.ndjson", 1, "42"),
        ("events/2024/03/02.ndjson", 3, "tr_0005"),
        ("events/batches/envelope.json", 1, "tr_0101"),
        ("events/batches/envelope.json", 2, "tr_0102"),
        ("events/batches/list.json", 1, "tr_0201"),
        ("events/batches/list.json", 3, "tr_0203"),
    ]
    assert stats.files_read == 4
    assert stats.events_landed == 8
    assert stats.rejects_by_code == {"invalid_json": 2}


def test_a_malformed_line_between_two_good_ones_is_one_invalid_json_reject_with_its_line() -> None:
    con, _ = land(FORMATS_DIR)
    rejects = [r for r in rows(con, "event_rejects") if r["source_file"].endswith("01.jsonl")]
    assert len(rejects) == 1
    assert rejects[0]["error_code"] == "invalid_json"
    assert rejects[0]["source_row"] == 2
    assert rejects[0]["event_date"] is None
    assert rejects[0]["raw_payload"].startswith('{"transaction_id": "tr_0002"')


def test_blank_lines_are_skipped_but_still_counted_in_line_numbers() -> None:
    con, _ = land(FORMATS_DIR)
    ndjson = [e for e in rows(con, "events") if e["source_file"].endswith(".ndjson")]
    assert [e["source_row"] for e in ndjson] == [1, 3]
    assert all(
        r["source_row"] != 2
        for r in rows(con, "event_rejects")
        if r["source_file"].endswith(".ndjson")
    )


def test_a_list_element_that_is_not_an_object_is_an_invalid_json_reject() -> None:
    con, _ = land(FORMATS_DIR)
    [reject] = [r for r in rows(con, "event_rejects") if r["source_file"].endswith("list.json")]
    assert (reject["error_code"], reject["source_row"]) == ("invalid_json", 2)
    assert reject["error_details"] == "expected a JSON object, got a string"
    assert reject["raw_payload"] == '"not an event"'


def test_lago_batch_envelope_events_land_with_their_position_in_the_list() -> None:
    con, _ = land(FORMATS_DIR)
    envelope = [e for e in rows(con, "events") if e["source_file"].endswith("envelope.json")]
    assert [(e["source_row"], e["timestamp"]) for e in envelope] == [
        (1, datetime(2024, 3, 3)),
        (2, datetime(2024, 3, 3, 12)),
    ]
    assert envelope[1]["received_at"] == datetime(2024, 3, 4, 0, 0, 5)


def test_a_numeric_transaction_id_lands_as_text() -> None:
    con, _ = land(FORMATS_DIR)
    assert "42" in [e["transaction_id"] for e in rows(con, "events")]


def test_lago_single_event_body_and_a_bare_event_object_are_one_event_each(tmp_path: Path) -> None:
    write(tmp_path, "single.json", json.dumps({"event": event(transaction_id="tr_a")}))
    write(tmp_path, "bare.json", json.dumps(event(transaction_id="tr_b")))
    con, _ = land(tmp_path)
    landed = [(e["source_file"], e["source_row"], e["transaction_id"]) for e in rows(con, "events")]
    assert landed == [("events/bare.json", 1, "tr_b"), ("events/single.json", 1, "tr_a")]


def test_a_json_file_that_does_not_parse_is_one_invalid_json_reject(tmp_path: Path) -> None:
    write(tmp_path, "broken.json", '[{"transaction_id": "tr_1",')
    write(tmp_path, "scalar.json", "12")
    write(tmp_path, "envelope.json", '{"events": {"transaction_id": "tr_1"}}')
    con, _ = land(tmp_path)
    rejects = [
        (r["source_file"], r["source_row"], r["error_code"], r["error_details"])
        for r in rows(con, "event_rejects")
    ]
    assert rejects == [
        ("events/broken.json", None, "invalid_json", "file is not valid JSON"),
        ("events/envelope.json", None, "invalid_json", "events must be a list, got an object"),
        ("events/scalar.json", None, "invalid_json", "file holds a number, not a list of events"),
    ]
    assert rows(con, "events") == []


def test_a_line_that_is_not_utf8_is_rejected_alone_and_its_neighbours_land(tmp_path: Path) -> None:
    good = json.dumps(event(transaction_id="tr_good")).encode()
    write(tmp_path, "mixed.jsonl", good + b"\n" + b'{"transaction_id": "\xff"}\n' + good + b"\n")
    con, _ = land(tmp_path)
    assert [e["source_row"] for e in rows(con, "events")] == [1, 3]
    [reject] = rows(con, "event_rejects")
    assert (reject["source_row"], reject["error_code"]) == (2, "invalid_json")
    assert reject["error_details"] == "line is not valid UTF-8"


def test_crlf_and_mixed_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    line = json.dumps(event())
    write(tmp_path, "crlf.jsonl", f"{line}\r\n\r\n{line}\r\n")
    write(tmp_path, "mixed.jsonl", f"{line}\n{line}\r\n\n{line}\n")
    con, _ = land(tmp_path)
    landed = [(e["source_file"], e["source_row"]) for e in rows(con, "events")]
    assert landed == [
        ("events/crlf.jsonl", 1),
        ("events/crlf.jsonl", 3),
        ("events/mixed.jsonl", 1),
        ("events/mixed.jsonl", 2),
        ("events/mixed.jsonl", 4),
    ]
    assert rows(con, "event_rejects") == []


def test_a_utf8_byte_order_mark_at_the_start_of_a_file_is_not_part_of_the_event(
    tmp_path: Path,
) -> None:
    write(tmp_path, "bom.jsonl", "\ufeff" + json.dumps(event()) + "\n")
    write(tmp_path, "bom.json", "\ufeff" + json.dumps([event(transaction_id="tr_2")]))
    con, _ = land(tmp_path)
    assert len(rows(con, "events")) == 2
    assert rows(con, "event_rejects") == []


def test_file_names_with_glob_characters_are_read_literally(tmp_path: Path) -> None:
    write(tmp_path, "batch[1].jsonl", json.dumps(event(transaction_id="tr_bracket")) + "\n")
    write(tmp_path, "batch1.jsonl", json.dumps(event(transaction_id="tr_plain")) + "\n")
    write(tmp_path, "star*.json", json.dumps([event(transaction_id="tr_star")]))
    con, _ = land(tmp_path)
    landed = [(e["source_file"], e["transaction_id"]) for e in rows(con, "events")]
    assert landed == [
        ("events/batch1.jsonl", "tr_plain"),
        ("events/batch[1].jsonl", "tr_bracket"),
        ("events/star*.json", "tr_star"),
    ]


def test_files_that_are_not_events_are_ignored_and_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", json.dumps(event()) + "\n")
    write(tmp_path, "notes.txt", "not events")
    write(tmp_path, "_SUCCESS", "")
    write(tmp_path, ".hidden/b.jsonl", "garbage\n")
    _, stats = land(tmp_path)
    assert stats.files_read == 1
    assert stats.ignored_files == ("events/.hidden/b.jsonl", "events/_SUCCESS", "events/notes.txt")


def test_a_data_directory_without_events_lands_nothing(tmp_path: Path) -> None:
    con, stats = land(tmp_path)
    assert (stats.files_read, stats.events_landed, stats.rejects_landed) == (0, 0, 0)
    assert rows(con, "events") == []


def test_a_long_malformed_line_is_kept_truncated_in_the_reject(tmp_path: Path) -> None:
    write(tmp_path, "long.jsonl", "{" + "x" * 5000 + "\n")
    con, _ = land(tmp_path)
    [reject] = rows(con, "event_rejects")
    assert len(reject["raw_payload"]) == 1000


# Required fields


@pytest.mark.parametrize("field", ["transaction_id", "external_subscription_id", "code"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (..., "is missing"),
        (None, "is null"),
        ("", "is empty"),
        ("  ", "is empty"),
        (True, "must be a string, got a boolean"),
    ],
)
def test_a_missing_null_or_empty_required_field_is_a_missing_field_reject(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    events, rejects = land_one(tmp_path, **{field: value})
    assert events == []
    [reject] = rejects
    assert reject["error_code"] == "missing_field"
    assert reject["error_details"] == f"{field} {reason}"
    assert reject["event_date"] == date(2024, 3, 1)
    assert reject["source_row"] == 1


def test_every_missing_field_is_named_in_one_reject(tmp_path: Path) -> None:
    _, [reject] = land_one(tmp_path, transaction_id=..., code=None)
    assert reject["error_details"] == "transaction_id is missing; code is null"


def test_optional_fields_may_be_absent(tmp_path: Path) -> None:
    [landed], _ = land_one(tmp_path)
    assert landed["external_customer_id"] is None
    assert landed["properties"] == "{}"
    assert landed["precise_total_amount_cents"] is None
    assert landed["received_at"] == landed["timestamp"] == datetime(2024, 3, 1)


def test_the_external_customer_id_is_kept(tmp_path: Path) -> None:
    [landed], _ = land_one(tmp_path, external_customer_id="cus_1")
    assert landed["external_customer_id"] == "cus_1"


# Timestamps


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (1709251200, datetime(2024, 3, 1)),
        (1709251200.5, datetime(2024, 3, 1, 0, 0, 0, 500000)),
        ("1709251200.5", datetime(2024, 3, 1, 0, 0, 0, 500000)),
        ("1709251200", datetime(2024, 3, 1)),
        (1709251200.123456, datetime(2024, 3, 1, 0, 0, 0, 123456)),
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00+02:00", datetime(2024, 3, 1, 8)),
        ("2024-03-01T10:00:00-0530", datetime(2024, 3, 1, 15, 30)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10)),
        ("2024-03-01 10:00:00.250", datetime(2024, 3, 1, 10, 0, 0, 250000)),
        ("2024-03-01T10:00:00.123456Z", datetime(2024, 3, 1, 10, 0, 0, 123456)),
        ("2024-03-01", datetime(2024, 3, 1)),
        ("2024-02-29T23:30:00-01:00", datetime(2024, 3, 1, 0, 30)),
    ],
)
def test_each_timestamp_form_becomes_the_exact_utc_instant(
    tmp_path: Path, sent: object, expected: datetime
) -> None:
    [landed], rejects = land_one(tmp_path, timestamp=sent)
    assert rejects == []
    assert landed["timestamp"] == expected
    assert landed["event_date"] == expected.date()


@pytest.mark.parametrize(
    ("sent", "details"),
    [
        (..., "timestamp is missing"),
        (None, "timestamp is null"),
        (
            "yesterday",
            'timestamp "yesterday" is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp',
        ),
        ("", 'timestamp "" is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp'),
        (
            True,
            "timestamp true is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp",
        ),
        (
            1709251200000,
            "timestamp 1709251200000 is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp",
        ),
        (-1, "timestamp -1 is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp"),
        (
            "infinity",
            'timestamp "infinity" is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp',
        ),
        (
            {"at": 1},
            'timestamp {"at":1} is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp',
        ),
    ],
)
def test_an_unreadable_timestamp_is_an_undated_invalid_timestamp_reject(
    tmp_path: Path, sent: object, details: str
) -> None:
    events, [reject] = land_one(tmp_path, timestamp=sent)
    assert events == []
    assert (reject["error_code"], reject["error_details"]) == ("invalid_timestamp", details)
    assert reject["event_date"] is None
    assert reject["transaction_id"] == "tr_1"


def test_created_at_is_when_the_event_was_received(tmp_path: Path) -> None:
    [landed], _ = land_one(tmp_path, created_at="2024-03-02T00:00:00.5+01:00")
    assert landed["received_at"] == datetime(2024, 3, 1, 23, 0, 0, 500000)
    assert landed["timestamp"] == datetime(2024, 3, 1)


def test_a_null_or_blank_created_at_defaults_to_the_timestamp(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.jsonl",
        json.dumps(event(created_at=None)) + "\n" + json.dumps(event(created_at=" ")) + "\n",
    )
    con, _ = land(tmp_path)
    assert [e["received_at"] for e in rows(con, "events")] == [datetime(2024, 3, 1)] * 2


def test_an_unreadable_created_at_is_an_invalid_timestamp_reject_dated_by_its_timestamp(
    tmp_path: Path,
) -> None:
    events, [reject] = land_one(tmp_path, created_at="later")
    assert events == []
    assert reject["error_code"] == "invalid_timestamp"
    assert reject["error_details"].startswith('created_at "later"')
    assert reject["event_date"] == date(2024, 3, 1)


def test_naive_timestamps_are_utc_whatever_the_session_time_zone(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", json.dumps(event(timestamp="2024-03-01T10:00:00")) + "\n")
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")
    land_events(con, tmp_path)
    assert con.execute('select "timestamp" from raw.events').fetchone()[0] == datetime(
        2024, 3, 1, 10
    )
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "America/New_York"


# Properties and the event's own price


def test_properties_are_stored_as_a_json_object(tmp_path: Path) -> None:
    [landed], _ = land_one(tmp_path, properties={"region": "eu", "gb": 1.5, "tags": ["a"]})
    assert json.loads(landed["properties"]) == {"region": "eu", "gb": 1.5, "tags": ["a"]}


@pytest.mark.parametrize("sent", [[1, 2], "region=eu", 3])
def test_properties_that_are_not_an_object_are_an_invalid_json_reject(
    tmp_path: Path, sent: object
) -> None:
    events, [reject] = land_one(tmp_path, properties=sent)
    assert events == []
    assert reject["error_code"] == "invalid_json"
    assert reject["error_details"].startswith("properties must be a JSON object, got ")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("10.1", "10.1"),
        ("0.000000001", "0.000000001"),
        ("12345678901234567890.123456789", "12345678901234567890.123456789"),
        (" 7 ", "7"),
        (250.5, "250.5"),
        (10, "10"),
        ("ten", None),
        (None, None),
        ({"amount": 1}, None),
    ],
)
def test_precise_total_amount_cents_keeps_the_decimal_text_as_sent(
    tmp_path: Path, sent: object, kept: str | None
) -> None:
    [landed], _ = land_one(tmp_path, precise_total_amount_cents=sent)
    assert landed["precise_total_amount_cents"] == kept


def test_precise_total_amount_cents_is_carried_as_text_never_as_a_float(tmp_path: Path) -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point; as decimal text it stays exact.
    write(
        tmp_path,
        "a.jsonl",
        "\n".join(
            json.dumps(event(transaction_id=f"tr_{i}", precise_total_amount_cents=amount))
            for i, amount in enumerate(["0.1", "0.2", "10.1"])
        ),
    )
    con, _ = land(tmp_path)
    column_type = con.execute(
        "select data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'events' and column_name = 'precise_total_amount_cents'"
    ).fetchone()[0]
    assert column_type == "VARCHAR"
    total = con.execute(
        "select sum(cast(precise_total_amount_cents as decimal(38, 12))) from raw.events"
    ).fetchone()[0]
    assert total == Decimal("10.4")
