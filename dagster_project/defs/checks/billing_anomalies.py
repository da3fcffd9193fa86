"""Anomalies a billing operator wants flagged, never blocking: an invoice total that moved
by more than a factor from the customer's previous invoice, and a spike of rejected events.

Each check is a pure function over a DuckDB connection (unit-tested on a warehouse the test
builds) and a thin asset check around it. Both warn: the invoices are still issued, the
events still quarantined; the operator looks, and decides.
"""


from dataclasses import dataclass
from decimal import Decimal

import dagster as dg

from dagster_project.defs.checks.billing_run_summary import landed_and_rejected
from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.resources import Warehouse
from dagster_project.lib.dbt_vars import BillingWindow

# Each subscription invoice of the window with the same customer's previous one in the same
# currency (issuing order). One-off and credit (wallet top-up) invoices are not compared: their
# amounts are not a recurring bill.
PREVIOUS_INVOICE_SQL = """
with invoices as (
    select
        invoice_id,
        coalesce(number, invoice_id) as invoice_label,
        external_customer_id,
        currency,
        issuing_date,
        total_amount_cents,
        lag(coalesce(number, invoice_id)) over customer_invoices as previous_label,
        lag(total_amount_cents) over customer_invoices as previous_total_amount_cents
    from billing.invoices
    where invoice_type = 'subscription' and status <> 'voided'
    window customer_invoices as (
        partition by external_customer_id, currency order by issuing_date, invoice_id
    )
)
select
    invoice_label, external_customer_id, currency, issuing_date,
    previous_label, previous_total_amount_cents, total_amount_cents
from invoices
where issuing_date >= ? and issuing_date < ?
order by issuing_date, external_customer_id, invoice_label
"""


@dataclass(frozen=True)
class InvoiceMove:
    invoice: str
    customer: str
    currency: str
    issuing_date: object
    previous_invoice: str | None
    previous_total_cents: int | None
    total_cents: int

    @property
    def ratio(self) -> Decimal | None:
        """total / previous (both non-zero), exact."""
        if not self.previous_total_cents or not self.total_cents:
            return None
        return Decimal(self.total_cents) / Decimal(self.previous_total_cents)

    def moved_more_than(self, factor: Decimal) -> bool:
        ratio = self.ratio
        return ratio is not None and (abs(ratio) > factor or abs(ratio) * factor < 1)


@dataclass
class TotalsCheck:
    moved: list[InvoiceMove]
    compared: int
    first_invoices: list[InvoiceMove]
    zero_totals: list[InvoiceMove]

    def skipped(self) -> list[str]:
        """Why some invoices of the window were not compared."""
        reasons = []
        if self.first_invoices:
            names = ", ".join(move.invoice for move in self.first_invoices[:10])
            reasons.append(
                f"{len(self.first_invoices)} invoice(s) are their customer's first in that "
                f"currency, nothing to compare with ({names})"
            )
        if self.zero_totals:
            names = ", ".join(move.invoice for move in self.zero_totals[:10])
            reasons.append(
                f"{len(self.zero_totals)} invoice(s) total 0 or follow one that does "
                f"(a trial, prepaid credits): no ratio ({names})"
            )
        return reasons


def invoice_total_moves(con, window: BillingWindow, factor: Decimal) -> TotalsCheck:
    rows = con.execute(PREVIOUS_INVOICE_SQL, [window.first_day, window.end_exclusive]).fetchall()
    moves = [InvoiceMove(*row[:6], total_cents=row[6]) for row in rows]
    first = [move for move in moves if move.previous_invoice is None]
    zero = [move for move in moves if move.previous_invoice is not None and move.ratio is None]
    compared = [move for move in moves if move.ratio is not None]
    return TotalsCheck(
        moved=[move for move in compared if move.moved_more_than(factor)],
        compared=len(compared),
        first_invoices=first,
        zero_totals=zero,
    )


def moves_table(moves: list[InvoiceMove]) -> str:
    header = [
        "| invoice | customer | currency | issuing_date | previous invoice | previous total_amount_cents | total_amount_cents | ratio |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    rows = [
        f"| {m.invoice} | {m.customer} | {m.currency} | {m.issuing_date} | {m.previous_invoice} "
        f"| {m.previous_total_cents} | {m.total_cents} | {m.ratio:.2f} |"
        for m in moves
    ]
    return "\n".join(header + rows)


