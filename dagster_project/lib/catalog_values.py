"""Scalar coercions for catalog fields: exact numbers, naive-UTC timestamps, codes.

Each `as_*` function takes a value as the YAML or JSON loader built it (never a float:
see catalog_files) and returns the normalized value, or raises `BadValue` with a sentence
that says what was expected and what was found.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Active ISO 4217 codes usable for billing (no metals, funds or test codes).
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
    UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())

# raw.* stores decimals as DECIMAL(38, 12) and cents as BIGINT.
DECIMAL_SCALE = 12
DECIMAL_INTEGER_DIGITS = 38 - DECIMAL_SCALE
BIGINT_MAX = 2**63 - 1

_DECIMAL_TEXT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_INTEGER_TEXT = re.compile(r"[-+]?\d+")
_EPOCH = datetime(1970, 1, 1)


class BadValue(ValueError):
    """A field value of the wrong type, or outside the values the field allows."""


def show(value: Any) -> str:
    """A value as a message quotes it: strings quoted, containers named."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def suggest(word: str, candidates: list[str] | frozenset[str] | tuple[str, ...]) -> str | None:
    """The closest candidate to a probable typo, or None."""
    matches = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


def as_str(value: Any) -> str:
    if isinstance(value, bool | dict | list):
        raise BadValue(f"expected text, got {show(value)} (quote it in YAML)")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise BadValue(f"expected a boolean (true or false), got {show(value)}")


def as_int(value: Any, *, minimum: int | None = None) -> int:
    result = _integral(value, "an integer")
    if minimum is not None and result < minimum:
        raise BadValue(f"must be at least {minimum}, got {result}")
    return result


def as_non_negative_int(value: Any) -> int:
    return as_int(value, minimum=0)


def as_cents(value: Any) -> int:
    """Integer minor units (cents): a whole, non-negative number that fits BIGINT."""
    result = _integral(value, "a whole number of cents")
    if result < 0:
        raise BadValue(f"an amount in cents must not be negative, got {result}")
    return result


def as_decimal(value: Any) -> Decimal:
    """An exact decimal (numbers or decimal strings such as "0.25") that fits DECIMAL(38, 12)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise BadValue(f"expected a decimal number, got {show(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise BadValue(f"expected a decimal number, got {show(value)}")
        result = Decimal(text)
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise BadValue(f"expected a finite decimal number, got {show(value)}")
    exponent = result.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMAL_SCALE:
        raise BadValue(f"at most {DECIMAL_SCALE} decimal places are supported, got {show(value)}")
    if result.adjusted() >= DECIMAL_INTEGER_DIGITS:
        raise BadValue(f"{show(value)} is too large (at most {DECIMAL_INTEGER_DIGITS} digits)")
    return result


def as_non_negative_decimal(value: Any) -> Decimal:
    result = as_decimal(value)
    if result < 0:
        raise BadValue(f"must not be negative, got {show(value)}")
    return result


def as_timestamp(value: Any) -> datetime:
    """ISO-8601 text (Z, an offset, or naive meaning UTC), a date, or Unix seconds -> naive UTC."""
    if isinstance(value, bool):
        raise BadValue(f"expected a timestamp, got {show(value)}")
    if isinstance(value, datetime):
        return _naive_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | Decimal):
        try:
            micros = int((Decimal(value) * 1_000_000).to_integral_value())
            return _EPOCH + timedelta(microseconds=micros)
        except (OverflowError, InvalidOperation) as exc:
            raise BadValue(f"{show(value)} is not a valid Unix timestamp") from exc
    if isinstance(value, str):
        try:
            return _naive_utc(datetime.fromisoformat(value.strip()))
        except ValueError as exc:
            raise BadValue(f"expected an ISO-8601 timestamp, got {show(value)}") from exc
    raise BadValue(f"expected a timestamp, got {show(value)}")


def as_date(value: Any) -> date:
    """An ISO date (or a timestamp, whose UTC date is taken)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return as_timestamp(value).date()
    except BadValue as exc:
        raise BadValue(f"expected an ISO-8601 date, got {show(value)}") from exc


def as_currency(value: Any) -> str:
    text = as_str(value)
    if text in ISO_4217:
        return text
    hint = f"; did you mean '{text.upper()}'?" if text.upper() in ISO_4217 else ""
    raise BadValue(f"{show(value)} is not an ISO 4217 currency code (three capital letters){hint}")


_TIMEZONES: frozenset[str] | None = None


def as_timezone(value: Any) -> str:
    global _TIMEZONES
    text = as_str(value)
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones()) | {"UTC"}
    if text in _TIMEZONES:
        return text
    try:
        ZoneInfo(text)
        return text
    except (ZoneInfoNotFoundError, ValueError):
        pass
    close = suggest(text, _TIMEZONES)
    hint = f"; did you mean '{close}'?" if close else ""
    raise BadValue(f"{show(value)} is not an IANA time zone (such as 'Europe/Paris'){hint}")


def as_str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise BadValue(f"expected a list, got {show(value)}")
    result = []
    for position, item in enumerate(value):
        try:
            result.append(as_str(item))
        except BadValue as exc:
            raise BadValue(f"item {position}: {exc}") from exc
    return result


def as_mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise BadValue(f"expected a mapping, got {show(value)}")
    return value


def enum(*allowed: str) -> Callable[[Any], str]:
    """A coercion accepting exactly these values."""

    def as_member(value: Any) -> str:
        text = as_str(value)
        if text in allowed:
            return text
        close = suggest(text, allowed)
        hint = f"; did you mean '{close}'?" if close else ""
        raise BadValue(f"{show(value)} is not one of: {', '.join(allowed)}{hint}")

    return as_member


def json_text(value: Any) -> str:
    """JSON text with exact decimals: a Decimal is written as the number it is, never a float."""
    return "".join(_json_parts(value))


def _json_parts(value: Any):
    if isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield (", " if index else "") + json.dumps(str(key)) + ": "
            yield from _json_parts(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ", "
            yield from _json_parts(item)
        yield "]"
    elif isinstance(value, Decimal):
        yield format(value, "f") if value.is_finite() else json.dumps(str(value))
    elif isinstance(value, datetime | date):
        yield json.dumps(value.isoformat())
    elif value is None or isinstance(value, bool | int | str):
        yield json.dumps(value)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as exact JSON")


def _integral(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise BadValue(f"expected {what}, got {show(value)}")
    if isinstance(value, int):
        result = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        result = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        result = int(value.strip())
    else:
        raise BadValue(f"expected {what}, got {show(value)}")
    if abs(result) > BIGINT_MAX:
        raise BadValue(f"{result} is too large")
    return result


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
