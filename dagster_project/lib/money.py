"""Currency minor units (ISO 4217) and exact formatting of integer minor units."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 exponents that are not 2. Must agree with dbt_project/macros (currency_exponent).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


def exponent(currency: str) -> int:
    """Number of decimals of a currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_major(minor_units: int, currency: str) -> Decimal:
    """Integer minor units as an exact Decimal amount in major units."""
    return Decimal(minor_units).scaleb(-exponent(currency))


def format_minor_units(minor_units: int, currency: str) -> str:
    """`12345, "USD"` -> `"123.45 USD"` (exact, no float)."""
    places = exponent(currency)
    amount = to_major(minor_units, currency).quantize(Decimal(1).scaleb(-places))
    return f"{amount:,} {currency}"
