"""A run's payment summary, for the asset's metadata and the demo's output."""

from __future__ import annotations

from collections import Counter

from dagster_project.lib.money import format_minor_units
from dagster_project.lib.payments.push import PushReport

RESULTS = ("succeeded", "processing", "pending", "failed", "skipped", "conflict")


def result_counts(report: PushReport) -> dict[str, int]:
    """Invoices per result of this run's pushes, plus payments settled by polling."""
    counts = {f"invoices_{result}": report.count(result) for result in RESULTS}
    counts["processing_polled"] = len(report.polled)
    counts["processing_settled_by_poll"] = sum(
        1 for item in report.polled if item.result != "processing"
    )
    counts["abandoned_attempts_recovered"] = report.recovered_attempts
    return counts


def skip_reasons(report: PushReport) -> dict[str, int]:
    return dict(
        sorted(
            Counter(
                item.reason or "" for item in report.results if item.result == "skipped"
            ).items()
        )
    )


def summary_markdown(rows: list[tuple]) -> str:
    """Rows of `Ledger.run_summary()` (provider, state, invoice status, currency, payments,
    amount_cents) as a Markdown table; amounts were summed in SQL."""
    lines = [
        "| provider | payment | invoice payment_status | currency | payments | amount |",
        "|---|---|---|---|---:|---:|",
    ]
    for provider, state, status, currency, count, amount in rows:
        lines.append(
            f"| {provider} | {state} | {status} | {currency} | {count} | "
            f"{format_minor_units(int(amount), currency)} |"
        )
    if not rows:
        lines.append("| (no payment called this run) | | | | 0 | |")
    return "\n".join(lines)
