"""Land usage events (CONTRACT.md §1.2) into `raw.events` and `raw.event_rejects`.

`land_events` reads every `*.jsonl`, `*.ndjson`, `*.json` and `*.parquet` file
under `<data_dir>/events` with DuckDB's own readers and set-based SQL (no loop
over events), applies Lago's event rules (events_sql) and replaces, in one
transaction, the rows of the event dates in the window, recording the landing of
each date in `raw.event_landings`. A bad line, element or row never fails the
run: it becomes a reject with its file, its row number and a reason
(`invalid_json`, `missing_field`, `invalid_timestamp`). Dedup and catalog checks
are dbt's, not ingestion's.

Modules: events_files (which files), events_documents (JSON lines and
documents), events_parquet (Parquet), events_sql (the rules and the inserts).

Call it on a connection with no open transaction. For its duration the session
runs with TimeZone UTC and insertion order preserved; the caller's settings
are restored afterwards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from . import events_documents, events_parquet, events_sql
from .events_files import EventFiles, find_event_files
from .raw_schema import create_table_sql

Window = tuple[date, date]


@dataclass
class LandingStats:
    """What one landing wrote (for the window, or everything when it is None)."""

    files_read: int = 0
    events_landed: int = 0
    rejects_landed: int = 0
    rejects_by_code: dict[str, int] = field(default_factory=dict)
    events_by_date: dict[date, int] = field(default_factory=dict)
    min_event_timestamp: datetime | None = None
    max_event_timestamp: datetime | None = None
    ignored_files: tuple[str, ...] = ()


def land_events(
    con: duckdb.DuckDBPyConnection, data_dir: Path, window: Window | None = None
) -> LandingStats:
    """Replace the events and rejects dated in `window` ([start, end) of UTC event
    dates; None: all) and every undated reject, from the files under data_dir/events."""
    if window is not None and not window[0] < window[1]:
        raise ValueError(
            f"The event window {window[0]} to {window[1]} is empty: start must be before end."
        )
    files = find_event_files(Path(data_dir))
    window_params = {
        "window_start": window[0] if window else None,
        "window_end": window[1] if window else None,
    }
    with _utc_session(con):
        try:
            candidates = _candidates(con, files, window)
            con.execute("begin transaction")
            try:
                _replace(con, candidates, window_params)
                stats = _stats(con, window_params, files)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            events_documents.drop_candidates(con)
    return stats


def earliest_event_date(data_dir: Path) -> date | None:
    """The earliest UTC date of any event with a readable timestamp (no writes)."""
    files = find_event_files(Path(data_dir))
    if files.count == 0:
        return None
    con = duckdb.connect()
    try:
        with _utc_session(con):
            sql, params = _candidates(con, files)
            return con.execute(events_sql.earliest_date_sql(sql), params).fetchone()[0]
    finally:
        con.close()


def _candidates(
    con: duckdb.DuckDBPyConnection, files: EventFiles, window: Window | None = None
) -> tuple[str, dict[str, object]]:
    """Every source as one candidate relation (events_sql), with its parameters:
    the staged JSON documents, then each group of Parquet files (those whose footers prove
    no event in `window` are skipped)."""
    events_documents.stage_documents(con, files)
    parquet = files.parquet
    if window is not None:
        outside = events_parquet.files_outside_window(con, parquet, *window)
        parquet = tuple(file for file in parquet if file not in outside)
    groups, unreadable = events_parquet.plan_parquet_groups(con, parquet)
    for file, details in unreadable:
        events_documents.add_file_reject(con, file.source_file, details)
    selects = [events_documents.documents_candidates_sql()]
    params: dict[str, object] = {}
    for number, group in enumerate(groups, start=1):
        selects.append(events_parquet.parquet_candidates_sql(group, f"paths_{number}"))
        params[f"paths_{number}"] = group.patterns
    if groups:
        params["path_cut"] = files.path_cut
    return "\nunion all by name\n".join(f"(\n{select}\n)" for select in selects), params


def _replace(
    con: duckdb.DuckDBPyConnection,
    candidates: tuple[str, dict[str, object]],
    window: dict[str, object],
) -> None:
    # One INSERT per table and transaction, never two: in this DuckDB build an INSERT of
    # no rows followed, in the same transaction, by one of a full row group (122,880
    # rows) or more leaves the later rows invisible to full scans once committed.
    sql, params = candidates
    con.execute("create schema if not exists raw")
    con.execute(create_table_sql("events"))
    con.execute(create_table_sql("event_rejects"))
    con.execute(f"delete from raw.events where {events_sql.WINDOW}", window)
    con.execute(
        f"delete from raw.event_rejects where event_date is null or ({events_sql.WINDOW})", window
    )
    con.execute(events_sql.insert_events_sql(sql), {**params, **window})
    con.execute(events_sql.insert_rejects_sql(sql), {**params, **window})
    _record_landing(con, window)


def _record_landing(con: duckdb.DuckDBPyConnection, window: dict[str, object]) -> None:
    """One `raw.event_landings` row per event date of the window that has events now, with a
    new landing id: int_event_days_summarized hashes those dates again, and only those.
    A warehouse landed before the table existed gets a row for every date it holds."""
    existed = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database()"
        " and schema_name = 'raw' and table_name = 'event_landings'"
    ).fetchone()[0]
    con.execute(create_table_sql("event_landings"))
    dates = window if existed else {"window_start": None, "window_end": None}
    con.execute(f"delete from raw.event_landings where {events_sql.WINDOW}", dates)
    con.execute(
        f"""
        insert into raw.event_landings (event_date, landing_id, landed_at)
        select distinct event_date, $landing_id, cast(current_timestamp as timestamp)
        from raw.events
        where {events_sql.WINDOW}
        """,
        {**dates, "landing_id": str(uuid.uuid4())},
    )


def _stats(
    con: duckdb.DuckDBPyConnection, window: dict[str, object], files: EventFiles
) -> LandingStats:
    stats = LandingStats(files_read=files.count, ignored_files=files.ignored)
    by_date = con.execute(
        f"""
        select event_date, count(*), min("timestamp"), max("timestamp")
        from raw.events
        where {events_sql.WINDOW}
        group by event_date
        order by event_date
        """,
        window,
    ).fetchall()
    for event_date, count, first, last in by_date:
        stats.events_by_date[event_date] = count
        stats.events_landed += count
        stats.min_event_timestamp = min(first, stats.min_event_timestamp or first)
        stats.max_event_timestamp = max(last, stats.max_event_timestamp or last)
    rejects = con.execute(
        f"""
        select error_code, count(*)
        from raw.event_rejects
        where event_date is null or ({events_sql.WINDOW})
        group by error_code
        order by error_code
        """,
        window,
    ).fetchall()
    stats.rejects_by_code = {code: count for code, count in rejects}
    stats.rejects_landed = sum(stats.rejects_by_code.values())
    return stats


@contextmanager
def _utc_session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Naive ISO timestamps mean UTC, and readers keep file order, whatever the
    caller's session says; its settings are restored afterwards."""
    previous_zone = con.execute("select current_setting('TimeZone')").fetchone()[0]
    previous_order = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    if not re.fullmatch(r"[A-Za-z0-9_+\-/:]+", str(previous_zone)):
        raise ValueError(f"Unexpected DuckDB TimeZone setting {previous_zone!r}.")
    con.execute("set TimeZone = 'UTC'")
    con.execute("set preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"set TimeZone = '{previous_zone}'")
        con.execute(f"set preserve_insertion_order = {'true' if previous_order else 'false'}")
