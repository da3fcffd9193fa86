"""One measured step of bench/run.py, in its own process so that its memory is its own.

    .venv/bin/python bench/run_step.py floor --data-dir DIR --report FILE
    .venv/bin/python bench/run_step.py billing --report FILE [--ingest-only] -- <billing run args>

`floor`: a bare DuckDB `group by external_subscription_id, code, period` (the calendar month
of the event) with `count(*)` over the generated Parquet files, in memory.

`billing`: the real `billing run` (dagster_project/cli.py: its three `execute_in_process`
runs, same selections, same tags) with `--skip documents --skip payments`: rendering invoices
to PDF and pushing payments are not billing computation (bench/documents.py and
bench/payments.py measure them). `--ingest-only` stops after
the first two runs (catalog, event landing). The report records each Dagster run's wall
time and its steps' start and end (from the run's event log), the run id that names its dbt
target directory, and the time spent before the first run (imports, loading the
definitions, reading the catalog for the default --from).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Rendering invoices to PDF and pushing payments: not billing computation (bench/documents.py
# and bench/payments.py measure them).
SKIPPED = ["--skip", "documents", "--skip", "payments"]

FLOOR_SQL = """
create table floor as
select
    external_subscription_id,
    code,
    date_trunc('month', "timestamp") as period,
    count(*) as events_count,
from read_parquet(?, hive_partitioning = false)
group by all
"""


def _floor(args: argparse.Namespace) -> dict:
    import duckdb

    began = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(FLOOR_SQL, [str(Path(args.data_dir) / "events" / "**" / "*.parquet")])
        groups, events = con.execute("select count(*), sum(events_count) from floor").fetchone()
    return {"seconds": time.perf_counter() - began, "groups": groups, "events": int(events)}


class _NotRun:
    """Stands in for the result of the run --ingest-only leaves out."""

    success = True


def _step_times(instance, run_id: str) -> dict[str, list[float]]:
    """Each step's [start, end] in epoch seconds: STEP_START, then STEP_SUCCESS or _FAILURE."""
    times: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            times[event.step_key] = [entry.timestamp, entry.timestamp]
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in times:
            times[event.step_key][1] = entry.timestamp
    return times


def _timed(record: dict, name: str, function):
    """`function`, adding the seconds of each call to record[name]."""

    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record[name] = record.get(name, 0.0) + time.perf_counter() - began

    return timed


def _billing(args: argparse.Namespace) -> dict:
    imports_began = time.perf_counter()
    import dagster as dg

    import dagster_project.definitions as definitions
    from dagster_project import cli
    from dagster_project.defs.partitions import LAST_DAY_TAG, RANGE_START_TAG

    before_runs: dict[str, float] = {}
    # What `billing run` does before its first run: load the definitions and, without
    # --from, read the whole catalog for the earliest subscription start.
    definitions.defs = _timed(before_runs, "load definitions", definitions.defs)
    cli._default_first_day = _timed(before_runs, "read catalog for --from", cli._default_first_day)

    runs: list[dict] = []
    original = dg.JobDefinition.execute_in_process

    def execute_in_process(self, *positional, asset_selection=None, tags=None, **kwargs):
        tags = tags or {}
        if LAST_DAY_TAG in tags:
            name = "billing"
        else:
            name = "landing" if RANGE_START_TAG in tags else "catalog"
        if args.ingest_only and name == "billing":
            return _NotRun()
        began, started_at = time.perf_counter(), time.time()
        result = original(self, *positional, asset_selection=asset_selection, tags=tags, **kwargs)
        seconds = time.perf_counter() - began
        runs.append(
            {
                "run": name,
                "run_id": result.run_id,
                "assets": len(asset_selection),
                "seconds": seconds,
                "started_at": started_at,
                "steps": _step_times(kwargs["instance"], result.run_id),
            }
        )
        return result

    dg.JobDefinition.execute_in_process = execute_in_process
    before_runs["import dagster"] = time.perf_counter() - imports_began
    began = time.perf_counter()
    status = cli.main(["run", *args.billing_args, *SKIPPED])
    return {
        "status": status,
        "seconds": time.perf_counter() - began,
        "before_runs": before_runs,
        "runs": runs,
    }


def main() -> int:
    started = time.time()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    steps = parser.add_subparsers(dest="step", required=True)
    floor = steps.add_parser("floor")
    floor.add_argument("--data-dir", required=True)
    floor.add_argument("--report", required=True)
    billing = steps.add_parser("billing")
    billing.add_argument("--report", required=True)
    billing.add_argument("--ingest-only", action="store_true")
    billing.add_argument("billing_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.step == "billing" and args.billing_args[:1] == ["--"]:
        args.billing_args = args.billing_args[1:]
    report = _floor(args) if args.step == "floor" else _billing(args)
    report["started_at"] = started
    Path(args.report).write_text(json.dumps(report, indent=2))
    return int(report.get("status", 0))


if __name__ == "__main__":
    sys.exit(main())
