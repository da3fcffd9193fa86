"""Numbers, money, percentages and dates in a document's locale, with Babel.

Money arrives as integer minor units and becomes an exact `Decimal` in major
units (`lib/money.py` knows each currency's exponent); it is never a float.
Babel supplies the locale's patterns (symbol position, separators, minus sign);
only the number of decimals is set here, from the currency's exponent, so a
JPY amount has none and a KWD amount three, whatever CLDR's cash rounding says.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_interval
from babel.numbers import NumberPattern, parse_pattern

from dagster_project.lib.money import exponent, to_major

# A unit price keeps up to this many decimals (Lago prices like 0.0018 per call).
MAX_UNIT_PRICE_DECIMALS = 10
MAX_UNITS_DECIMALS = 6
MAX_PERCENT_DECIMALS = 4


@lru_cache(maxsize=256)
def _pattern(locale: Locale, kind: str, min_frac: int, max_frac: int) -> NumberPattern:
    """The locale's own pattern for `kind`, with the given number of decimals."""
    if kind == "currency":
        base = locale.currency_formats["standard"]
    elif kind == "percent":
        base = locale.percent_formats[None]
    else:
        base = locale.decimal_formats[None]
    pattern = copy.copy(parse_pattern(base.pattern))
    pattern.frac_prec = (min_frac, max_frac)
    return pattern


def _decimals(value: Decimal) -> int:
    """Decimals needed to show `value` without trailing zeros."""
    exp = value.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


@lru_cache(maxsize=64)
def _zone(name: str | None) -> ZoneInfo | timezone:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Formatter:
    """Formats one document: its locale, its currency and the customer's timezone."""

    locale: Locale
    currency: str
    timezone: str | None = None

    def money(self, minor_units: int | None) -> str:
        """Integer minor units: `money(123456)` -> `$1,234.56` (en), `1 234,56 €` (fr)."""
        places = exponent(self.currency)
        amount = to_major(int(minor_units or 0), self.currency)
        return _pattern(self.locale, "currency", places, places).apply(
            amount, self.locale, currency=self.currency, currency_digits=False
        )

    def deduction(self, minor_units: int | None) -> str:
        """An amount taken off the invoice, with the locale's minus sign."""
        return self.money(-abs(int(minor_units or 0)))

    def unit_price(self, major_units: Decimal | None) -> str:
        """A precise price in major units: the currency's decimals, more when the price has them."""
        value = Decimal(major_units or 0)
        places = exponent(self.currency)
        shown = min(max(places, _decimals(value)), max(places, MAX_UNIT_PRICE_DECIMALS))
        return _pattern(self.locale, "currency", places, shown).apply(
            value, self.locale, currency=self.currency, currency_digits=False
        )

    def units(self, value: Decimal | int | None) -> str:
        """A quantity, without trailing zeros: `1.000000` -> `1`, `91.1` -> `91,1` (fr)."""
        quantity = Decimal(value or 0)
        shown = min(_decimals(quantity), MAX_UNITS_DECIMALS)
        return _pattern(self.locale, "decimal", 0, shown).apply(quantity, self.locale)

    def percent(self, rate: Decimal | int | None) -> str:
        """A rate given in percent: `7.25` -> `7.25%` (en), `7,25 %` (fr)."""
        fraction = Decimal(rate or 0) / 100
        shown = min(max(_decimals(Decimal(rate or 0)), 0), MAX_PERCENT_DECIMALS)
        return _pattern(self.locale, "percent", 0, shown).apply(fraction, self.locale)

    def local_date(self, value: date | datetime | None) -> date | None:
        """A timestamp (naive = UTC) as the date it is in the customer's timezone."""
        if value is None:
            return None
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.astimezone(_zone(self.timezone)).date()
        return value

    def date(self, value: date | datetime | None) -> str:
        local = self.local_date(value)
        return format_date(local, "long", locale=self.locale) if local else ""

    def period(self, start: date | datetime | None, end: date | datetime | None) -> str:
        """An inclusive period: `Mar 1 – 31, 2024` (en), `1–31 mars 2024` (fr)."""
        first, last = self.local_date(start), self.local_date(end)
        if first is None or last is None:
            return self.date(first or last)
        if first == last:
            return format_date(first, "medium", locale=self.locale)
        return format_interval(first, last, "yMMMd", locale=self.locale)
