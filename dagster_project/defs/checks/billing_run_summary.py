"""What a billing run did, read from the warehouse: the numbers a billing operator looks at
first. Pure functions over a DuckDB connection (unit-tested on a warehouse the test builds);
the asset in billing_run_report.py puts them on its materialization.

Money stays integer minor units: totals are `sum()` of BIGINT `_cents` columns, shown with
their currency, never converted or divided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.lib.dbt_vars import BillingWindow

LATE_CODE = "late_for_finalized_invoice"
LATE_EXAMPLES = 10


@dataclass
class RunSummary:
    window: BillingWindow
    # (currency, status) -> (invoices, total_amount_cents)
    issued: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    invoices_in_warehouse: int = 0
    late_events: int = 0
    late_examples: list[tuple] = field(default_factory=list)
    event_errors_by_code: dict[str, int] = field(default_factory=dict)
    rejected_in_window: int = 0
    landed_in_window: int = 0

    @property
    def invoices_issued(self) -> int:
        return sum(count for count, _ in self.issued.values())

    @property
    def totals_by_currency(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (currency, _status), (_count, cents) in sorted(self.issued.items()):
            totals[currency] = totals.get(currency, 0) + cents
        return totals


def _has_table(con, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    return found > 0


def summarize(con, window: BillingWindow) -> tuple[RunSummary, list[str]]:
    """The run's summary, and a sentence for each part that could not be read and why."""
    summary = RunSummary(window)
    skipped: list[str] = []
    span = [window.first_day, window.end_exclusive]
    if _has_table(con, "billing", "invoices"):
        rows = con.execute(
            """
            select currency, status, count(*), sum(total_amount_cents)::bigint
            from billing.invoices
            where issuing_date >= ? and issuing_date < ?
            group by currency, status
            order by currency, status
            """,
            span,
        ).fetchall()
        summary.issued = {(currency, status): (count, cents) for currency, status, count, cents in rows}
        summary.invoices_in_warehouse = con.execute("select count(*) from billing.invoices").fetchone()[0]
    else:
        skipped.append("invoices: billing.invoices does not exist yet (dbt has not built it)")
    if _has_table(con, "billing", "event_errors"):
        rows = con.execute(
            "select error_code, count(*) from billing.event_errors group by error_code order by error_code"
        ).fetchall()
        summary.event_errors_by_code = dict(rows)
        summary.late_events = summary.event_errors_by_code.get(LATE_CODE, 0)
        summary.late_examples = con.execute(
            f"""
            select transaction_id, external_subscription_id, code, event_date, received_at
            from billing.event_errors
            where error_code = ?
            order by received_at desc nulls last, transaction_id
            limit {LATE_EXAMPLES}
            """,
            [LATE_CODE],
        ).fetchall()
    else:
        skipped.append("event errors: billing.event_errors does not exist yet (dbt has not built it)")
    if _has_table(con, "raw", "events") and _has_table(con, "raw", "event_rejects"):
        landed, dated, undated = landed_and_rejected(con, window)
        summary.landed_in_window, summary.rejected_in_window = landed, dated + undated
    else:
        skipped.append("landing: raw.events has not been landed yet")
    return summary, skipped


def landed_and_rejected(con, window: BillingWindow) -> tuple[int, int, int]:
    """Events landed for the window's event dates, rejects dated in it, and undated rejects
    (a line that is not JSON, a missing timestamp): those belong to every landing, as landing
    counts them (lib/events.py), but to no day."""
    span = [window.first_day, window.end_exclusive]
    landed = con.execute(
        "select count(*) from raw.events where event_date >= ? and event_date < ?", span
    ).fetchone()[0]
    dated, undated = con.execute(
        "select count(*) filter (where event_date is not null), "
        "count(*) filter (where event_date is null) from raw.event_rejects "
        "where event_date is null or (event_date >= ? and event_date < ?)",
        span,
    ).fetchone()
    return landed, dated, undated


def _days(window: BillingWindow) -> str:
    first, last = window.first_day, window.last_day
    return str(first) if first == last else f"{first}..{last}"


def render_markdown(summary: RunSummary) -> str:
    """Tables for the Dagster UI: issued invoices per currency and status, totals, late events."""
    lines = [f"**Billing days {_days(summary.window)}** (as of {summary.window.as_of:%Y-%m-%d %H:%M} UTC)", ""]
    if summary.issued:
        lines += ["| currency | status | invoices | total_amount_cents |", "|---|---|---:|---:|"]
        lines += [
            f"| {currency} | {status} | {count} | {cents} |"
            for (currency, status), (count, cents) in sorted(summary.issued.items())
        ]
        lines += ["", "| currency | total_amount_cents |", "|---|---:|"]
        lines += [f"| {currency} | {cents} |" for currency, cents in summary.totals_by_currency.items()]
    else:
        lines.append(f"No invoice issued on {_days(summary.window)}.")
    lines += [
        "",
        f"Events landed for these days: {summary.landed_in_window}; rejected by ingestion: "
        f"{summary.rejected_in_window}.",
        f"Late events (`{LATE_CODE}`, reported, never billed into a finalized invoice): "
        f"{summary.late_events}.",
    ]
    if summary.late_examples:
        lines += ["", "| transaction_id | subscription | code | event_date | received_at |", "|---|---|---|---|---|"]
        lines += [f"| {' | '.join('' if v is None else str(v) for v in row)} |" for row in summary.late_examples]
    if summary.event_errors_by_code:
        lines += ["", "| event error | events |", "|---|---:|"]
        lines += [f"| {code} | {count} |" for code, count in summary.event_errors_by_code.items()]
    return "\n".join(lines)
