"""Benchmark event landing: generate events with DuckDB, land them, print rows/s.

    .venv/bin/python bench/events_landing.py [--events 2000000] [--jsonl-events 500000] [--threads 2]

Parquet: one file per day in hive folders (events/date=YYYY-MM-DD/), typed
columns (TIMESTAMP, STRUCT properties), as a warehouse export would be. JSONL:
one file per day, Unix-second or ISO-8601 timestamps, one malformed line per
file. Both land into a file-backed DuckDB database, as the pipeline does. CPU
seconds are printed beside wall seconds: on a shared machine they are the
steadier figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dagster_project.lib.events import land_events

DAYS = 30

_EVENTS = """
select
    'tx-' || i as transaction_id,
    'sub-' || (i % 5000) as external_subscription_id,
    'cus-' || (i % 5000) as external_customer_id,
    ['api_calls', 'storage_gb', 'seats'][1 + i % 3] as code,
    timestamp '2024-03-01' + to_microseconds(cast(i as bigint) * (86400000000 * {days} // {n})) as "timestamp",
    {{'region': ['eu', 'us'][1 + i % 2], 'units': i % 17}} as properties,
    case when i % 10 = 0 then '10.1' end as precise_total_amount_cents
from range({n}) as t(i)
"""


def generate_parquet(data_dir: Path, n: int) -> None:
    con = duckdb.connect()
    con.execute(f"create table generated as {_EVENTS.format(n=n, days=DAYS)}")
    for day in range(DAYS):
        folder = data_dir / "events" / f"date=2024-03-{day + 1:02d}"
        folder.mkdir(parents=True)
        con.execute(
            f"""copy (select * from generated where cast("timestamp" as date) = date '2024-03-01' + {day})
            to '{folder / "events.parquet"}' (format parquet)"""
        )
    con.close()


def generate_jsonl(data_dir: Path, n: int) -> None:
    con = duckdb.connect()
    con.execute(f"create table generated as {_EVENTS.format(n=n, days=DAYS)}")
    folder = data_dir / "events"
    folder.mkdir(parents=True)
    for day in range(DAYS):
        con.execute(
            f"""copy (
                select cast(json_object(
                    'transaction_id', transaction_id,
                    'external_subscription_id', external_subscription_id,
                    'external_customer_id', external_customer_id,
                    'code', code,
                    'timestamp', case
                        when hash(transaction_id) % 3 = 0 then to_json(strftime("timestamp", '%Y-%m-%dT%H:%M:%S.%fZ'))
                        else to_json(cast(epoch("timestamp") as bigint))
                    end,
                    'properties', properties,
                    'precise_total_amount_cents', precise_total_amount_cents
                ) as varchar) as line
                from generated where cast("timestamp" as date) = date '2024-03-01' + {day}
                union all select '{{"transaction_id": not json'
            ) to '{folder / f"2024-03-{day + 1:02d}.jsonl"}' (format csv, header false, quote '', delimiter '\x01')"""
        )
    con.close()


def measure(label: str, data_dir: Path, threads: int) -> tuple[str, int, int, float, float]:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    con.execute(f"set threads = {threads}")
    started, cpu_started = time.perf_counter(), time.process_time()
    stats = land_events(con, data_dir)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    con.close()
    return label, stats.events_landed, stats.rejects_landed, seconds, cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="Parquet events")
    parser.add_argument("--jsonl-events", type=int, default=500_000, help="JSONL events (0: skip)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        parquet_dir = Path(tmp) / "parquet"
        generate_parquet(parquet_dir, args.events)
        rows.append(measure("parquet (hive, typed)", parquet_dir, args.threads))
        if args.jsonl_events:
            jsonl_dir = Path(tmp) / "jsonl"
            generate_jsonl(jsonl_dir, args.jsonl_events)
            rows.append(measure("jsonl", jsonl_dir, args.threads))
    print(f"{'format':<24}{'events':>12}{'rejects':>10}{'seconds':>10}{'cpu s':>8}{'rows/s':>14}")
    for label, events, rejects, seconds, cpu_seconds in rows:
        rate = (events + rejects) / seconds
        print(
            f"{label:<24}{events:>12,}{rejects:>10,}{seconds:>10.2f}{cpu_seconds:>8.2f}{rate:>14,.0f}"
        )


if __name__ == "__main__":
    main()
