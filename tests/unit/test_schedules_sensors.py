"""The nightly schedule and the event-file sensor, evaluated with Dagster's testing helpers:
the run requests they emit, the reasons they skip, and the sensor's cursor."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import defs as lazy_defs
from dagster_project.defs.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG
from dagster_project.defs.resources import BillingPaths
from dagster_project.defs.schedules import (
    SCHEDULE_NAME,
    SCHEDULE_TAG,
    TIMEZONE_TAG,
    billing_job_schedule,
    organization_timezone,
)
from dagster_project.defs.sensors import (
    LANDING_KEYS,
    contiguous_ranges,
    event_files_sensor,
    hive_date,
    read_cursor,
)

UTC = timezone.utc
LONG_AGO = time.time() - 3600  # an mtime well past the sensor's settle time


@pytest.fixture(scope="module")
def repository():
    """The real code location: run requests are resolved against billing_job's partitions."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("BILLING_DATA_DIR", "BILLING_WAREHOUSE", "BILLING_OUTPUT_DIR"):
            patch.setenv(name, "data")
        yield lazy_defs().get_repository_def()


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _data_dir(tmp_path: Path, organization: str | None = "timezone: UTC\n") -> Path:
    data = tmp_path / "data"
    (data / "catalog").mkdir(parents=True)
    (data / "events").mkdir()
    (data / "catalog" / "plans.yaml").write_text("plans: []\n")
    if organization is not None:
        body = "".join(f"  {line}\n" for line in organization.splitlines())
        (data / "catalog" / "organization.yaml").write_text(f"organization:\n  name: Acme\n{body}")
    return data


def _paths(data: Path) -> BillingPaths:
    return BillingPaths(
        data_dir=str(data), warehouse=str(data / "w.duckdb"), output_dir=str(data / "out")
    )


def _tick(instance, data: Path, at: datetime, repository):
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=at,
        resources={"paths": _paths(data)},
        repository_def=repository,
    )
    return billing_job_schedule.evaluate_tick(context)


def _billed_by_schedule(instance, tags: dict[str, str]) -> None:
    """A run of the schedule as the daemon records it (only its tags matter here)."""
    run = dg.DagsterRun(job_name="billing_job", run_id=str(uuid.uuid4()), tags={SCHEDULE_TAG: SCHEDULE_NAME, **tags})
    instance.add_run(run)


# -- the nightly schedule ------------------------------------------------------------------


def test_schedule_bills_the_utc_day_that_just_ended(instance, tmp_path, repository):
    data = _data_dir(tmp_path)
    result = _tick(instance, data, datetime(2024, 7, 1, 0, 15, tzinfo=UTC), repository)
    [request] = result.run_requests
    assert request.partition_key == "2024-06-30"
    assert request.run_key == "2024-06-30"
    assert request.tags[TIMEZONE_TAG] == "UTC"
    # The whole billing job (landing + billing) for that partition.
    assert request.asset_selection is None
    assert request.tags[PARTITION_TAG] == "2024-06-30"  # resolved against billing_job


def test_schedule_skips_a_day_it_already_billed_and_says_which_run(instance, tmp_path, repository):
    data = _data_dir(tmp_path)
    _billed_by_schedule(instance, {PARTITION_TAG: "2024-06-30"})
    result = _tick(instance, data, datetime(2024, 7, 1, 1, 15, tzinfo=UTC), repository)
    assert not result.run_requests
    assert "2024-06-30" in result.skip_message and "was billed by run" in result.skip_message


def test_schedule_in_new_york_waits_for_local_midnight(instance, tmp_path, repository):
    data = _data_dir(tmp_path, "timezone: America/New_York\n")
    _billed_by_schedule(instance, {PARTITION_TAG: "2024-06-29"})
    # 2024-07-01 00:15 UTC is 2024-06-30 20:15 EDT: June 30 has not ended in New York.
    early = _tick(instance, data, datetime(2024, 7, 1, 0, 15, tzinfo=UTC), repository)
    assert not early.run_requests and "2024-06-29" in early.skip_message
    # 04:15 UTC is 00:15 EDT on July 1: June 30 has just ended.
    [request] = _tick(instance, data, datetime(2024, 7, 1, 4, 15, tzinfo=UTC), repository).run_requests
    assert request.partition_key == "2024-06-30"
    assert request.tags[TIMEZONE_TAG] == "America/New_York"


