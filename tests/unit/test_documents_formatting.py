"""Money, numbers, rates and dates come out in the document's locale, exactly (Babel, Decimal)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from babel import Locale

from dagster_project.lib.documents.formatting import Formatter

NBSP = "\u00a0"
NNBSP = "\u202f"


def fmt(locale: str, currency: str = "EUR", timezone: str | None = None) -> Formatter:
    return Formatter(Locale.parse(locale), currency, timezone)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "€1,234,567.89"),
        ("fr", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        ("de", f"1.234.567,89{NBSP}€"),
        ("es", f"1.234.567,89{NBSP}€"),
        ("it", f"1.234.567,89{NBSP}€"),
        ("sv", f"1{NBSP}234{NBSP}567,89{NBSP}€"),
        ("nb", f"1{NBSP}234{NBSP}567,89{NBSP}€"),
        ("pt_BR", f"€{NBSP}1.234.567,89"),
    ],
)
def test_money_from_minor_units_follows_the_locale(locale, expected):
    assert fmt(locale).money(123456789) == expected


def test_money_keeps_each_currencys_minor_unit():
    assert fmt("en", "JPY").money(1000) == "¥1,000"  # no decimals
    assert fmt("en", "KWD").money(1999) == "KWD1.999"  # three
    assert fmt("en", "USD").money(5) == "$0.05"
    assert fmt("en", "USD").money(0) == "$0.00"


def test_a_large_amount_is_exact_not_a_float():
    # 2**53 + 1 cents cannot be represented as a float
    assert fmt("en", "USD").money(9007199254740993) == "$90,071,992,547,409.93"


def test_deductions_carry_the_locales_minus_sign():
    assert fmt("en", "USD").deduction(1050) == "-$10.50"
    assert fmt("de").deduction(-1050) == f"-10,50{NBSP}€"


def test_unit_prices_keep_their_own_decimals_beyond_the_currencys():
    assert fmt("en", "USD").unit_price(Decimal("0.001800000000")) == "$0.0018"
    assert fmt("en", "USD").unit_price(Decimal("49.000000000000")) == "$49.00"
    assert fmt("fr", "EUR").unit_price(Decimal("0.5")) == f"0,50{NBSP}€"
    assert fmt("en", "JPY").unit_price(Decimal("0.25")) == "¥0.25"


def test_units_lose_trailing_zeros_and_use_the_locales_separators():
    assert fmt("en").units(Decimal("1.000000000000")) == "1"
    assert fmt("fr").units(Decimal("91.100000000000")) == "91,1"
    assert fmt("de").units(Decimal(1234567)) == "1.234.567"


def test_tax_rates_are_percentages_in_the_locale():
    assert fmt("en").percent(Decimal("7.250000000000")) == "7.25%"
    assert fmt("fr").percent(Decimal(20)) == f"20{NBSP}%"
    assert fmt("de").percent(Decimal("0.65")) == f"0,65{NBSP}%"


def test_dates_and_periods_are_written_out_in_the_locale():
    assert fmt("en").date(date(2024, 3, 1)) == "March 1, 2024"
    assert fmt("fr").date(date(2024, 3, 1)) == "1 mars 2024"
    assert fmt("de").date(date(2024, 3, 1)) == "1. März 2024"
    start, end = datetime(2024, 3, 1), datetime(2024, 3, 31, 23, 59, 59)
    assert fmt("en").period(start, end) == "Mar 1\u2009–\u200931, 2024"
    assert fmt("fr").period(start, end) == "1–31 mars 2024"


def test_period_boundaries_are_shown_in_the_customers_timezone():
    # 2024-03-01 00:00 UTC is still February 29th in New York.
    assert (
        fmt("en", "USD", "America/New_York").date(datetime(2024, 3, 1, 0, 0)) == "February 29, 2024"
    )
    assert fmt("en", "USD", "Not/AZone").date(datetime(2024, 3, 1, 0, 0)) == "March 1, 2024"
