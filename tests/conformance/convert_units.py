"""aggregations.json and charge_models.json cases -> one subscription each, priced `standard`
(aggregations) or with the case's charge model (charge models), over one billing period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tests.conformance.case import ConvertedCase, Period, iso, month_period, ns
from tests.conformance.vectors import decimal, parse_instant

# Lago ignores the lower bound of the period for these recurring aggregations
# (reference/metering-and-pricing.md §1: `use_from_boundary = !recurring`).
UNBOUNDED_WHEN_RECURRING = {"sum_agg", "unique_count_agg"}
DEFAULT_CURRENCY = "USD"
# Charge-model cases bill March 2024 (31 days) unless a prorated case needs another length.
CHARGE_MONTH = (2024, 3)
EVENT_DAY = datetime(2024, 3, 10, tzinfo=UTC)


class Unshapeable(Exception):
    """The case's window holds events no calendar billing period of its subscription can hold."""


@dataclass(frozen=True)
class ExpectedUsage:
    grouped_by: dict  # pricing group key -> value; {} without groups
    filter_display_name: str | None
    units: Decimal
    round_digits: int | None  # compare after rounding half-up to this many digits
    events_count: int | None


@dataclass(frozen=True)
class AggregationCheck:
    """billing.usage of one subscription, metric and period: one row per group or filter."""

    external_subscription_id: str
    code: str
    period: Period
    rows: tuple[ExpectedUsage, ...]


@dataclass(frozen=True)
class ChargeCheck:
    """The charge fee of one subscription and period (billing.fees)."""

    external_subscription_id: str
    code: str
    period: Period
    currency: str
    units: Decimal  # what the events add up to
    events_count: int  # events sent
    amount_cents: int | None
    amount: Decimal | None  # major units
    amount_round: int | None  # compare precise_amount after rounding to this many digits
    amount_round_mode: str  # half_up | ceil
    unit_amount: Decimal | None
    unit_amount_round: int | None


def _months_between(first: datetime, last: datetime) -> list[tuple[int, int]]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _overlap(period: Period, start: datetime, end: datetime) -> timedelta:
    return max(min(period.end, end) - max(period.start, start), timedelta(0))


def shape_period(case: dict) -> tuple[datetime, Period, list[str]]:
    """The subscription start and the calendar monthly period standing for the case's window.

    Lago's aggregation specs often use a window that is not a billing period (for
    example `now - 1.month` .. `now`). What the aggregation returns depends only on
    which events the window reads (and on their order), so any calendar period
    that reads exactly the same events gives the same result; the window's length
    matters only to weighted_sum, which therefore needs the exact period.
    """
    window_start = parse_instant(case["period"]["from"])
    window_end = parse_instant(case["period"]["to"])
    started = case.get("subscription_started_at")
    fixed_start = parse_instant(started) if started else None
    unbounded = bool(case["recurring"]) and case["aggregation_type"] in UNBOUNDED_WHEN_RECURRING
    stamps = [parse_instant(event["timestamp"]) for event in case["events"]]

    def read_by_lago(stamp: datetime) -> bool:
        return stamp <= window_end and (unbounded or stamp >= window_start)

    wanted = {index for index, stamp in enumerate(stamps) if read_by_lago(stamp)}
    candidates = []
    for year, month in _months_between(fixed_start or window_start, window_end):
        start = fixed_start or datetime(year, month, 1, tzinfo=UTC)
        period = month_period(year, month, start)
        if period.start > period.end:
            continue
        read = {
            index
            for index, stamp in enumerate(stamps)
            if start <= stamp <= period.end and (unbounded or stamp >= period.start)
        }
        exact = period.start == window_start and abs(period.end - window_end) < timedelta(seconds=1)
        if case["aggregation_type"] == "weighted_sum_agg" and not exact:
            continue  # the time weighting divides by the period's length
        if read == wanted:
            candidates.append((exact, _overlap(period, window_start, window_end), start, period))
    if not candidates:
        raise Unshapeable(
            f"no calendar monthly billing period reads exactly the events of the window "
            f"{case['period']['from']}..{case['period']['to']}"
        )
    exact, _, start, period = max(candidates, key=lambda item: (item[0], item[1], item[3].start))
    notes = []
    if not exact:
        notes.append(
            f"window {case['period']['from']}..{case['period']['to']} is not a billing period; "
            f"compared on the calendar period {iso(period.start)}..{iso(period.end)}, which reads the same events"
        )
    return start, period, notes


def _subscription_objects(
    case_id: str, start: datetime, currency: str, charge: dict, metric: dict
) -> dict:
    customer = ns(case_id, "customer")
    plan = ns(case_id, "plan")
    return {
        "billable_metrics": [metric],
        "plans": [
            {
                "code": plan,
                "name": case_id,
                "interval": "monthly",
                "amount_cents": 0,
                "amount_currency": currency,
                "pay_in_advance": False,
                "charges": [charge],
            }
        ],
        "customers": [{"external_id": customer, "name": case_id, "currency": currency}],
        "subscriptions": [
            {
                "external_id": ns(case_id, "subscription"),
                "external_customer_id": customer,
                "plan_code": plan,
                "billing_time": "calendar",
                "created_at": iso(start),
                "subscription_at": iso(start),
            }
        ],
    }


