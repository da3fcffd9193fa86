"""Benchmark metering: the dbt usage models over the generator's events, next to a bare
DuckDB group by over the same Parquet files.

    .venv/bin/python bench/metering.py [--events 10000000] [--customers 10000] [--days 31]
                                       [--workdir /tmp/ratebook-bench-metering]

1. `billing generate` writes the catalog and --events events (every aggregation type:
   count, sum, max, unique count, recurring weighted sum, latest) as daily Parquet files;
   it is reused when the work directory already holds the same generation.
2. The catalog and the events are landed into a fresh DuckDB warehouse (not timed: see
   bench/events_landing.py), and dbt builds what metering reads (subscriptions, billing
   periods, charge periods).
3. Timed: `dbt run` of the metering models, one thread, each model's execution time from
   dbt's run_results.json (event dedup and validation, assignment to charges, filters and
   groups, recurring history, the count/sum/max/latest totals, one model per aggregation family,
   the union).
4. Timed: the floor, a bare DuckDB `group by subscription, code` with count(*) and the sum of
   the metric's property, over the same Parquet files.
The ratio is metering time / floor time. Prints a Markdown table (docs/metering.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dagster_project.lib.catalog import read_catalog, write_catalog  # noqa: E402
from dagster_project.lib.events import land_events  # noqa: E402
from dagster_project.lib.generator import generate  # noqa: E402

DBT = Path(sys.executable).with_name("dbt")
DBT_PROJECT = ROOT / "dbt_project"
START = date(2024, 1, 1)
# Every metering model in the order they run, the union last.
METERING_MODELS = (
    "int_events_deduplicated",
    "int_events_validated",
    "int_charge_periods_expanded",
    "int_usage_filters_resolved",
    "int_usage_events_assigned",
    "int_usage_history_periods_totaled",
    "int_usage_values_operated",
    "int_usage_weighted_sum_events_listed",
    "int_usage_history_accumulated",
    "int_usage_events_totaled",
    "int_usage_count_aggregated",
    "int_usage_sum_aggregated",
    "int_usage_max_aggregated",
    "int_usage_latest_aggregated",
    "int_usage_unique_count_aggregated",
    "int_usage_weighted_sum_aggregated",
    "int_usage_families_unioned",
    "int_usage_aggregated",
)
CATALOG_MODELS = ("int_charge_periods_expanded", "int_usage_filters_resolved")
VIEWS = ("int_usage_families_unioned",)  # a view: no time of its own, read by the union
FAMILY_OF_TYPE = {
    "count_agg": "int_usage_count_aggregated",
    "sum_agg": "int_usage_sum_aggregated",
    "max_agg": "int_usage_max_aggregated",
    "latest_agg": "int_usage_latest_aggregated",
    "unique_count_agg": "int_usage_unique_count_aggregated",
    "weighted_sum_agg": "int_usage_weighted_sum_aggregated",
}
FLOOR_SQL = """
select events.external_subscription_id, events.code, count(*) as events_count,
       sum(try_cast(events.properties::json ->> metrics.field_name as decimal(38, 12))) as total
