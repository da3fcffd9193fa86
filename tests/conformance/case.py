"""A converted case: catalog objects, events and what to compare, all namespaced by case id."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tests.conformance import issues

SEPARATOR = "__"


def ns(case_id: str, value: str) -> str:
    """An identity of a case, namespaced so that many cases can share one catalog."""
    return f"{case_id}{SEPARATOR}{value}"


@dataclass(frozen=True)
class Period:
    """A billing period as Lago writes it: both bounds inclusive, `end` at 23:59:59.999999."""

    start: datetime
    end: datetime

    @property
    def middle(self) -> datetime:
        """An instant strictly inside the period, whatever convention the warehouse uses for bounds."""
        return self.start + (self.end - self.start) / 2

    @property
    def billing_day(self) -> date:
        """The day the period is invoiced in arrears: the day after it ends (UTC)."""
        return (self.end + timedelta(microseconds=1)).date()


def month_period(year: int, month: int, start: datetime | None = None) -> Period:
    """The calendar month (UTC), starting at `start` when the subscription starts inside it."""
    first = datetime(year, month, 1, tzinfo=UTC)
    last_day = calendar.monthrange(year, month)[1]
    end = datetime(year, month, last_day, 23, 59, 59, 999999, tzinfo=UTC)
    return Period(max(first, start) if start else first, end)


def iso(instant: datetime) -> str:
    """An aware datetime as the ISO text written into catalogs and events."""
    text = instant.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


@dataclass
class ConvertedCase:
    """One vector case as catalog objects and events, ready to share a data directory."""

    case_id: str
    kind: str  # aggregation | charge_model | invoice
    catalog: dict[str, list[dict]]
    events: list[dict]
    through: date  # the last billing day the case needs
    detected_features: frozenset[str]
    check: object  # AggregationCheck | ChargeCheck | InvoiceCheck
    organization: dict | None = None
    notes: list[str] = field(default_factory=list)  # interpretations, shown on failure
    blocked: str | None = None  # why the case cannot be run as its spec is (xfail with this reason)

    @property
    def features(self) -> frozenset[str]:
        return issues.case_features(self.case_id, self.detected_features)

    @property
    def xfail_reason(self) -> str | None:
        if self.blocked:
            return self.blocked
        return issues.xfail_reason(self.features)

    @property
    def supported(self) -> bool:
        return self.xfail_reason is None
