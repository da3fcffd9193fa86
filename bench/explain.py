"""Profile the slowest dbt models of a bench/run.py measurement, one at a time, with DuckDB's
profiler (what EXPLAIN ANALYZE prints, as JSON).

    .venv/bin/python bench/explain.py [--results bench/.data/run/1M/results.json]
                                      [--step "full re-bill"] [--models 6] [--operators 5]

Takes the step's dbt invocation (its compiled SQL under dbt_project/target/) and runs the
SELECT of each of its N slowest models alone, into an in-memory temporary table, against a
copy of that size's warehouse (as the nightly run left it: the same tables over the same
events). Prints each model's seconds in the run and alone (dbt runs four models at once on
two cores), its rows, DuckDB's peak buffer memory, and its most expensive operators with
their share of the operator time and their output rows. CREATE_TABLE_AS is the writing of
the result.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def _operators(node: dict, depth: int = 0):
    """(name, seconds, rows, depth) of every operator under a profile node (DuckDB 2.0's
    layout: `operator` at the top, then `type`, `timing`, `intermediate_rows`, `children`)."""
    if "timing" in node and "type" in node:
        extra = node.get("extra_info") or {}
        detail = extra.get("Function") or extra.get("Join Type") or extra.get("Table") or ""
        name = f"{node['type']} {detail}".strip()
        yield (name, node["timing"], node.get("intermediate_rows", 0), depth)
    for child in node.get("operator", []) + node.get("children", []):
        yield from _operators(child, depth + 1)


def profile(con: duckdb.DuckDBPyConnection, sql: str, output: Path) -> tuple[float, int, list, int]:
    """Seconds, rows, operators and peak buffer bytes of one model's SELECT."""
    con.execute("pragma enable_profiling = 'json'")
    con.execute(f"set profiling_output = '{output}'")
    began = time.perf_counter()
    con.execute(f"create or replace temp table explained as {sql}")
    seconds = time.perf_counter() - began
    con.execute("pragma disable_profiling")
    rows = con.execute("select count(*) from explained").fetchone()[0]
    report = json.loads(output.read_text())
    return seconds, rows, list(_operators(report)), report["system"]["peak_buffer_memory"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=Path("bench/.data/run/1M/results.json"))
    parser.add_argument("--step", default="full re-bill")
    parser.add_argument("--models", type=int, default=6)
    parser.add_argument("--operators", type=int, default=5)
    args = parser.parse_args()

    results = json.loads(args.results.read_text())
    invocation = results["dbt"][args.step]
    target = Path(invocation["target"])
    warehouse = args.results.parent / "warehouse.duckdb"
    if not warehouse.exists():
        sys.exit(f"no warehouse at {warehouse}: run bench/run.py for this size first")
    with tempfile.TemporaryDirectory(prefix="ratebook-explain-") as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        shutil.copy(warehouse, copy)
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{copy}' as warehouse (read_only)")
        print(f"{results['events']:,} events; {target.name}; DuckDB {duckdb.__version__}\n")
        for model in invocation["slowest_models"][: args.models]:
            found = list((target / "compiled").rglob(f"{model['name']}.sql"))
            if not found:
                print(f"{model['name']}: no compiled SQL under {target}\n")
                continue
            sql = found[0].read_text()
            seconds, rows, operators, memory = profile(con, sql, Path(tmp) / "profile.json")
            total = sum(operator[1] for operator in operators) or 1.0
            print(
                f"{model['name']}: {model['seconds']:.1f} s in the run, {seconds:.1f} s alone, "
                f"{rows:,} rows, peak buffer {memory / 2**20:,.0f} MiB"
            )
            ranked = sorted(operators, key=lambda operator: -operator[1])
            for name, op_seconds, op_rows, _ in ranked[: args.operators]:
                share = op_seconds / total
                print(f"    {op_seconds:6.2f} s {share:4.0%}  {op_rows:>12,} rows  {name[:80]}")
            print()


if __name__ == "__main__":
    main()
