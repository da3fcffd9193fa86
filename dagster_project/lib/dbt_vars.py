"""Billing window -> dbt vars: a pure function, tested on its own.

A billing day D is the day on which Lago issues the invoices due that day. A run
over the billing days [first, last] acts as of the end of `last`: events received
before then are known, invoices issued on or before `last` exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class BillingWindow:
    """Inclusive range of billing days."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(
                f"billing window ends ({self.last_day}) before it starts ({self.first_day})"
            )

    @property
    def end_exclusive(self) -> date:
        return self.last_day + timedelta(days=1)

    @property
    def as_of(self) -> datetime:
        """The instant the run acts as of: the end of the last billing day (UTC)."""
        return datetime.combine(self.end_exclusive, time.min)

    @classmethod
    def from_time_window(cls, start: datetime, end: datetime) -> "BillingWindow":
        """From a Dagster partition time window [start, end) of whole days."""
        return cls(first_day=start.date(), last_day=(end - timedelta(days=1)).date())


def dbt_vars(window: BillingWindow) -> dict[str, str]:
    """The `--vars` of one dbt invocation for a window (half-open `from`/`to`)."""
    return {
        "from": window.first_day.isoformat(),
        "to": window.end_exclusive.isoformat(),
        "as_of": window.as_of.strftime("%Y-%m-%d %H:%M:%S"),
    }


# The environment variables dbt reads the window from when it executes
# (macros/billing_window.sql); the same values as `dbt_vars`, named for the shell.
WINDOW_ENV = {"from": "BILLING_WINDOW_FROM", "to": "BILLING_WINDOW_TO", "as_of": "BILLING_WINDOW_AS_OF"}


def dbt_window_env(window: BillingWindow) -> dict[str, str]:
    """The window as environment variables for one dbt invocation. Unlike `--vars`, they are
    no part of dbt's parse, so partial parsing survives a new window."""
    return {WINDOW_ENV[name]: value for name, value in dbt_vars(window).items()}