class InvoiceTotalsConfig(dg.Config):
    factor: float = 3.0
    """Warn when an invoice total is more than `factor` times the customer's previous invoice
    total, or less than 1/`factor` of it."""


@dg.asset_check(
    asset=dg.AssetKey(["billing", "invoices"]),
    name="invoice_total_within_factor_of_previous",
    description=(
        "Warns when a subscription invoice issued on the run's billing days totals more than "
        "`factor` (default 3) times the same customer's previous invoice in that currency, or "
        "less than 1/`factor` of it; lists those invoices."
    ),
    pool="duckdb",
    blocking=False,
)
def invoice_total_within_factor_of_previous(
    context: dg.AssetCheckExecutionContext, config: InvoiceTotalsConfig, duckdb: Warehouse
) -> dg.AssetCheckResult:
    window = run_billing_window(context.op_execution_context)
    factor = Decimal(str(config.factor))
    with duckdb.get_connection() as con:
        result = invoice_total_moves(con, window, factor)
    for reason in result.skipped():
        context.log.info(f"Not compared: {reason}")
    days = f"{window.first_day}..{window.last_day}"
    description = (
        f"{len(result.moved)} of {result.compared} invoice(s) issued on {days} moved more than "
        f"{factor}x from the customer's previous invoice."
        if result.moved
        else f"All {result.compared} compared invoice(s) issued on {days} within {factor}x of the previous one."
    )
    return dg.AssetCheckResult(
        passed=not result.moved,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "factor": float(factor),
            "invoices_compared": result.compared,
            "invoices_moved": len(result.moved),
            "not_compared": dg.MetadataValue.md("\n".join(f"- {r}" for r in result.skipped()) or "none"),
            **({"moved": dg.MetadataValue.md(moves_table(result.moved))} if result.moved else {}),
        },
    )


@dataclass(frozen=True)
class RejectShare:
    """The share counts rejects dated in the window: an undated reject (not JSON, no
    timestamp) belongs to no day, and one bad line would otherwise flag every quiet day."""

    landed: int
    rejected: int
    undated: int

    @property
    def share(self) -> Decimal | None:
        total = self.landed + self.rejected
        return Decimal(self.rejected) / Decimal(total) if total else None


class RejectedEventsConfig(dg.Config):
    max_rejected_share: float = 0.05
    """Warn when more than this share (0..1) of the events of the landed days is rejected."""


@dg.asset_check(
    asset=dg.AssetKey(["raw", "event_rejects"]),
    name="rejected_events_share_below_threshold",
    description=(
        "Warns when ingestion rejected more than `max_rejected_share` (default 5%) of the "
        "events of the landed billing days (rejected / (landed + rejected), rejects dated "
        "in those days; undated ones are reported beside)."
    ),
    additional_deps=[dg.AssetKey(["raw", "events"])],
    pool="duckdb",
    blocking=False,
)
def rejected_events_share_below_threshold(
    context: dg.AssetCheckExecutionContext, config: RejectedEventsConfig, duckdb: Warehouse
) -> dg.AssetCheckResult:
    window = run_billing_window(context.op_execution_context)
    threshold = Decimal(str(config.max_rejected_share))
    with duckdb.get_connection() as con:
        counts = RejectShare(*landed_and_rejected(con, window))
    days = f"{window.first_day}..{window.last_day}"
    share = counts.share
    if share is None:
        context.log.info(f"Rejected-events share not computed: no event dated {days} was landed or rejected.")
    if counts.undated:
        context.log.info(
            f"{counts.undated} undated reject(s) (no readable timestamp) left out of the share: "
            "they belong to no billing day (billing.event_errors lists them)."
        )
    spike = share is not None and share > threshold
    return dg.AssetCheckResult(
        passed=not spike,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"No event for {days}." if share is None
            else f"{counts.rejected} of {counts.landed + counts.rejected} events for {days} rejected "
            f"({share:.2%}; threshold {threshold:.2%})."
        ),
        metadata={
            "billing_days": days,
            "events_landed": counts.landed,
            "events_rejected": counts.rejected,
            "undated_rejects": counts.undated,
            "rejected_share": float(share) if share is not None else 0.0,
            "max_rejected_share": float(threshold),
        },
    )
