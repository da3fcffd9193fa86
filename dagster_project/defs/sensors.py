"""Starts the event landing when event files land under `<data dir>/events`.

The cursor is what the sensor has seen: every event file's path (relative to the data
directory) with its size and modification time. A file is new when its path is not in the
cursor, changed when its size or mtime differ; either way it is landed once, and a file the
cursor already holds is never landed again by this sensor. A file modified in the last
SETTLE_SECONDS may still be being written: it waits for a later tick (and is not put in the
cursor until then).

Which billing days to land: a hive-style folder names its date (`event_date=2024-06-30/`,
`date=…`, `dt=…`), read from the path; any other file's dates are not known without reading
it, so it lands the latest billing day (yesterday, UTC). Contiguous days are one run over the
range, as a single-run backfill is. Landing replaces the events of its days (reading every
file), so a day requested twice is idempotent; the nightly schedule bills.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg

from dagster_project.defs.jobs import billing_job
from dagster_project.defs.partitions import LANDING_KEY, RANGE_END_TAG, RANGE_START_TAG, billing_days
from dagster_project.defs.resources import BillingPaths
from dagster_project.lib.events_files import find_event_files

SENSOR_NAME = "event_files_sensor"
SETTLE_SECONDS = 30
LANDING_KEYS = [
    LANDING_KEY,
    dg.AssetKey(["raw", "event_landings"]),
    dg.AssetKey(["raw", "event_rejects"]),
]
HIVE_DATE = re.compile(r"^(?:event_date|date|dt)=(\d{4}-\d{2}-\d{2})$")
CURSOR_VERSION = 1

# path relative to the data directory -> (size in bytes, mtime in nanoseconds)
Signatures = dict[str, tuple[int, int]]


def scan_event_files(data_dir: Path) -> Signatures:
    """Every event file the landing reads (events_files' rules), with its signature."""
    files = find_event_files(data_dir)
    signatures: Signatures = {}
    for file in (*files.jsonl, *files.json, *files.parquet):
        try:
            stat = file.path.stat()
        except FileNotFoundError:
            continue  # removed since it was listed
        signatures[file.source_file] = (stat.st_size, stat.st_mtime_ns)
    return signatures


def read_cursor(cursor: str | None) -> Signatures:
    if not cursor:
        return {}
    payload = json.loads(cursor)
    return {path: (size, mtime) for path, (size, mtime) in payload["files"].items()}


def write_cursor(signatures: Signatures) -> str:
    files = {path: list(signature) for path, signature in sorted(signatures.items())}
    return json.dumps({"v": CURSOR_VERSION, "files": files}, separators=(",", ":"))


def new_files(seen: Signatures, current: Signatures) -> list[str]:
    """Files that are not in the cursor, or whose size or mtime changed since."""
    return sorted(path for path, signature in current.items() if seen.get(path) != signature)


def hive_date(source_file: str) -> date | None:
    """The date a hive-style folder of the path names, if any."""
    for part in reversed(source_file.split("/")[:-1]):
        match = HIVE_DATE.match(part)
        if match:
            try:
                return date.fromisoformat(match.group(1))
            except ValueError:
                return None
    return None


def latest_billing_day(now: datetime) -> date:
    """The last billing-day partition at `now`: the UTC day that ended most recently."""
    return now.astimezone(timezone.utc).date() - timedelta(days=1)


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted distinct days as inclusive ranges of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def landing_run_request(first: date, last: date, files: Mapping[str, tuple[int, int]]) -> dg.RunRequest:
    """One landing run over [first, last]; its run key names the days and the files' digest,
    so the same files never start the same landing twice."""
    digest = hashlib.sha256(write_cursor(dict(files)).encode()).hexdigest()[:16]
    run_key = f"{first}..{last}:{digest}"
    tags = {"ratebook/event_files": str(len(files))}
    if first == last:
        return dg.RunRequest(
            run_key=run_key, partition_key=first.isoformat(), asset_selection=LANDING_KEYS, tags=tags
        )
    tags |= {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
    return dg.RunRequest(run_key=run_key, asset_selection=LANDING_KEYS, tags=tags)


def plan_landing(
    seen: Signatures, current: Signatures, now: datetime, log
) -> tuple[list[dg.RunRequest], Signatures, str]:
    """The runs to request, the next cursor and a one-line summary of what was skipped."""
    settled_before = int((now.timestamp() - SETTLE_SECONDS) * 1e9)
    changed = new_files(seen, current)
    settling = [path for path in changed if current[path][1] > settled_before]
    ready = [path for path in changed if path not in settling]
    # What the next tick compares against: everything seen, except files still settling
    # (kept at their previous signature, or absent, so they count as new next time).
    cursor = {path: sig for path, sig in current.items() if path not in settling}
    cursor |= {path: seen[path] for path in settling if path in seen}

    latest = latest_billing_day(now)
    first_day = billing_days.start.date()
    days_of: dict[date, dict[str, tuple[int, int]]] = {}
    skipped: list[str] = [f"{path}: still being written (modified < {SETTLE_SECONDS} s ago)" for path in settling]
    for path in ready:
        day = hive_date(path)
        if day is None:
            day = latest
            log.info(f"{path}: dates unknown without reading it; landing the latest billing day {day}")
        if day < first_day or day > latest:
            skipped.append(f"{path}: {day} is outside the billing days {first_day}..{latest} (the nightly schedule lands a day once it ends)")
            continue
        days_of.setdefault(day, {})[path] = current[path]
    requests = [
        landing_run_request(
            first, last,
            {path: sig for day, files in days_of.items() if first <= day <= last for path, sig in files.items()},
        )
        for first, last in contiguous_ranges(days_of)
    ]  # fmt: skip
    return requests, cursor, "; ".join(skipped)


@dg.sensor(
    job=billing_job,
    name=SENSOR_NAME,
    minimum_interval_seconds=60,
    description=(
        "Lands the events of new or changed files under <data dir>/events (the days their "
        "hive-style `event_date=` folders name, else the latest billing day); a file is "
        "landed once. Billing itself is the nightly schedule's."
    ),
)
def event_files_sensor(context: dg.SensorEvaluationContext, paths: BillingPaths):
    seen = read_cursor(context.cursor)
    current = scan_event_files(paths.data_path)
    requests, cursor, skipped = plan_landing(seen, current, datetime.now(timezone.utc), context.log)
    if skipped:
        context.log.info(f"Not landed this tick: {skipped}")
    if not requests:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"No new event file to land under {paths.data_path / 'events'} "
                f"({len(current)} files seen)" + (f"; {skipped}" if skipped else "")
            ),
            cursor=write_cursor(cursor),
        )
    return dg.SensorResult(run_requests=requests, cursor=write_cursor(cursor))
