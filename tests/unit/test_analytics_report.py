"""The analytics report: exact money formatting, the months shown, a self-contained HTML file."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from dagster_project.defs.analytics import report

MOVEMENT = {
    "month": date(2024, 6, 1), "currency": "EUR", "starting_mrr_cents": Decimal("10000"),
    "new_mrr_cents": Decimal("433.333333333333"), "expansion_mrr_cents": Decimal(0),
    "reactivation_mrr_cents": Decimal(0), "contraction_mrr_cents": Decimal(0),
    "churned_mrr_cents": Decimal(0), "ending_mrr_cents": Decimal("10433.333333333333"),
    "mrr_change_cents": Decimal("433.333333333333"), "active_customers": 2,
}
PLAN = {
    "month": date(2024, 6, 1), "currency": "EUR", "plan_code": "team", "plan_name": "<Team & Co>",
    "plan_interval": "weekly", "mrr_cents": Decimal("10433.333333333333"), "active_customers": 2,
    "subscriptions_count": 2,
}
STREAM = {
    "month": date(2024, 6, 1), "currency": "EUR", "subscription_fee_amount_cents": 9000,
    "usage_based_fee_amount_cents": 1000, "commitment_fee_amount_cents": 0,
    "one_off_fee_amount_cents": 0, "gross_revenue_amount_cents": 10000, "coupons_amount_cents": 500,
    "credit_notes_amount_cents": 0, "prepaid_credits_amount_cents": 0,
    "net_revenue_amount_cents": 9500,
}
OVERDUE = {
    "month": date(2023, 1, 1), "currency": "EUR", "amount_cents": 1234, "invoices_count": 1,
    "oldest_payment_due_date": date(2023, 1, 31),
}
DATA = report.AnalyticsData(
    mrr_movements=[MOVEMENT], mrr_by_plan=[PLAN], revenue_streams=[STREAM],
    overdue_balance=[OVERDUE],
)
AS_OF = datetime(2024, 7, 1)


def test_mrr_cents_are_rounded_half_even_only_for_display():
    assert report.money(Decimal("433.333333333333"), "EUR") == "4.33 EUR"
    assert report.money(Decimal("12.5"), "EUR") == "0.12 EUR"
    assert report.money(Decimal("13.5"), "EUR") == "0.14 EUR"
    assert report.money(1500, "JPY") == "1,500 JPY"


def test_the_report_covers_twelve_months_up_to_the_last_month_begun_before_as_of():
    # as_of 2024-07-01 00:00: July has not begun, so June is the last month shown
    assert report.first_report_month(datetime(2024, 7, 1)) == date(2023, 7, 1)
    assert report.first_report_month(datetime(2024, 7, 15, 9)) == date(2023, 8, 1)
    assert report.first_report_month(datetime(2024, 1, 1)) == date(2023, 1, 1)


def test_older_months_are_left_out_but_the_overdue_balance_is_kept_whole():
    old = {**MOVEMENT, "month": date(2023, 6, 1)}
    data = report.AnalyticsData(mrr_movements=[old, MOVEMENT], overdue_balance=[OVERDUE])
    shown = data.since(date(2023, 7, 1))
    assert shown.mrr_movements == [MOVEMENT]
    assert shown.overdue_balance == [OVERDUE]


def test_the_summary_shows_each_currency_at_its_last_month_end():
    summary = report.summary_table(DATA)
    assert summary.rows == [(
        "EUR", "2024-06", "104.33 EUR", "4.33 EUR", "2", "100.00 EUR", "95.00 EUR", "12.34 EUR",
    )]


def test_the_html_report_is_one_self_contained_file():
    charts = report.build_charts(DATA)
    tables = [report.summary_table(DATA), *report.detail_tables(DATA)]
    html = report.render_html(AS_OF, charts, tables)
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html and "https://" not in html
    assert "As of 2024-07-01 00:00 UTC" in html
    # names from the catalog are escaped, never markup
    assert "&lt;Team &amp; Co&gt;" in html and "<Team" not in html
    titles = (
        "MRR movements per month", "MRR by plan, 2024-06", "Revenue streams", "Overdue balance"
    )
    for title in titles:
        assert title in html


def test_empty_tables_say_so():
    html = report.render_html(AS_OF, [], report.detail_tables(report.AnalyticsData()))
    assert html.count("No rows yet.") == len(report.detail_tables(report.AnalyticsData())) == 6


def test_the_markdown_for_the_dagster_ui_carries_the_summary_and_the_charts():
    charts = report.build_charts(DATA)
    summary = report.summary_table(DATA)
    markdown = report.render_markdown(AS_OF, charts, summary, Path("/out/report.html"))
    assert "| EUR | 2024-06 | 104.33 EUR |" in markdown
    assert markdown.count("](data:image/png;base64,") == 3
    assert "/out/report.html" in markdown