def test_schedule_in_tokyo_waits_for_the_utc_partition_to_open(instance, tmp_path, repository):
    data = _data_dir(tmp_path, "timezone: Asia/Tokyo\n")
    # 2024-06-30 15:15 UTC is 2024-07-01 00:15 JST: June 30 has ended in Tokyo, but the UTC
    # partition 2024-06-30 only exists from 2024-07-01 00:00 UTC.
    early = _tick(instance, data, datetime(2024, 6, 30, 15, 15, tzinfo=UTC), repository)
    assert not early.run_requests
    assert "opens at 2024-07-01 00:00 UTC" in early.skip_message
    [request] = _tick(instance, data, datetime(2024, 7, 1, 0, 15, tzinfo=UTC), repository).run_requests
    assert request.partition_key == "2024-06-30"


def test_schedule_catches_up_days_missed_while_it_was_stopped_in_one_run(instance, tmp_path, repository):
    data = _data_dir(tmp_path)
    _billed_by_schedule(instance, {PARTITION_TAG: "2024-06-27"})
    [request] = _tick(instance, data, datetime(2024, 7, 1, 0, 15, tzinfo=UTC), repository).run_requests
    assert request.partition_key is None
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2024-06-28", "2024-06-30")
    assert request.run_key == "2024-06-28..2024-06-30"


def test_organization_timezone_defaults_to_utc_and_names_why(tmp_path):
    assert organization_timezone(_data_dir(tmp_path / "none", None))[0] == "UTC"
    assert organization_timezone(tmp_path / "no-catalog-at-all")[0] == "UTC"
    zone, why = organization_timezone(_data_dir(tmp_path / "bad", "timezone: Mars/Olympus_Mons\n"))
    assert zone == "UTC" and "unknown timezone 'Mars/Olympus_Mons'" in why


def test_organization_timezone_is_read_from_a_lago_json_export(tmp_path):
    data = _data_dir(tmp_path, None)
    (data / "catalog" / "lago").mkdir()
    (data / "catalog" / "lago" / "org.json").write_text(
        json.dumps({"organization": {"name": "Acme", "timezone": "Europe/Paris"}})
    )
    assert organization_timezone(data) == ("Europe/Paris", "catalog/lago/org.json")


# -- the event-file sensor -----------------------------------------------------------------


def _write(data: Path, relative: str, lines: int = 1, mtime: float = LONG_AGO) -> Path:
    path = data / "events" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{{"transaction_id": "t{n}"}}\n' for n in range(lines)))
    os.utime(path, (mtime, mtime))
    return path


def _sense(data: Path, cursor: str | None, repository):
    context = dg.build_sensor_context(
        cursor=cursor, resources={"paths": _paths(data)}, repository_def=repository
    )
    return event_files_sensor.evaluate_tick(context)


def _latest_billing_day() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def test_sensor_lands_the_latest_billing_day_for_files_without_a_date_in_their_path(tmp_path, repository):
    data = _data_dir(tmp_path)
    _write(data, "2024-05.jsonl")
    _write(data, "2024-06.jsonl")
    _write(data, "README.md")  # not an event file: never a reason to land
    _write(data, "_SUCCESS")
    result = _sense(data, None, repository)
    [request] = result.run_requests
    assert request.partition_key == _latest_billing_day()
    assert list(request.asset_selection) == LANDING_KEYS
    assert set(read_cursor(result.cursor)) == {"events/2024-05.jsonl", "events/2024-06.jsonl"}


def test_sensor_never_lands_a_file_twice(tmp_path, repository):
    data = _data_dir(tmp_path)
    _write(data, "2024-06.jsonl")
    first = _sense(data, None, repository)
    assert len(first.run_requests) == 1
    again = _sense(data, first.cursor, repository)
    assert not again.run_requests
    assert "No new event file" in again.skip_message and "1 files seen" in again.skip_message
    assert again.cursor == first.cursor


