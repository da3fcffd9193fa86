"""The collection loop without provider accounts: push a billed warehouse's invoices to the
local emulator, through the real push asset, and print what happened.

    python -m dagster_project.payments_emulator.demo [--warehouse data/warehouse.duckdb] [--through 2024-06-30]

Run it after `billing run`. It starts the emulator on 127.0.0.1, injects a few faults (a
500, a timeout after the charge, a 429) so the retries show, pushes, lets three days pass
(GoCardless pays out), pushes again to show that a rerun charges nothing twice and only
polls, prints the outcomes and stops the emulator.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.money import format_minor_units
from dagster_project.lib.paths import DEFAULT_WAREHOUSE, resolve
from dagster_project.payments_emulator.harness import (
    double_charges,
    emulator_resources,
    materialize_push,
)
from dagster_project.payments_emulator.server import Emulator

# Faults on the first create requests the emulator sees, whichever provider gets them.
DEMO_FAULTS = [
    ("http_500", 1, {}),
    ("timeout_after_commit", 3, {"hold_s": 2.0}),
    ("rate_limit", 5, {"retry_after": 1}),
]
DEMO_CONFIG = {
    "backoff_base_s": 0.05,
    "backoff_cap_s": 0.5,
    "read_timeout_s": 1.0,
    "concurrency": 4,
}

OUTCOMES_SQL = """
with

creates as (
    select
        payment_id,
        string_agg(
            outcome || coalesce(' ' || cast(http_status as varchar), ''), ' > ' order by attempt
        ) as create_outcomes
    from payments.attempts
    where operation = 'create'
    group by payment_id
)

select
    invoices.number,
    invoices.external_customer_id,
    payments.provider,
    payments.amount_cents,
    payments.currency,
    coalesce(creates.create_outcomes, '') as create_outcomes,
    payments.state,
    invoices.payment_status,
    coalesce(payments.error_code, '') as error_code
from payments.payments
inner join billing.invoices
    on payments.invoice_id = invoices.invoice_id
left join creates
    on payments.payment_id = creates.payment_id
order by invoices.issuing_date, invoices.number
"""


def _last_issuing_date(warehouse: Path) -> date:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select max(issuing_date) from billing.invoices where status = 'finalized'"
        ).fetchone()[0]
    if found is None:
        raise SystemExit(
            f"payments demo: no finalized invoice in {warehouse}; run `billing run` first"
        )
    return found


def push_demo(warehouse: Path, through: date | None = None) -> str:
    """Pushes the warehouse's finalized, unpaid invoices to a local emulator (started and
    stopped here) through the real asset, twice, and returns the report to print."""
    warehouse = Path(warehouse)
    partition = (through or _last_issuing_date(warehouse)).isoformat()
    with warnings.catch_warnings(), Emulator() as emulator:
        warnings.simplefilter("ignore")  # Dagster's beta notices: noise for a newcomer
        for action, nth, args in DEMO_FAULTS:
            emulator.add_fault(action, nth=nth, args=args)
        resources = emulator_resources(emulator.url, warehouse)
        first = materialize_push(resources, partition, DEMO_CONFIG, log_level="WARNING")
        creates_first = sum(1 for entry in emulator.requests() if entry["op"] == "create")
        emulator.advance(3 * 86_400)  # GoCardless payments are paid out days later
        second = materialize_push(resources, partition, DEMO_CONFIG, log_level="WARNING")
        creates_second = (
            sum(1 for entry in emulator.requests() if entry["op"] == "create") - creates_first
        )
        charges = emulator.charges()
        url = emulator.url
    if not (first.success and second.success):
        failure = next((e for e in first.all_events + second.all_events if e.is_step_failure), None)
        reason = (
            failure.step_failure_data.error.message
            if failure and failure.step_failure_data.error
            else "?"
        )
        raise SystemExit(f"payments demo: the push failed: {reason}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(OUTCOMES_SQL).fetchall()
    columns = (
        f"  {'invoice':<14} {'customer':<16} {'provider':<10} {'amount':>14}  "
        f"{'create attempts':<40} {'payment':<10} {'invoice status':<14} error"
    )
    faults = ", ".join(f"{action} on create #{nth}" for action, nth, _ in DEMO_FAULTS)
    lines = [
        "",
        f"Payments: finalized invoices pushed to the provider emulator at {url}",
        f"  billing days through {partition}; injected faults: {faults}",
        columns,
    ]
    for number, customer, provider, amount, currency, outcomes, state, status, error in rows:
        money = format_minor_units(int(amount), currency)
        lines.append(
            f"  {number or '':<14} {customer:<16} {provider:<10} {money:>14}  "
            f"{outcomes:<40} {state:<10} {status or '':<14} {error}"
        )
    if not rows:
        lines.append(
            "  (nothing to collect: no finalized, unpaid invoice of a customer with a provider)"
        )
    charged = sum(charge["charged"] for charge in charges)
    lines += [
        "",
        (
            f"  first push: {creates_first} create request(s); rerun three days later: "
            f"{creates_second} create request(s), {_polled(second)} processing payment(s) settled"
        ),
        (
            f"  emulator: {len(charges)} payment(s) created, {charged} charged, "
            f"{len(double_charges(charges))} invoice(s) charged twice"
        ),
        "  ledger: payments.payments, payments.attempts; status: payments.invoice_payment_status",
        "",
    ]
    return "\n".join(lines)


def _polled(result: dg.ExecuteInProcessResult) -> int:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.path == ["payments", "attempts"]
    )
    return int(event.materialization.metadata["processing_settled_by_poll"].value)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.payments_emulator.demo", description=__doc__
    )
    parser.add_argument(
        "--warehouse", default=os.environ.get("BILLING_WAREHOUSE") or DEFAULT_WAREHOUSE
    )
    parser.add_argument(
        "--through", type=date.fromisoformat, help="last billing day (default: the last invoice's)"
    )
    args = parser.parse_args()
    warehouse = resolve(args.warehouse)
    if not warehouse.exists():
        sys.exit(f"payments demo: no warehouse at {warehouse}; run `billing run` first")
    print(push_demo(warehouse, args.through))


if __name__ == "__main__":
    main()
