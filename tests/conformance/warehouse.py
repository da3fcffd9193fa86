"""Reads the contract tables (CONTRACT §3) back and lists every difference with a case's check."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from tests.conformance.case import Period
from tests.conformance.convert_invoices import ExpectedInvoice, ExpectedWallet, InvoiceCheck
from tests.conformance.convert_units import AggregationCheck, ChargeCheck, ExpectedUsage
from tests.conformance.vectors import decimal, parse_instant


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def _naive(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _dec(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):  # not allowed for money (CONTRACT §3); compare what it prints as
        return Decimal(repr(value))
    return Decimal(str(value))


def _rounded(value: Decimal, digits: int, mode: str = "half_up") -> Decimal:
    return value.quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_CEILING if mode == "ceil" else ROUND_HALF_UP
    )


def _show(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 48.440000000000 -> 48.44, 1E+2 -> 100
    return repr(value)


def _json_object(value: object) -> dict:
    if value is None or value == "":
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def _period_billed(con: duckdb.DuckDBPyConnection, subscription: str, period: Period) -> bool:
    """Whether an invoice covers the charges of this period (a fee or usage row may be absent
    when it has 0 units, 0 amount and 0 events, as in Lago)."""
    rows = con.execute(
        """
        select count(*) from billing.invoice_subscriptions
        where external_subscription_id = ?
          and coalesce(charges_from_datetime, from_datetime) <= ?
          and coalesce(charges_to_datetime, to_datetime) >= ?
        """,
        [subscription, _naive(period.middle), _naive(period.middle)],
    ).fetchone()
    return bool(rows and rows[0])


# --- aggregations ---------------------------------------------------------------------------


def _usage_label(expected: ExpectedUsage) -> str:
    parts = []
    if expected.filter_display_name:
        parts.append(f"filter {expected.filter_display_name}")
    if expected.grouped_by:
        parts.append(f"group {json.dumps(expected.grouped_by)}")
    return ", ".join(parts) or "usage"


def check_aggregation(con: duckdb.DuckDBPyConnection, check: AggregationCheck) -> list[str]:
    rows = _records(
        con,
        """
        select filter_display_name, grouped_by, units, events_count, from_datetime, to_datetime
        from billing.usage
        where external_subscription_id = ? and code = ? and from_datetime <= ? and to_datetime >= ?
        """,
        [
            check.external_subscription_id,
            check.code,
            _naive(check.period.middle),
            _naive(check.period.middle),
        ],
    )
    problems = []
    for expected in check.rows:
        label = _usage_label(expected)
        matching = [
            row
            for row in rows
            if (row["filter_display_name"] or None) == expected.filter_display_name
            and _json_object(row["grouped_by"]) == expected.grouped_by
        ]
        if not matching:
            # A zero is asserted on its row too: billing.usage has one for every charge and
            # period, so a missing row means the metric was not aggregated at all.
            seen = [
                (
                    row["filter_display_name"],
                    _json_object(row["grouped_by"]),
                    _show(_dec(row["units"])),
                )
                for row in rows
            ]
            problems.append(
                f"{label}: no billing.usage row; expected units {_show(expected.units)}; rows of the period: {seen}"
            )
            continue
        if len(matching) > 1:
            problems.append(f"{label}: {len(matching)} billing.usage rows for one period")
        row = matching[0]
        units = _dec(row["units"])
        compared = (
            units if expected.round_digits is None else _rounded(units, expected.round_digits)
        )
        wanted = (
            expected.units
            if expected.round_digits is None
            else _rounded(expected.units, expected.round_digits)
        )
        if compared != wanted:
            shown = (
                ""
                if expected.round_digits is None
                else f" (rounded to {expected.round_digits} digits)"
            )
            problems.append(f"{label}: units {_show(units)}{shown}, Lago {_show(expected.units)}")
        if expected.events_count is not None and row["events_count"] != expected.events_count:
            problems.append(
                f"{label}: events_count {row['events_count']}, Lago {expected.events_count}"
            )
    return problems


# --- charge models --------------------------------------------------------------------------


def check_charge(con: duckdb.DuckDBPyConnection, check: ChargeCheck) -> list[str]:
    fees = _records(
        con,
        """
        select fee_id, units, events_count, precise_unit_amount, precise_amount, amount_cents, currency
        from billing.fees
        where external_subscription_id = ? and fee_type = 'charge' and code = ?
          and from_datetime <= ? and to_datetime >= ?
        """,
        [
            check.external_subscription_id,
            check.code,
            _naive(check.period.middle),
            _naive(check.period.middle),
        ],
    )
    expected_zero = (check.amount_cents in (0, None)) and (check.amount in (None, Decimal(0)))
    if not fees:
        # Lago persists no fee with 0 units, 0 amount and 0 events (reference §8): only then
        # may the fee be absent, and only from a period that was invoiced.
        may_be_absent = expected_zero and check.units == 0 and check.events_count == 0
        if may_be_absent and _period_billed(con, check.external_subscription_id, check.period):
            return []
        return [
            f"no charge fee for the period {check.period.start:%Y-%m-%d}..{check.period.end:%Y-%m-%d}"
        ]
    if len(fees) > 1:
        return [f"{len(fees)} charge fees for one charge and period: {fees}"]
    fee = fees[0]
    problems = []
    if fee["currency"] != check.currency:
        problems.append(f"currency {fee['currency']}, Lago {check.currency}")
    if check.amount_cents is not None and fee["amount_cents"] != check.amount_cents:
        problems.append(f"amount_cents {fee['amount_cents']}, Lago {check.amount_cents}")
    if check.amount is not None:
        precise = _dec(fee["precise_amount"])
        compared = (
            precise
            if check.amount_round is None
            else _rounded(precise, check.amount_round, check.amount_round_mode)
        )
        if compared != check.amount:
            shown = (
                ""
                if check.amount_round is None
                else f" (rounded to {check.amount_round} digits: {_show(compared)})"
            )
            problems.append(f"precise_amount {_show(precise)}{shown}, Lago {_show(check.amount)}")
    if check.unit_amount is not None:
        unit = _dec(fee["precise_unit_amount"])
        compared = (
            unit if check.unit_amount_round is None else _rounded(unit, check.unit_amount_round)
        )
        if compared != check.unit_amount:
            shown = (
                ""
                if check.unit_amount_round is None
                else f" (rounded to {check.unit_amount_round} digits)"
            )
            problems.append(
                f"precise_unit_amount {_show(unit)}{shown}, Lago {_show(check.unit_amount)}"
            )
    return problems


# --- invoices -------------------------------------------------------------------------------

INVOICE_COLUMNS = (
    "invoice_id, number, external_customer_id, invoice_type, status, currency, issuing_date, "
    "fees_amount_cents, coupons_amount_cents, sub_total_excluding_taxes_amount_cents, "
    "taxes_amount_cents, sub_total_including_taxes_amount_cents, credit_notes_amount_cents, "
    "prepaid_credit_amount_cents, total_amount_cents"
)
FEE_COLUMNS = (
    "fee_id, external_subscription_id, fee_type, code, units, events_count, precise_amount, "
    "amount_cents, precise_coupons_amount, taxes_amount_cents, taxes_rate, currency"
)


def _number_key(number: str | None) -> tuple:
    """Invoice numbers sort by their trailing counter (per customer sequence), then as text."""
    match = re.search(r"(\d+)\D*$", number or "")
    return (int(match.group(1)) if match else -1, number or "")


def _same_bound(expected: str, actual: datetime | None) -> bool:
    """Lago writes period ends as 23:59:59; a warehouse may keep microseconds or a half-open end."""
    if actual is None:
        return False
    wanted = _naive(parse_instant(expected))
    got = actual.replace(tzinfo=None) if actual.tzinfo is None else _naive(actual)
    got = got.replace(microsecond=0)
    return got == wanted or (wanted.second == 59 and got == wanted + timedelta(seconds=1))


def _currency_exponent(currency: str) -> int:
    from dagster_project.lib.money import exponent

    return exponent(currency)


def _fee_differences(expected: dict, actual: dict) -> list[str]:
    differences = []
    for key, value in expected.items():
        if key in (
            "type",
            "code",
            "external_subscription_id",
            "true_up",
            "taxes_precise_amount_cents",
        ):
            continue
        if key in ("amount_cents", "events_count", "taxes_amount_cents"):
            if actual[key] != value:
                differences.append(f"{key} {actual[key]}, Lago {value}")
        elif key in ("units", "taxes_rate"):
            if _dec(actual[key]) != decimal(value):
                differences.append(f"{key} {_show(_dec(actual[key]))}, Lago {value}")
        elif key in ("precise_amount_cents", "precise_coupons_amount_cents"):
            column = key.removesuffix("_cents")
            wanted = decimal(value)
            major = _dec(actual[column]) or Decimal(0)
            cents = major.scaleb(_currency_exponent(actual["currency"]))
            if _rounded(cents, max(-wanted.as_tuple().exponent, 0)) != wanted:
                differences.append(
                    f"{column} {_show(major)} (= {_show(cents)} cents), Lago {value} cents"
                )
        else:
            differences.append(f"{key}: no rule to compare it")
    return differences


def _check_fees(expected: ExpectedInvoice, fees: list[dict]) -> list[str]:
    problems = []
    if expected.fees_count is not None and len(fees) != expected.fees_count:
        kinds = [(fee["fee_type"], fee["code"], fee["amount_cents"]) for fee in fees]
        problems.append(f"{len(fees)} fees {kinds}, Lago {expected.fees_count}")
    if expected.commitment_fees_count is not None:
        count = sum(fee["fee_type"] == "commitment" for fee in fees)
        if count != expected.commitment_fees_count:
            problems.append(f"{count} commitment fees, Lago {expected.commitment_fees_count}")
    unmatched = list(fees)
    for wanted in expected.fees:
        candidates = [
            fee
            for fee in unmatched
            if fee["fee_type"] == wanted["type"]
            and (wanted["type"] == "commitment" or fee["code"] == wanted["code"])
            and wanted.get("external_subscription_id") in (None, fee["external_subscription_id"])
        ]
        label = f"{wanted['type']} fee {wanted.get('code')}"
        if not candidates:
            problems.append(
                f"{label}: missing; fees are {[(f['fee_type'], f['code']) for f in fees]}"
            )
            continue
        differences = [(_fee_differences(wanted, fee), fee) for fee in candidates]
        exact = [fee for found, fee in differences if not found]
        if exact:
            unmatched.remove(exact[0])
        else:
            problems.append(
                f"{label}: " + "; ".join(min(differences, key=lambda item: len(item[0]))[0])
            )
    return problems


def _check_period(con: duckdb.DuckDBPyConnection, invoice_id: str, period: dict) -> list[str]:
    rows = _records(
        con,
        "select * from billing.invoice_subscriptions where invoice_id = ?",
        [invoice_id],
    )
    for row in rows:
        if all(_same_bound(value, row.get(key)) for key, value in period.items()):
            return []
    seen = [{key: str(row.get(key)) for key in period} for row in rows]
    return [f"period {period}, invoice_subscriptions {seen}"]


def check_invoices(con: duckdb.DuckDBPyConnection, check: InvoiceCheck) -> list[str]:
    customers = sorted({invoice.external_customer_id for invoice in check.invoices})
    actual = _records(
        con,
        f"select {INVOICE_COLUMNS} from billing.invoices where list_contains(?, external_customer_id)",
        [customers],
    )
    actual.sort(
        key=lambda row: (row["issuing_date"], _number_key(row["number"]), row["invoice_id"])
    )
    taken: set[str] = set()
    problems = []
    for position, expected in enumerate(
        sorted(check.invoices, key=lambda invoice: invoice.generated_at)
    ):
        first, last = expected.issuing_dates
        issued = f"{first}" if first == last else f"{first}..{last}"
        label = (
            f"invoice #{position + 1} ({expected.generated_at:%Y-%m-%dT%H:%M}Z, issued {issued})"
        )
        candidates = [
            row
            for row in actual
            if row["external_customer_id"] == expected.external_customer_id
            and first <= row["issuing_date"] <= last
            and row["invoice_id"] not in taken
        ]
        if not candidates:
            dates = [
                f"{row['issuing_date']}"
                for row in actual
                if row["external_customer_id"] == expected.external_customer_id
            ]
            problems.append(f"{label}: no such invoice; the customer's invoices are issued {dates}")
            continue
        row = candidates[0]
        taken.add(row["invoice_id"])
        for key, value in expected.fields.items():
            if row[key] != value:
                problems.append(f"{label}: {key} {row[key]}, Lago {value}")
        if expected.period:
            problems += [
                f"{label}: {problem}"
                for problem in _check_period(con, row["invoice_id"], expected.period)
            ]
        if (
            expected.fees
            or expected.fees_count is not None
            or expected.commitment_fees_count is not None
        ):
            fees = _records(
                con,
                f"select {FEE_COLUMNS} from billing.fees where invoice_id = ?",
                [row["invoice_id"]],
            )
            problems += [f"{label}: {problem}" for problem in _check_fees(expected, fees)]
    for wallet in check.wallets:
        problems += _check_wallet(con, wallet, check)
    return problems


def _check_wallet(
    con: duckdb.DuckDBPyConnection, wallet: ExpectedWallet, check: InvoiceCheck
) -> list[str]:
    cutoff = datetime.combine(check.as_of + timedelta(days=1), datetime.min.time())
    totals = dict(
        con.execute(
            """
            select transaction_type, coalesce(sum(amount_cents), 0)
            from billing.wallet_transactions
            where external_customer_id = ? and wallet_code = ? and created_at < ?
            group by transaction_type
            """,
            [wallet.external_customer_id, wallet.code, cutoff],
        ).fetchall()
    )
    inbound, outbound = int(totals.get("inbound", 0)), int(totals.get("outbound", 0))
    problems = []
    if wallet.balance_cents is not None and inbound - outbound != wallet.balance_cents:
        problems.append(
            f"wallet {wallet.code}: balance {inbound - outbound} cents (in {inbound}, out {outbound}), Lago {wallet.balance_cents}"
        )
    if wallet.invoiced_amount_cents is not None and outbound != wallet.invoiced_amount_cents:
        problems.append(
            f"wallet {wallet.code}: consumed {outbound} cents, Lago {wallet.invoiced_amount_cents}"
        )
    return problems