def _event(
    case_id: str,
    index: int,
    code: str,
    timestamp: str,
    properties: dict,
    transaction_id: str | None = None,
    **extra,
) -> dict:
    return {
        "transaction_id": ns(case_id, transaction_id or f"tx{index:04d}"),
        "external_subscription_id": ns(case_id, "subscription"),
        "external_customer_id": ns(case_id, "customer"),
        "code": code,
        "timestamp": timestamp,
        "properties": properties,
        **extra,
    }


def _aggregation_features(case: dict) -> set[str]:
    features = {
        f"aggregation:{case['aggregation_type']}",
        "interval:monthly",
        "charge_model:standard",
    }
    if case["recurring"]:
        features.add("recurring_metric")
    if case.get("filters"):
        features.add("metric_filters")
    if case.get("grouped_by"):
        features.add("pricing_groups")
    if case.get("rounding_function"):
        features.add("unit_rounding")
    return features


def _filter_name(filters: dict) -> str:
    return ",".join(f"{key}:{'|'.join(values)}" for key, values in sorted(filters.items()))


def convert_aggregation(case: dict) -> ConvertedCase:
    case_id = case["id"]
    code = ns(case_id, "metric")
    notes: list[str] = []
    blocked = None
    try:
        start, period, notes = shape_period(case)
    except Unshapeable as exc:
        blocked = f"not convertible: {exc}"
        start = parse_instant(case.get("subscription_started_at") or case["period"]["from"])
        period = Period(parse_instant(case["period"]["from"]), parse_instant(case["period"]["to"]))

    metric = {"code": code, "name": case_id, "aggregation_type": case["aggregation_type"]}
    for key in (
        "field_name",
        "recurring",
        "weighted_interval",
        "rounding_function",
        "rounding_precision",
    ):
        if case.get(key) is not None:
            metric[key] = case[key]
    properties: dict = {"amount": "1"}
    if case.get("grouped_by"):
        properties["pricing_group_keys"] = list(case["grouped_by"])
    charge = {"id": ns(case_id, "charge"), "billable_metric_code": code, "charge_model": "standard"}
    filter_name = None
    if case.get("filters"):
        filter_name = _filter_name(case["filters"])
        metric["filters"] = [
            {"key": key, "values": list(values)} for key, values in case["filters"].items()
        ]
        charge["filters"] = [
            {
                "values": case["filters"],
                "properties": dict(properties),
                "invoice_display_name": filter_name,
            }
        ]
    charge["properties"] = properties

    events = [
        _event(
            case_id,
            index,
            code,
            event["timestamp"],
            event["properties"],
            transaction_id=event.get("transaction_id"),
        )
        for index, event in enumerate(case["events"])
    ]
    previous = case.get("previous_period_value")
    if previous:
        # The value Lago cached from the previous billing run, rebuilt as history before the
        # period: the first period of the subscription ends with exactly that running total.
        field_name = case["field_name"]
        for group in previous.get("groups", [previous]):
            properties_ = {field_name: str(group["value"]), **(group.get("grouped_by") or {})}
            events.append(_event(case_id, len(events), code, iso(start), properties_))
        notes.append(
            "previous_period_value rebuilt as events at the subscription start (before the period)"
        )

    expected = case["expected"]
    round_digits = expected.get("aggregation_round_digits")
    if "groups" in expected:
        rows = tuple(
            ExpectedUsage(
                grouped_by=dict(group["grouped_by"]),
                filter_display_name=filter_name,
                units=decimal(group["aggregation"]),
                round_digits=round_digits,
                events_count=group.get("count"),
            )
            for group in expected["groups"]
        )
    else:
        rows = (
            ExpectedUsage(
                grouped_by={},
                filter_display_name=filter_name,
                units=decimal(expected["aggregation"]),
                round_digits=round_digits,
                events_count=expected.get("count"),
            ),
        )
    check = AggregationCheck(ns(case_id, "subscription"), code, period, rows)
    return ConvertedCase(
        case_id=case_id,
        kind="aggregation",
        catalog=_subscription_objects(case_id, start, DEFAULT_CURRENCY, charge, metric),
        events=events,
        through=period.billing_day,
        detected_features=frozenset(_aggregation_features(case)),
        check=check,
        notes=notes,
        blocked=blocked,
    )


def _prorated_month(case: dict) -> tuple[tuple[int, int], list[int]]:
    """For a prorated case: a month and, per event, the days from its date to the period end.

    The vector gives each event's full and prorated value; prorated = full x days / month length
    (reference §7), so the month length and the days are recovered from the ratios.
    """
    fulls = [decimal(value) for value in case["events"]]
    prorated = [decimal(value) for value in case["events_prorated"]]
    for year, month, length in ((2024, 3, 31), (2024, 4, 30), (2023, 2, 28), (2024, 2, 29)):
        days = [round(p / f * length) for f, p in zip(fulls, prorated, strict=True)]
        if all(
            1 <= d <= length and abs(f * d / length - p) <= Decimal("0.005")
            for f, p, d in zip(fulls, prorated, days, strict=True)
        ):
            return (year, month), days
    raise Unshapeable("events_prorated is not full x days / month length for any month length")