from read_parquet(?, hive_partitioning = false) as events
left join metrics on events.code = metrics.code
group by all
"""


def _generate(data_dir: Path, events: int, customers: int, days: int) -> None:
    per_day = events // days
    marker = data_dir / ".ratebook-generated"
    wanted = f"customers={customers} days={days} events_per_day={per_day} seed=7"
    if marker.exists() and wanted in marker.read_text():
        print(f"reusing {data_dir} ({per_day * days:,} events)", file=sys.stderr)
        return
    stats = generate(
        data_dir, customers=customers, days=days, events_per_day=per_day, seed=7, start=START
    )
    print(stats.summary(), file=sys.stderr)


def _dbt(args: list[str], warehouse: Path, target: Path, as_of: date) -> None:
    env = {**os.environ, "BILLING_WAREHOUSE": str(warehouse)}
    window = {"from": START.isoformat(), "to": as_of.isoformat(), "as_of": f"{as_of} 00:00:00"}
    command = [
        str(DBT), *args,
        "--profiles-dir", ".", "--target-path", str(target), "--vars", json.dumps(window),
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")


def _model_seconds(target: Path) -> dict[str, float]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".")[-1]: result["execution_time"] for result in results}


def _floor_seconds(data_dir: Path, warehouse: Path) -> float:
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        con.execute(
            "create table metrics as select code, field_name from warehouse.raw.billable_metrics"
        )
        con.execute("detach warehouse")
        began = time.perf_counter()
        con.execute(FLOOR_SQL, [str(data_dir / "events" / "**" / "*.parquet")]).fetchall()
        return time.perf_counter() - began


def _rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f}" if seconds > 0 else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ratebook-bench-metering"))
    args = parser.parse_args()

    data_dir = args.workdir / "data"
    warehouse = args.workdir / "warehouse.duckdb"
    target = args.workdir / "dbt_target"
    as_of = date.fromordinal(START.toordinal() + args.days)
    _generate(data_dir, args.events, args.customers, args.days)

    warehouse.unlink(missing_ok=True)
    began = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        write_catalog(con, read_catalog(data_dir))
        landed = land_events(con, data_dir, (START, as_of)).events_landed
    print(f"landed {landed:,} events in {time.perf_counter() - began:.0f} s", file=sys.stderr)

    upstream = ["+int_charge_periods_expanded", "+int_events_validated", "path:models/staging"]
    # the payments ledger's staging view reads a table the payments assets create, not metering
    unrelated = ["stg_payments__invoice_payment_status"]
    _dbt(
        ["run", "--select", *upstream, "--exclude", *METERING_MODELS, *unrelated],
        warehouse,
        target,
        as_of,
    )
    _dbt(["run", "--threads", "1", "--select", *METERING_MODELS], warehouse, target, as_of)
    seconds = _model_seconds(target)
    metering = sum(seconds[model] for model in METERING_MODELS)
    floor = _floor_seconds(data_dir, warehouse)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_type = dict(
            con.execute(
                """select metrics.aggregation_type, count(*) from raw.events as events
                   inner join raw.billable_metrics as metrics on events.code = metrics.code
                   group by 1"""
            ).fetchall()
        )
        usage_rows = con.execute(
            "select count(*) from intermediate.int_usage_aggregated"
        ).fetchone()[0]

    header = (
        f"{landed:,} events ({args.customers:,} customers, {args.days} days), "
        f"{usage_rows:,} usage rows; {os.cpu_count()} cores, DuckDB {duckdb.__version__}."
    )
    print("\n".join([header, "", *_table(landed, floor, metering, seconds, by_type)]))


def _row(step: str, events: int | None, seconds: float) -> str:
    if events is None:
        return f"| {step} | - | {seconds:.1f} | - |"
    return f"| {step} | {events:,} | {seconds:.1f} | {_rate(events, seconds)} |"


def _table(
    landed: int, floor: float, metering: float, seconds: dict[str, float], by_type: dict
) -> list[str]:
    """The Markdown table: the floor, metering as a whole, then each model."""
    lines = [
        "| step | events | seconds | events/s |",
        "|---|---:|---:|---:|",
        _row("bare DuckDB group by over the Parquet (floor)", landed, floor),
        _row("metering, every model below", landed, metering),
    ]
    type_of_family = {family: type_ for type_, family in FAMILY_OF_TYPE.items()}
    for model in METERING_MODELS:
        if model in VIEWS:
            continue
        if model in CATALOG_MODELS:
            lines.append(_row(f"`{model}` (catalog only)", None, seconds[model]))
            continue
        events = by_type.get(type_of_family[model], 0) if model in type_of_family else landed
        lines.append(_row(f"`{model}`", events, seconds[model]))
    ratio = f"Ratio metering / floor: **{metering / floor:.1f}x** the time of a bare group by."
    return [*lines, "", ratio]


if __name__ == "__main__":
    main()
