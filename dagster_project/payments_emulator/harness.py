"""Drive the real push asset against the emulator: for the tests, the demo and the benchmark.

- `seed_warehouse` writes `raw.customers`, `raw.organization` and `billing.invoices` with
  the contract's columns, for a warehouse that has not been billed (tests, bench).
- `emulator_resources` points the provider resources at an emulator, with test keys.
- `materialize_push` materializes `payments/invoice_payment_status` and the push for one
  billing day (or a range), in process, through Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from dagster_project.lib.raw_schema import create_table_sql

TEST_KEYS = {
    "stripe": "sk_test_emulator",
    "gocardless": "sandbox_emulator",
    "adyen": "emulator_api_key",
}
MERCHANT_ACCOUNT = "RatebookECOM"

INVOICES_DDL = """
create table if not exists billing.invoices (
    invoice_id varchar,
    number varchar,
    sequential_id integer,
    external_customer_id varchar,
    invoice_type varchar,
    status varchar,
    payment_status varchar,
    currency varchar,
    issuing_date date,
    payment_due_date date,
    fees_amount_cents bigint,
    coupons_amount_cents bigint,
    sub_total_excluding_taxes_amount_cents bigint,
    taxes_amount_cents bigint,
    sub_total_including_taxes_amount_cents bigint,
    credit_notes_amount_cents bigint,
    prepaid_credit_amount_cents bigint,
    total_amount_cents bigint,
    finalized_at timestamp
)
"""


@dataclass(frozen=True)
class SeedInvoice:
    invoice_id: str
    customer: str
    provider: str | None  # stripe | gocardless | adyen | None
    provider_customer_id: str | None
    total_amount_cents: int = 12_345
    currency: str = "EUR"
    issuing_date: date = date(2024, 3, 1)
    status: str = "finalized"
    payment_status: str = "pending"


# Push config for tests: tiny waits; a read timeout half the emulator's hold (2 s), and
# long enough that an answered request never times out on a busy machine.
FAST_CONFIG = {
    "backoff_base_s": 0.001,
    "backoff_cap_s": 0.01,
    "connect_timeout_s": 2.0,
    "read_timeout_s": 1.0,
    "invoice_deadline_s": 20.0,
    "concurrency": 4,
}


def double_charges(charges: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Invoices charged more than once: more than one payment that moved money, or more
    than one payment object under one idempotency key. Empty when exactly-once held."""
    charged: dict[str, list[str]] = {}
    per_key: dict[str, list[str]] = {}
    for charge in charges:
        if charge["charged"]:
            charged.setdefault(charge["invoice_id"], []).append(charge["id"])
        if charge["idempotency_key"]:
            per_key.setdefault(charge["idempotency_key"], []).append(charge["id"])
    doubles = {invoice: ids for invoice, ids in charged.items() if len(ids) > 1}
    doubles |= {key: ids for key, ids in per_key.items() if len(ids) > 1}
    return doubles


def seed_warehouse(
    path: Path, invoices: Iterable[SeedInvoice], organization: str = "Ratebook Demo"
) -> None:
    """Creates the tables the push reads (when missing) and adds these invoices."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists billing")
        for table in ("customers", "organization"):
            con.execute(create_table_sql(table))
        if not con.execute("select count(*) from raw.organization").fetchone()[0]:
            con.execute(
                "insert into raw.organization (name, default_currency) values (?, 'USD')",
                [organization],
            )
        con.execute(INVOICES_DDL)
        customers: dict[str, SeedInvoice] = {}
        for number, invoice in enumerate(invoices, start=1):
            customers.setdefault(invoice.customer, invoice)
            total = invoice.total_amount_cents
            con.execute(
                """
                insert into billing.invoices values (
                    ?, ?, ?, ?, 'subscription', ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, 0, 0, ?, ?
                )
                """,
                [
                    invoice.invoice_id,
                    f"RB-{number:05d}",
                    number,
                    invoice.customer,
                    invoice.status,
                    invoice.payment_status,
                    invoice.currency,
                    invoice.issuing_date,
                    invoice.issuing_date,
                    total,
                    total,
                    total,
                    total,
                    datetime.combine(invoice.issuing_date, time.min),
                ],
            )
        for customer, invoice in customers.items():
            con.execute(
                """
                insert into raw.customers (external_id, name, currency, payment_provider, provider_customer_id)
                select ?, ?, ?, ?, ?
                where not exists (select 1 from raw.customers where external_id = ?)
                """,
                [
                    customer,
                    customer,
                    invoice.currency,
                    invoice.provider,
                    invoice.provider_customer_id,
                    customer,
                ],
            )


def emulator_resources(
    url: str | None, warehouse: Path, keys: Mapping[str, str | None] = TEST_KEYS
) -> dict[str, Any]:
    """The resources of the push, pointed at an emulator (`url`), or with no keys at all."""
    from dagster_project.defs.payments.resources import (
        AdyenResource,
        GoCardlessResource,
        StripeResource,
    )
    from dagster_project.defs.resources import Warehouse

    base = url or "http://127.0.0.1:9"
    return {
        "duckdb": Warehouse(database=str(warehouse)),
        "stripe": StripeResource(api_base=base, secret_key=keys.get("stripe")),
        "gocardless": GoCardlessResource(api_base=base, access_token=keys.get("gocardless")),
        "adyen": AdyenResource(
            checkout_base=f"{base}/v71",
            api_key=keys.get("adyen"),
            merchant_account=MERCHANT_ACCOUNT,
        ),
    }


def materialize_push(
    resources: Mapping[str, Any],
    partition_key: str | None = "2024-03-31",
    config: Mapping[str, Any] | None = None,
    partition_range: tuple[str, str] | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Materializes the status view and the push, as the billing job does after dbt.
    `log_level` (e.g. "WARNING") quiets Dagster's console logger."""
    from dagster_project.defs.payments.assets import payment_push, payment_status_view

    # The push acts as of the run's billing days (defs/partitions.py), named by these tags.
    tags = {"dagster/partition": partition_key} if partition_key else {}
    if partition_range is not None:
        tags = {
            "dagster/asset_partition_range_start": partition_range[0],
            "dagster/asset_partition_range_end": partition_range[1],
        }
    run_config: dict[str, Any] = {"ops": {"payment_push": {"config": dict(config or {})}}}
    if log_level:
        run_config["loggers"] = {"console": {"config": {"log_level": log_level}}}
    return dg.materialize(
        [payment_status_view, payment_push],
        resources=dict(resources),
        tags=tags,
        run_config=run_config,
        raise_on_error=False,
        instance=instance,
    )
