"""The `billing` command: thin, runs the same Dagster definitions as the UI and the schedule."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

# What `billing run --skip` may leave out: steps downstream of the invoices that compute no
# money. A re-bill of years of history need not render every old invoice to PDF (about 50 ms
# each) or push to the providers; a later run without --skip does both.
SKIPPABLE = {
    "documents": (("documents", "invoices"),),
    "payments": (("payments", "attempts"), ("payments", "payments")),
}


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the nightly billing runs for a range of billing days")
    run.add_argument("--through", type=_iso_date, required=True, help="last billing day (inclusive)")
    run.add_argument(
        "--from",
        dest="from_day",
        type=_iso_date,
        help="first billing day (default: the earliest subscription start or event date)",
    )
    run.add_argument("--data-dir", help="data directory (default: $BILLING_DATA_DIR or data/)")
    run.add_argument("--warehouse", help="DuckDB file (default: $BILLING_WAREHOUSE or data/warehouse.duckdb)")
    run.add_argument(
        "--skip",
        action="append",
        choices=sorted(SKIPPABLE),
        default=[],
        help="leave out a step after the billing models (repeatable): documents (the invoices' "
        "HTML and PDF), payments (pushing invoices to the payment providers)",
    )

    generate = commands.add_parser("generate", help="write a synthetic data directory")
    generate.add_argument("--out", required=True, help="directory to write (catalog/ and events/)")
    generate.add_argument("--customers", type=int, default=100)
    generate.add_argument("--days", type=int, default=31)
    generate.add_argument("--events-per-day", type=int, default=1000)
    generate.add_argument("--seed", type=int, default=42)
    return parser


def _configure_paths(data_dir: str | None, warehouse: str | None) -> tuple[Path, Path]:
    """Flags win over the environment; relative paths are from the current directory.
    The Dagster resources read the resolved absolute paths from the environment."""
    data = Path(data_dir or os.environ.get("BILLING_DATA_DIR") or "data").expanduser().resolve()
    target = warehouse or os.environ.get("BILLING_WAREHOUSE") or str(data / "warehouse.duckdb")
    warehouse_path = Path(target).expanduser().resolve()
    output = os.environ.get("BILLING_OUTPUT_DIR") or str(data / "invoices")
    os.environ["BILLING_DATA_DIR"] = str(data)
    os.environ["BILLING_WAREHOUSE"] = str(warehouse_path)
    os.environ["BILLING_OUTPUT_DIR"] = str(Path(output).expanduser().resolve())
    return data, warehouse_path


def _default_first_day(data_dir: Path) -> date:
    """The earliest subscription start, or an earlier event date so no event is left unread."""
    from dagster_project.lib.catalog import read_catalog
    from dagster_project.lib.events import earliest_event_date

    catalog = read_catalog(data_dir)
    starts = [
        (row["subscription_at"] or row["created_at"]).date()
        for row in catalog.rows["subscriptions"]
        if (row["subscription_at"] or row["created_at"]) is not None
    ]
    first_event = earliest_event_date(data_dir)
    candidates = starts + ([first_event] if first_event else [])
    if not candidates:
        raise SystemExit("billing run: nothing to bill: the catalog has no subscriptions and there are no events")
    return min(candidates)


def _fail(reason: str, details: str = "") -> int:
    if details:
        print(details, file=sys.stderr)
    print(f"billing run failed: {reason}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace) -> int:
    from dagster_project.lib.catalog import CatalogError

    data_dir, warehouse = _configure_paths(args.data_dir, args.warehouse)
    if not (data_dir / "catalog").is_dir():
        return _fail(f"no catalog directory at {data_dir / 'catalog'}")
    try:
        first_day = args.from_day or _default_first_day(data_dir)
    except CatalogError as exc:
        return _fail(f"the catalog has {len(exc.issues)} error(s); nothing was written", str(exc))
    if first_day > args.through:
        return _fail(f"--from {first_day} is after --through {args.through}")

    import dagster as dg

    from dagster_project.definitions import defs as lazy_defs
    from dagster_project.defs.partitions import (
        FIRST_DAY_TAG,
        LAST_DAY_TAG,
        RANGE_END_TAG,
        RANGE_START_TAG,
    )

    job = lazy_defs().resolve_job_def("billing_job")
    graph = job.asset_layer.asset_graph
    keys = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    landing = [key for key in keys if graph.get(key).partitions_def is not None]
    # The catalog landing: the unpartitioned assets with no upstream asset in the job.
    catalog = [
        key for key in keys
        if key not in landing and not (graph.get(key).parent_keys & set(keys))
    ]  # fmt: skip
    skipped = {path for step in args.skip for path in SKIPPABLE[step]}
    billing = [
        key for key in keys
        if key not in landing and key not in catalog and tuple(key.path) not in skipped
    ]  # fmt: skip
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    print(
        f"billing run: billing days {first_day}..{args.through}, data {data_dir}, warehouse {warehouse}",
        file=sys.stderr,
    )
    if args.skip:
        left_out = ", ".join(sorted(set(args.skip)))
        print(f"billing run: left out (--skip): {left_out}", file=sys.stderr)
    # Three runs of billing_job, as a backfill from the UI splits it: the catalog (which the
    # event checks read), the event landing for the partition range, then the unpartitioned
    # rest (dbt, documents, payments, analytics) as of the last day. One run over all of it
    # would have Dagster plan every asset and every dbt test once per billing day (see
    # defs/partitions.py): minutes of bookkeeping for a multi-year range.
    runs = [
        (catalog, {}),
        (landing, {RANGE_START_TAG: first_day.isoformat(), RANGE_END_TAG: args.through.isoformat()}),
        (billing, {FIRST_DAY_TAG: first_day.isoformat(), LAST_DAY_TAG: args.through.isoformat()}),
    ]
    with instance:
        for selection, tags in runs:
            result = job.execute_in_process(
                instance=instance,
                asset_selection=selection,
                # Per-partition materialization events are DEBUG; the console shows INFO and up.
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                tags=tags,
                raise_on_error=False,
            )
            if not result.success:
                return _run_failure(result, warehouse)
    print(f"billing run: done ({first_day}..{args.through}); warehouse {warehouse}", file=sys.stderr)
    return 0


def _run_failure(result, warehouse: Path) -> int:
    failures = [event for event in result.all_events if event.is_step_failure]
    details = "\n".join(
        f"step {event.step_key} failed:\n{event.step_failure_data.error.to_string() if event.step_failure_data.error else ''}"
        for event in failures
    )
    input_errors = _input_errors(warehouse, details)
    if input_errors:
        listed = "\n".join(f"  {error}" for error in input_errors)
        return _fail(f"{len(input_errors)} catalog record(s) do not fit the invoices billed (listed above)", f"{details}\n{listed}")
    first = failures[0].step_failure_data.error if failures and failures[0].step_failure_data.error else None
    reason = first.message.strip().splitlines()[0] if first else "the Dagster run failed"
    return _fail(reason, details)


def _input_errors(warehouse: Path, details: str) -> list[str]:
    """The rows of the dbt tests that failed this run and name a catalog record (their
    stored failures have an `error` column: file, record, field, problem), e.g. a credit
    note or a void naming no invoice: what the user has to fix, shown on stderr."""
    import re

    import duckdb

    tests = sorted(set(re.findall(r"Failure in test (\w+)", details)))
    if not tests or not warehouse.exists():
        return []
    errors: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for test in tests:
            found = con.execute(
                """
                select tables.schema_name from duckdb_tables() as tables
                inner join duckdb_columns() as columns
                    on tables.schema_name = columns.schema_name and tables.table_name = columns.table_name
                where tables.table_name = ? and columns.column_name = 'error'
                    and tables.schema_name like '%dbt_test__audit'
                """,
                [test],
            ).fetchall()
            for (schema,) in found:
                rows = con.execute(f'select error from "{schema}"."{test}" order by 1').fetchall()
                errors.extend(row[0] for row in rows)
    return errors


def _generate(args: argparse.Namespace) -> int:
    from dagster_project.lib.generator import generate

    stats = generate(
        Path(args.out),
        customers=args.customers,
        days=args.days,
        events_per_day=args.events_per_day,
        seed=args.seed,
    )
    print(stats.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return _generate(args)


if __name__ == "__main__":
    sys.exit(main())
