"""The analytics charts: PNGs of the right shape, a row of panels per currency, no gap in months."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from PIL import Image

from dagster_project.defs.analytics import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _movement(month: date, currency: str, **cents) -> dict:
    row = {
        "month": month, "currency": currency, "starting_mrr_cents": Decimal(0),
        "new_mrr_cents": Decimal(0), "expansion_mrr_cents": Decimal(0),
        "reactivation_mrr_cents": Decimal(0), "contraction_mrr_cents": Decimal(0),
        "churned_mrr_cents": Decimal(0), "ending_mrr_cents": Decimal(0),
        "mrr_change_cents": Decimal(0), "active_customers": 1,
    }
    row.update({key: Decimal(value) for key, value in cents.items()})
    return row


MOVEMENTS = [
    _movement(date(2024, 1, 1), "EUR", new_mrr_cents=10000, ending_mrr_cents=10000,
              mrr_change_cents=10000),
    _movement(date(2024, 2, 1), "EUR", starting_mrr_cents=10000, expansion_mrr_cents=5000,
              contraction_mrr_cents=-2000, ending_mrr_cents=13000, mrr_change_cents=3000),
    _movement(date(2024, 1, 1), "USD", new_mrr_cents="4333.333333333333",
              ending_mrr_cents="4333.333333333333", mrr_change_cents="4333.333333333333"),
]


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_mrr_chart_draws_one_row_of_panels_per_currency():
    euros = [row for row in MOVEMENTS if row["currency"] == "EUR"]
    one_currency = _size(charts.mrr_movements_chart(euros))
    two_currencies = _size(charts.mrr_movements_chart(MOVEMENTS))
    assert two_currencies[0] == one_currency[0]
    assert two_currencies[1] > one_currency[1] * 1.5


def test_charts_of_the_same_rows_are_the_same_bytes():
    # the report is rewritten on every run: an unchanged warehouse must give unchanged files
    assert charts.mrr_movements_chart(MOVEMENTS) == charts.mrr_movements_chart(list(MOVEMENTS))


def test_a_chart_without_rows_says_there_is_no_data_yet():
    for draw in (charts.mrr_movements_chart, charts.revenue_chart, charts.collections_chart):
        assert _size(draw([]))[0] > 0


def test_revenue_and_collections_charts_draw_every_currency():
    streams = [
        {"month": date(2024, 3, 1), "currency": currency, "subscription_fee_amount_cents": 1000,
         "usage_based_fee_amount_cents": 250, "commitment_fee_amount_cents": 0,
         "one_off_fee_amount_cents": 0, "net_revenue_amount_cents": 1100}
        for currency in ("EUR", "JPY", "USD")
    ]
    collections = [
        {"month": date(2024, 3, 1), "currency": "EUR", "payment_status": status,
         "amount_cents": 500}
        for status in ("pending", "succeeded", "failed")
    ]
    assert _size(charts.revenue_chart(streams))[1] > _size(charts.collections_chart(collections))[1]


def test_months_between_fills_the_months_without_rows():
    rows = [{"month": date(2023, 11, 1)}, {"month": date(2024, 2, 1)}]
    assert charts.months_between(rows) == [
        date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)
    ]


def test_a_month_without_a_row_plots_as_zero():
    rows = [{"month": date(2024, 1, 1), "amount_cents": 1250}]
    months = [date(2024, 1, 1), date(2024, 2, 1)]
    assert charts.per_month(rows, months, "amount_cents", "EUR") == [12.5, 0.0]


def test_amounts_are_drawn_in_the_currency_major_unit():
    assert charts.major_units(Decimal("4333.333333333333"), "EUR") == 43.33333333333333
    assert charts.major_units(1500, "JPY") == 1500.0
    assert charts.major_units(1500, "KWD") == 1.5


def test_axis_ticks_show_thousands_and_small_amounts():
    labels = [charts.tick_label(value) for value in (0, 12500, 2.5, -50, 0.25)]
    assert labels == ["0", "12,500", "2.5", "-50", "0.25"]
