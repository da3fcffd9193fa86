"""The nightly billing run: bills the billing day that has just ended in the organization's
timezone.

The organization's timezone is configuration (the catalog's `organization.timezone`, UTC
when absent), and it may change without the code location reloading, so the schedule
cannot carry it as its cron timezone. It ticks every hour instead, reads the timezone from
the catalog files at each tick, and requests the billing day that just ended there unless
a run of this schedule already billed it. The first tick after local midnight bills the
day; the other 23 skip, saying why. Days missed while the daemon was down are billed
together by the next tick, as one run over the range (the events of each missed day must
be landed: the run acts as of the last).

Billing-day partitions are UTC days (defs/partitions.py): east of UTC, the local day D ends
before the UTC partition D exists, so D is billed at the first tick after 00:00 UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from dagster_project.defs.jobs import billing_job
from dagster_project.defs.partitions import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    billing_days,
    window_from_tags,
)
from dagster_project.defs.resources import BillingPaths
from dagster_project.lib.catalog_files import catalog_paths, read_file

SCHEDULE_NAME = "billing_job_schedule"
SCHEDULE_TAG = "dagster/schedule_name"
TIMEZONE_TAG = "ratebook/organization_timezone"
DEFAULT_TIMEZONE = "UTC"


def organization_timezone(data_dir: Path) -> tuple[str, str]:
    """The organization's IANA timezone from the catalog files, and where it came from.

    Only files that mention `organization` are parsed (a Lago export of customers can be
    large). Without one, or with a name the tz database does not know, it is UTC, as
    CONTRACT §1.1 defaults it; the second value says which case applied.
    """
    catalog_dir = data_dir / "catalog"
    for path in catalog_paths(catalog_dir):
        relative = path.relative_to(data_dir).as_posix()
        try:
            if "organization" not in path.read_text(encoding="utf-8-sig"):
                continue
        except (OSError, UnicodeDecodeError):
            continue  # the catalog landing reports unreadable files, naming them
        parsed, _issues = read_file(path, relative)
        organization = parsed.data.get("organization") if parsed else None
        if not isinstance(organization, dict) or not organization.get("timezone"):
            continue
        name = str(organization["timezone"])
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return DEFAULT_TIMEZONE, f"{relative}: unknown timezone {name!r}, using UTC"
        return name, relative
    return DEFAULT_TIMEZONE, f"no organization timezone in {catalog_dir} (UTC by default)"


def billing_day_just_ended(now: datetime, zone: str) -> date:
    """The local day in `zone` that ended most recently before `now`."""
    return now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def partition_is_open(day: date, now: datetime) -> bool:
    """Whether the UTC billing-day partition `day` exists at `now` (the day ended in UTC)."""
    start = billing_days.start.date()
    return start <= day < now.astimezone(timezone.utc).date()


def days_to_bill(day: date, last_billed: date | None) -> tuple[date, date] | None:
    """The billing days a tick requests: `day`, and before it every day missed since the last
    day this schedule billed; None when `day` is billed already."""
    if last_billed is not None and last_billed >= day:
        return None
    first = day if last_billed is None else last_billed + timedelta(days=1)
    return first, day


def _last_billed_day(instance: dg.DagsterInstance) -> tuple[date | None, str | None]:
    """The last billing day of this schedule's most recent run, and that run's id."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={SCHEDULE_TAG: SCHEDULE_NAME}), limit=1)
    if not runs:
        return None, None
    window = window_from_tags(dict(runs[0].tags))
    return (window.last_day if window else None), runs[0].run_id


@dg.schedule(
    job=billing_job,
    name=SCHEDULE_NAME,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    description=(
        "Bills the billing day that has just ended in the organization's timezone (catalog "
        "`organization.timezone`, UTC by default): ticks hourly at :15, runs once per day, "
        "catches up days missed while it was stopped."
    ),
)
def billing_job_schedule(context: dg.ScheduleEvaluationContext, paths: BillingPaths):
    now = context.scheduled_execution_time or datetime.now(timezone.utc)
    zone, source = organization_timezone(paths.data_path)
    day = billing_day_just_ended(now, zone)
    if not partition_is_open(day, now):
        return dg.SkipReason(
            f"Billing day {day} ({zone}, from {source}) has ended locally but its UTC partition "
            f"opens at {day + timedelta(days=1)} 00:00 UTC; it is billed at the first tick after."
        )
    last_billed, last_run = _last_billed_day(context.instance)
    window = days_to_bill(day, last_billed)
    if window is None:
        return dg.SkipReason(
            f"Billing day {day} ({zone}, from {source}) was billed by run {last_run}; "
            "the next day is billed at the first tick after local midnight."
        )
    first, last = window
    context.log.info(f"Billing {first}..{last} (timezone {zone}, from {source})")
    tags = {TIMEZONE_TAG: zone}
    if first == last:
        return dg.RunRequest(run_key=last.isoformat(), partition_key=last.isoformat(), tags=tags)
    # Missed days: one run over the range, as a single-run backfill is (defs/partitions.py).
    tags |= {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
    return dg.RunRequest(run_key=f"{first}..{last}", tags=tags)

