"""The analytics report: charts and tables of the analytics marts as one self-contained HTML file
(images inlined as data URIs, no external resource) and as Markdown for the Dagster UI.
Pure functions of the rows read from the warehouse: no money is computed here, only formatted."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import jinja2

from dagster_project.defs.analytics import charts
from dagster_project.lib.money import format_minor_units

Row = Mapping[str, object]
TEMPLATES_DIR = Path(__file__).parent / "templates"
REPORT_MONTHS = 12


@dataclass(frozen=True)
class AnalyticsData:
    """Rows of the analytics marts as read (exact int and Decimal cents, `month` a date)."""

    mrr_movements: list[Row] = field(default_factory=list)
    mrr_by_plan: list[Row] = field(default_factory=list)
    revenue_streams: list[Row] = field(default_factory=list)
    invoiced_usage: list[Row] = field(default_factory=list)
    invoice_collections: list[Row] = field(default_factory=list)
    overdue_balance: list[Row] = field(default_factory=list)

    def since(self, first_month: date) -> AnalyticsData:
        """The monthly tables from `first_month` on; the overdue balance (a snapshot) as it is."""

        def keep(rows: list[Row]) -> list[Row]:
            return [row for row in rows if row["month"] >= first_month]

        return replace(
            self,
            mrr_movements=keep(self.mrr_movements),
            mrr_by_plan=keep(self.mrr_by_plan),
            revenue_streams=keep(self.revenue_streams),
            invoiced_usage=keep(self.invoiced_usage),
            invoice_collections=keep(self.invoice_collections),
        )


@dataclass(frozen=True)
class Chart:
    file_name: str
    title: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Table:
    title: str
    source: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""
    # the first `text_columns` columns are labels; the others are numbers (right-aligned)
    text_columns: int = 2


def money(cents: object, currency: str) -> str:
    """Exact cents (integer, or DECIMAL MRR cents) in major units, rounded half-even to whole
    cents for display only: `Decimal('433333.3333'), 'EUR'` -> `4,333.33 EUR`."""
    whole = int(Decimal(str(cents)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return format_minor_units(whole, currency)


def month_text(month: object) -> str:
    return month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)


def first_report_month(as_of: datetime, months: int = REPORT_MONTHS) -> date:
    """The first of the `months` months that end with the last month begun before as_of."""
    last = as_of.date().replace(day=1)
    if as_of == datetime.combine(last, time.min):
        # as_of is a month's first instant: that month has not begun yet
        last = date(last.year - (last.month == 1), (last.month - 2) % 12 + 1, 1)
    index = last.year * 12 + last.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def build_charts(data: AnalyticsData) -> list[Chart]:
    return [
        Chart(
            "analytics-mrr-movements.png",
            "MRR movements",
            charts.mrr_movements_chart(data.mrr_movements),
        ),
        Chart(
            "analytics-revenue.png",
            "Gross vs net revenue",
            charts.revenue_chart(data.revenue_streams),
        ),
        Chart(
            "analytics-collections.png",
            "Invoice collections",
            charts.collections_chart(data.invoice_collections),
        ),
    ]


# A table column: its header and how a row's cell is written.
Column = tuple[str, Callable[[Row], str]]


def _text(key: str) -> Callable[[Row], str]:
    return lambda row: str(row[key])


def _month(key: str = "month") -> Callable[[Row], str]:
    return lambda row: month_text(row[key])


def _money(key: str) -> Callable[[Row], str]:
    return lambda row: money(row[key], str(row["currency"]))


def _units(key: str) -> Callable[[Row], str]:
    return lambda row: f"{Decimal(str(row[key])).normalize():,f}"


def _plan(row: Row) -> str:
    return f"{row['plan_name'] or row['plan_code']} ({row['plan_code']})"


def _table(
    title: str,
    source: str,
    rows: Iterable[Row],
    order_by: Sequence[str],
    columns: Sequence[Column],
    note: str = "",
    text_columns: int = 2,
) -> Table:
    ordered = sorted(rows, key=lambda row: tuple(str(row[key]) for key in order_by))
    return Table(
        title,
        source,
        tuple(header for header, _ in columns),
        [tuple(cell(row) for _, cell in columns) for row in ordered],
        note,
        text_columns,
    )


def summary_table(data: AnalyticsData) -> Table:
    """Per currency: MRR at the last month end, active customers, revenue, what is overdue."""
    last_movement = {
        str(row["currency"]): row for row in sorted(data.mrr_movements, key=lambda r: r["month"])
    }
    every_row = (*data.mrr_movements, *data.revenue_streams, *data.overdue_balance)
    rows = []
    for currency in sorted({str(row["currency"]) for row in every_row}):
        streams = [row for row in data.revenue_streams if row["currency"] == currency]
        overdue = [row for row in data.overdue_balance if row["currency"] == currency]
        movement = last_movement.get(currency)
        mrr_cells = (
            (
                month_text(movement["month"]),
                money(movement["ending_mrr_cents"], currency),
                money(movement["mrr_change_cents"], currency),
                str(movement["active_customers"]),
            )
            if movement
            else ("-", "-", "-", "0")
        )
        rows.append((
            currency,
            *mrr_cells,
            money(sum(int(row["gross_revenue_amount_cents"]) for row in streams), currency),
            money(sum(int(row["net_revenue_amount_cents"]) for row in streams), currency),
            money(sum(int(row["amount_cents"]) for row in overdue), currency),
        ))
    return Table(
        "Summary per currency",
        "analytics.mrr_movements, analytics.revenue_streams, analytics.overdue_balance",
        ("Currency", "Last month", "Ending MRR", "MRR change", "Active customers",
         "Gross revenue", "Net revenue", "Overdue"),
        rows,
        "MRR at the end of the last month shown; revenue (before tax) summed over the months "
        "shown; overdue as of the run",
    )


def detail_tables(data: AnalyticsData) -> list[Table]:
    last_plan_month = max((row["month"] for row in data.mrr_by_plan), default=None)
    return [
        _table(
            "MRR movements per month",
            "analytics.mrr_movements",
            data.mrr_movements,
            ("currency", "month"),
            [
                ("Month", _month()),
                ("Currency", _text("currency")),
                ("Starting", _money("starting_mrr_cents")),
                ("New", _money("new_mrr_cents")),
                ("Expansion", _money("expansion_mrr_cents")),
                ("Reactivation", _money("reactivation_mrr_cents")),
                ("Contraction", _money("contraction_mrr_cents")),
                ("Churn", _money("churned_mrr_cents")),
                ("Ending", _money("ending_mrr_cents")),
                ("Active customers", _text("active_customers")),
            ],
            "Starting + new + expansion + reactivation + contraction + churn = ending",
        ),
        _table(
            "MRR by plan" + (f", {month_text(last_plan_month)}" if last_plan_month else ""),
            "analytics.mrr_by_plan",
            [row for row in data.mrr_by_plan if row["month"] == last_plan_month],
            ("currency", "plan_code"),
            [
                ("Currency", _text("currency")),
                ("Plan", _plan),
                ("Interval", _text("plan_interval")),
                ("MRR", _money("mrr_cents")),
                ("Active customers", _text("active_customers")),
                ("Subscriptions", _text("subscriptions_count")),
            ],
            text_columns=3,
        ),
        _table(
            "Revenue streams, gross to net (before tax)",
            "analytics.revenue_streams",
            data.revenue_streams,
            ("currency", "month"),
            [
                ("Month", _month()),
                ("Currency", _text("currency")),
                ("Subscription", _money("subscription_fee_amount_cents")),
                ("Usage", _money("usage_based_fee_amount_cents")),
                ("Commitment", _money("commitment_fee_amount_cents")),
                ("One-off", _money("one_off_fee_amount_cents")),
                ("Gross", _money("gross_revenue_amount_cents")),
                ("Coupons", _money("coupons_amount_cents")),
                ("Credit notes", _money("credit_notes_amount_cents")),
                ("Prepaid credits", _money("prepaid_credits_amount_cents")),
                ("Net", _money("net_revenue_amount_cents")),
            ],
        ),
        _table(
            "Invoiced usage per metric",
            "analytics.invoiced_usage",
            data.invoiced_usage,
            ("currency", "month", "code"),
            [
                ("Month", _month()),
                ("Currency", _text("currency")),
                ("Metric", _text("code")),
                ("Amount after coupons", _money("amount_cents")),
                ("Units", _units("units")),
                ("Events", _text("events_count")),
            ],
            text_columns=3,
        ),
        _table(
            "Invoice collections",
            "analytics.invoice_collections",
            data.invoice_collections,
            ("currency", "month", "payment_status"),
            [
                ("Month", _month()),
                ("Currency", _text("currency")),
                ("Payment status", _text("payment_status")),
                ("Invoices", _text("invoices_count")),
                ("Amount", _money("amount_cents")),
            ],
            "Finalized invoices (tax included) by issuing month, with their payment status as of "
            "the run",
            text_columns=3,
        ),
        _table(
            "Overdue balance",
            "analytics.overdue_balance",
            data.overdue_balance,
            ("currency", "month"),
            [
                ("Due month", _month()),
                ("Currency", _text("currency")),
                ("Invoices", _text("invoices_count")),
                ("Amount", _money("amount_cents")),
                ("Oldest due date", _text("oldest_payment_due_date")),
            ],
            "Finalized, unpaid invoices past their due date as of the run, by month of their due "
            "date",
        ),
    ]


def render_html(as_of: datetime, chart_list: Sequence[Chart], tables: Sequence[Table]) -> str:
    """The whole report in one file; `tables[0]` (the summary) comes before the charts."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("analytics_report.html").render(
        as_of=as_of.strftime("%Y-%m-%d %H:%M UTC"), charts=chart_list, tables=tables
    )


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(
    as_of: datetime, chart_list: Sequence[Chart], summary: Table, report_path: Path
) -> str:
    """What the Dagster UI shows on the materialization: the summary table and the charts."""
    lines = [
        f"**Billing analytics as of {as_of.strftime('%Y-%m-%d %H:%M UTC')}**. "
        f"Full report: `{report_path}`",
        "",
        "| " + " | ".join(summary.columns) + " |",
        "|" + "---|" * len(summary.columns),
        *("| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in summary.rows),
        "",
    ]
    for chart in chart_list:
        lines += [f"#### {chart.title}", "", f"![{chart.title}]({chart.data_uri})", ""]
    return "\n".join(lines)
