"""The invoices to collect: finalized, unpaid, with something to pay, and a customer with a
payment provider. Amounts are read as the integers billing.invoices holds; nothing here
computes money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

# Lago's skip conditions (reference/payments.md A.1): not finalized, already succeeded,
# nothing to pay (a zero-total invoice is succeeded without a call), no provider.
CANDIDATES_SQL = """
with

invoices as (
    select
        invoice_id,
        number,
        external_customer_id,
        invoice_type,
        issuing_date,
        currency,
        total_amount_cents
    from billing.invoices
    where status = 'finalized'
        and coalesce(payment_status, 'pending') <> 'succeeded'
        and total_amount_cents > 0
        and issuing_date < $issued_before
),

customers as (
    select
        external_id,
        payment_provider,
        provider_customer_id
    from raw.customers
    where payment_provider is not null
),

organization as (
    select any_value(name) as name
    from raw.organization
),

invoices_joined_to_customers as (
    select
        invoices.invoice_id,
        invoices.number,
        invoices.external_customer_id,
        invoices.invoice_type,
        invoices.issuing_date,
        invoices.currency,
        invoices.total_amount_cents,
        customers.payment_provider,
        customers.provider_customer_id,
        organization.name as organization_name
    from invoices
    inner join customers
        on invoices.external_customer_id = customers.external_id
    left join organization
        on true
)

select * from invoices_joined_to_customers
order by issuing_date, invoice_id
"""

REQUIRED_TABLES = ("billing.invoices", "raw.customers", "raw.organization")


@dataclass(frozen=True)
class Candidate:
    """One invoice to collect, with what the provider request needs."""

    invoice_id: str
    number: str | None
    external_customer_id: str
    invoice_type: str | None
    issuing_date: date
    currency: str
    amount_cents: int
    provider: str
    provider_customer_id: str | None
    organization_name: str | None = None

    @property
    def reference(self) -> str:
        """Lago's `"<billing entity name> - Invoice <number>"`."""
        number = self.number or self.invoice_id
        return (
            f"{self.organization_name} - Invoice {number}"
            if self.organization_name
            else f"Invoice {number}"
        )


def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    return [table for table in REQUIRED_TABLES if table not in present]


def read_candidates(con: duckdb.DuckDBPyConnection, issued_before: date) -> list[Candidate]:
    """Every invoice issued before `issued_before` (the run's window end) still to collect."""
    rows = con.execute(CANDIDATES_SQL, {"issued_before": issued_before}).fetchall()
    return [
        Candidate(
            invoice_id=invoice_id,
            number=number,
            external_customer_id=customer,
            invoice_type=invoice_type,
            issuing_date=issuing_date,
            currency=currency,
            amount_cents=int(amount),
            provider=provider,
            provider_customer_id=provider_customer_id,
            organization_name=organization,
        )
        for (
            invoice_id,
            number,
            customer,
            invoice_type,
            issuing_date,
            currency,
            amount,
            provider,
            provider_customer_id,
            organization,
        ) in rows
    ]
