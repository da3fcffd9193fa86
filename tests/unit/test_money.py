from decimal import Decimal

from dagster_project.lib.money import exponent, format_minor_units, to_major


def test_minor_units_follow_iso_4217():
    assert (exponent("USD"), exponent("jpy"), exponent("KWD")) == (2, 0, 3)


def test_minor_units_convert_exactly_to_major_units():
    # 1999 cents = 19.99 USD; 1999 yen = 1999 JPY; 1999 fils = 1.999 KWD
    assert to_major(1999, "USD") == Decimal("19.99")
    assert to_major(1999, "JPY") == Decimal("1999")
    assert to_major(1999, "KWD") == Decimal("1.999")


def test_formatting_keeps_every_minor_unit():
    assert format_minor_units(1234567, "EUR") == "12,345.67 EUR"
    assert format_minor_units(5, "USD") == "0.05 USD"
    assert format_minor_units(1000, "JPY") == "1,000 JPY"
