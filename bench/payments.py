"""Benchmark the payment push: invoices per second against the local provider emulator.

    .venv/bin/python bench/payments.py [--invoices 600] [--concurrency 1 4 16]

Each row is one run of the real push asset (dg.materialize) on a fresh file-backed
warehouse holding `--invoices` finalized invoices spread over Stripe, GoCardless and
Adyen: per invoice a payment-method lookup, a write-ahead attempt, the charge and its
record. By default the emulator runs in the same process (its threads then share the GIL
with the push); `--emulator-url` uses one started on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dagster_project.payments_emulator import Emulator
from dagster_project.payments_emulator.harness import (
    FAST_CONFIG,
    SeedInvoice,
    double_charges,
    emulator_resources,
    materialize_push,
    seed_warehouse,
)

PROVIDERS = [("stripe", "cus"), ("gocardless", "CU"), ("adyen", "shopper")]


def seed(path: Path, count: int) -> None:
    seed_warehouse(
        path,
        [
            SeedInvoice(f"inv_{n:06d}", f"cust_{n:06d}", provider, f"{prefix}_{n:06d}")
            for n in range(count)
            for provider, prefix in [PROVIDERS[n % len(PROVIDERS)]]
        ],
    )


def run(
    count: int, concurrency: int, folder: Path, url: str | None
) -> tuple[float, int | None, int | None]:
    warehouse = folder / f"bench-{concurrency}.duckdb"
    seed(warehouse, count)
    with contextlib.ExitStack() as stack:
        emulator = None if url else stack.enter_context(Emulator())
        config = {**FAST_CONFIG, "concurrency": concurrency, "read_timeout_s": 10.0}
        started = time.perf_counter()
        resources = emulator_resources(url or emulator.url, warehouse)
        result = materialize_push(resources, config=config, log_level="WARNING")
        elapsed = time.perf_counter() - started
        charges = emulator.charges() if emulator else None
    if not result.success:
        raise SystemExit("the push failed")
    if charges is None:
        return elapsed, None, None
    return elapsed, sum(charge["charged"] for charge in charges), len(double_charges(charges))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=600)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--emulator-url",
        help="an emulator already running in its own process (python -m dagster_project.payments_emulator); "
        "default: one in this process",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    print(
        f"{'concurrency':>11} {'invoices':>9} {'seconds':>8} {'invoices/s':>11} {'charged':>8} {'charged twice':>14}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for concurrency in args.concurrency:
            elapsed, charged, doubles = run(
                args.invoices, concurrency, Path(folder), args.emulator_url
            )
            print(
                f"{concurrency:>11} {args.invoices:>9} {elapsed:>8.2f} {args.invoices / elapsed:>11.1f} "
                f"{'-' if charged is None else charged:>8} {'-' if doubles is None else doubles:>14}",
                flush=True,
            )


if __name__ == "__main__":
    main()