def test_sensor_lands_the_days_hive_folders_name_contiguous_days_as_one_run(tmp_path, repository):
    data = _data_dir(tmp_path)
    _write(data, "2024-05.jsonl")
    cursor = _sense(data, None, repository).cursor
    for day in ("2024-06-28", "2024-06-29", "2024-06-30"):
        _write(data, f"event_date={day}/part-0.jsonl")
    _write(data, "date=2024-07-05/part-0.parquet")
    result = _sense(data, cursor, repository)
    ranged, single = result.run_requests
    # 28..30 are consecutive: one run over the range (a single-run backfill's tags).
    assert ranged.partition_key is None
    assert (ranged.tags[RANGE_START_TAG], ranged.tags[RANGE_END_TAG]) == ("2024-06-28", "2024-06-30")
    assert ranged.tags["ratebook/event_files"] == "3"
    assert single.partition_key == "2024-07-05"
    assert list(ranged.asset_selection) == list(single.asset_selection) == LANDING_KEYS
    # The flat file seen before is not landed again.
    assert not any(request.partition_key == _latest_billing_day() for request in result.run_requests)
    assert len(read_cursor(result.cursor)) == 5


def test_sensor_lands_a_changed_file_again_with_a_new_run_key(tmp_path, repository):
    data = _data_dir(tmp_path)
    _write(data, "event_date=2024-06-30/part-0.jsonl", lines=1)
    _write(data, "event_date=2024-06-29/part-0.jsonl", lines=1)
    first = _sense(data, None, repository)
    _write(data, "event_date=2024-06-30/part-0.jsonl", lines=3)  # appended: size changed
    second = _sense(data, first.cursor, repository)
    [request] = second.run_requests
    assert request.partition_key == "2024-06-30"
    assert request.run_key not in {r.run_key for r in first.run_requests}


def test_sensor_waits_for_a_file_still_being_written(tmp_path, repository):
    data = _data_dir(tmp_path)
    path = _write(data, "event_date=2024-06-30/part-0.jsonl", mtime=time.time())
    waiting = _sense(data, None, repository)
    assert not waiting.run_requests
    assert "still being written" in waiting.skip_message
    assert read_cursor(waiting.cursor) == {}
    os.utime(path, (LONG_AGO, LONG_AGO))
    [request] = _sense(data, waiting.cursor, repository).run_requests
    assert request.partition_key == "2024-06-30"


def test_sensor_skips_days_outside_the_billing_days_and_says_why(tmp_path, repository):
    data = _data_dir(tmp_path)
    _write(data, "event_date=2019-12-31/part-0.jsonl")  # before the first partition
    result = _sense(data, None, repository)
    assert not result.run_requests
    assert "2019-12-31 is outside the billing days" in result.skip_message


def test_sensor_run_requests_launch_on_the_billing_job(tmp_path, repository):
    """The requests resolve against the real job: the landing partitions exist."""
    data = _data_dir(tmp_path)
    _write(data, "event_date=2024-06-30/part-0.jsonl")
    [request] = _sense(data, None, repository).run_requests
    assert request.tags[PARTITION_TAG] == "2024-06-30"  # resolved against billing_job


def test_hive_dates_and_ranges():
    assert hive_date("events/event_date=2024-06-30/part-0.jsonl") == date(2024, 6, 30)
    assert hive_date("events/year=2024/dt=2024-06-30/x.parquet") == date(2024, 6, 30)
    assert hive_date("events/event_date=2024-02-30/x.jsonl") is None  # not a date
    assert hive_date("events/2024-06-30.jsonl") is None  # a file name is not a folder
    days = [date(2024, 6, d) for d in (30, 28, 29, 28, 2)]
    assert contiguous_ranges(days) == [
        (date(2024, 6, 2), date(2024, 6, 2)),
        (date(2024, 6, 28), date(2024, 6, 30)),
    ]
