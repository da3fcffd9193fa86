"""Prints what a billing run produced: invoices per month, totals per currency, where to look."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.lib.money import format_minor_units
from dagster_project.lib.publish import published_path_for
from dagster_project.lib.paths import DEFAULT_WAREHOUSE, resolve


def summary(warehouse: str) -> str:
    with duckdb.connect(warehouse, read_only=True) as con:
        per_month = con.execute(
            """
            select strftime(issuing_date, '%Y-%m') as month, currency, status,
                   count(*) as invoices, sum(total_amount_cents) as total_cents
            from billing.invoices
            group by all
            order by month, currency, status
            """
        ).fetchall()
        per_currency = con.execute(
            """
            select currency, count(*), sum(fees_amount_cents), sum(taxes_amount_cents),
                   sum(total_amount_cents)
            from billing.invoices
            group by currency
            order by currency
            """
        ).fetchall()
        errors = con.execute(
            "select error_code, count(*) from billing.event_errors group by 1 order by 1"
        ).fetchall()
    lines = ["", "Invoices per month", f"  {'month':<8} {'currency':<8} {'status':<10} {'invoices':>8} {'total':>14}"]
    for month, currency, status, count, total in per_month:
        lines.append(
            f"  {month:<8} {currency:<8} {status:<10} {count:>8} {format_minor_units(int(total), currency):>14}"
        )
    lines += ["", "Totals per currency", f"  {'currency':<8} {'invoices':>8} {'fees':>14} {'taxes':>14} {'total due':>14}"]
    for currency, count, fees, taxes, total in per_currency:
        lines.append(
            f"  {currency:<8} {count:>8} {format_minor_units(int(fees), currency):>14} "
            f"{format_minor_units(int(taxes), currency):>14} {format_minor_units(int(total), currency):>14}"
        )
    if errors:
        lines += ["", "Rejected events (billing.event_errors)"]
        lines += [f"  {code:<32} {count:>6}" for code, count in errors]
    lines += [
        "",
        f"Warehouse: {warehouse}",
        f"Analysts read the published copy: duckdb -readonly {published_path_for(Path(warehouse))}",
        "Dagster UI: make dev, then open http://127.0.0.1:3000",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    warehouse = str(resolve(os.environ.get("BILLING_WAREHOUSE") or DEFAULT_WAREHOUSE))
    print(summary(warehouse))


if __name__ == "__main__":
    main()