def _charge_features(case: dict, aggregation_type: str) -> set[str]:
    features = {
        f"charge_model:{case['charge_model']}",
        f"aggregation:{aggregation_type}",
        "interval:monthly",
    }
    if case.get("prorated"):
        features |= {"prorated_charge", "recurring_metric"}
    return features


def _charge_events(
    case: dict, period: Period, days: list[int] | None
) -> tuple[str, list[tuple[datetime, dict, dict]]]:
    """The aggregation type and (timestamp, properties, extra fields) of each event, in order.

    `events` (per-event values) when given; else `events_count` events: counted (count_agg)
    when the count equals the units, else values summing to the units; else one event
    carrying the units (none for 0 units).
    """
    units = decimal(case["units"])
    if case.get("events") is not None:
        values = [decimal(value) for value in case["events"]]
        aggregation = "sum_agg"
    elif (
        case.get("events_count") is not None
        and Decimal(case["events_count"]) == units
        and units > 0
    ):
        values = [None] * case["events_count"]
        aggregation = "count_agg"
    elif case.get("events_count"):
        count = case["events_count"]
        values = [units - (count - 1)] + [Decimal(1)] * (count - 1)
        aggregation = "sum_agg"
    else:
        values = [units] if units != 0 or case.get("precise_total_amount_cents") else []
        aggregation = "sum_agg"
    per_event_amounts = case.get("events_precise_total_amount_cents")
    if per_event_amounts is None and case.get("precise_total_amount_cents") is not None:
        per_event_amounts = [case["precise_total_amount_cents"]] + [None] * (len(values) - 1)
    events = []
    for index, value in enumerate(values):
        if days is not None:
            stamp = period.end.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
                days=days[index] - 1
            )
            stamp += timedelta(seconds=index)  # keep the vector's order on one day
        else:
            stamp = EVENT_DAY + timedelta(minutes=index)
        properties = {} if value is None else {"value": str(value)}
        extra = {}
        if per_event_amounts and per_event_amounts[index] is not None:
            extra["precise_total_amount_cents"] = str(per_event_amounts[index])
        events.append((stamp, properties, extra))
    return aggregation, events


def _major_to_cents(amount: Decimal, currency: str) -> int:
    from dagster_project.lib.money import exponent  # the project's ISO 4217 table

    return int((amount.scaleb(exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert_charge_model(case: dict) -> ConvertedCase:
    case_id = case["id"]
    code = ns(case_id, "metric")
    currency = case.get("currency") or DEFAULT_CURRENCY
    notes: list[str] = []
    blocked = None
    days = None
    year, month = CHARGE_MONTH
    if case.get("prorated"):
        try:
            (year, month), days = _prorated_month(case)
            notes.append(f"prorated events placed {days} days before the end of {year}-{month:02d}")
        except Unshapeable as exc:
            blocked = f"not convertible: {exc}"
    start = datetime(year, month, 1, tzinfo=UTC)
    period = month_period(year, month)
    aggregation, raw_events = _charge_events(case, period, days)
    metric = {"code": code, "name": case_id, "aggregation_type": aggregation}
    if aggregation == "sum_agg":
        metric["field_name"] = "value"
    if case.get("prorated"):
        metric["recurring"] = True
    charge = {
        "id": ns(case_id, "charge"),
        "billable_metric_code": code,
        "charge_model": case["charge_model"],
        "properties": case["properties"],
    }
    if case.get("prorated"):
        charge["prorated"] = True
    events = [
        _event(case_id, index, code, iso(stamp), properties, **extra)
        for index, (stamp, properties, extra) in enumerate(raw_events)
    ]

    amount = decimal(case["expected_amount"]) if case.get("expected_amount") is not None else None
    amount_cents = case.get("expected_amount_cents")
    round_mode = case.get("expected_amount_round_mode", "half_up")
    if amount_cents is None and amount is not None and round_mode == "half_up":
        amount_cents = _major_to_cents(amount, currency)
    unit_amount = case.get("expected_unit_amount")
    check = ChargeCheck(
        external_subscription_id=ns(case_id, "subscription"),
        code=code,
        period=period,
        currency=currency,
        units=decimal(case["units"]),
        events_count=len(events),
        amount_cents=amount_cents,
        amount=amount,
        amount_round=case.get("expected_amount_round"),
        amount_round_mode=round_mode,
        unit_amount=decimal(unit_amount) if unit_amount is not None else None,
        unit_amount_round=case.get("expected_unit_amount_round"),
    )
    return ConvertedCase(
        case_id=case_id,
        kind="charge_model",
        catalog=_subscription_objects(case_id, start, currency, charge, metric),
        events=events,
        through=period.billing_day,
        detected_features=frozenset(_charge_features(case, aggregation)),
        check=check,
        notes=notes,
        blocked=blocked,
    )
