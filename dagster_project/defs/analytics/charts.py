"""PNG charts of the analytics marts, drawn with matplotlib's object API (Agg canvas, no pyplot
state). One row of panels per currency: amounts are never converted or added across currencies.
Months run without gaps from the first to the last month in the rows, the same for every
currency. Amounts are shown in major units; exact cents become floats here, for drawing only."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from dagster_project.lib.money import exponent

Row = Mapping[str, object]
Series = tuple[str, list[float]]  # (colour, one value per month)

# (column or status, legend label, colour), in the order they stack from the zero line outwards
MRR_GAINS = (
    ("new_mrr_cents", "New", "#2e7d32"),
    ("expansion_mrr_cents", "Expansion", "#1565c0"),
    ("reactivation_mrr_cents", "Reactivation", "#00838f"),
)
MRR_LOSSES = (
    ("contraction_mrr_cents", "Contraction", "#ef6c00"),
    ("churned_mrr_cents", "Churn", "#c62828"),
)
REVENUE_STREAMS = (
    ("subscription_fee_amount_cents", "Subscription fees", "#1565c0"),
    ("usage_based_fee_amount_cents", "Usage-based fees", "#6a1b9a"),
    ("commitment_fee_amount_cents", "Commitment fees", "#00838f"),
    ("one_off_fee_amount_cents", "One-off fees", "#9e9d24"),
)
PAYMENT_STATUSES = (
    ("succeeded", "Paid", "#2e7d32"),
    ("pending", "Pending", "#f9a825"),
    ("failed", "Failed", "#c62828"),
)
NET_REVENUE_COLOUR = "#43a047"
NET_CHANGE_COLOUR = "#212121"
ENDING_MRR_COLOUR = "#37474f"
DPI = 100


def major_units(cents: object, currency: str) -> float:
    """Exact minor units (int or Decimal) -> major units as a float, for plotting only."""
    return float(Decimal(str(cents)).scaleb(-exponent(currency)))


def by_currency(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Rows grouped per currency, currencies in alphabetical order."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row["currency"]), []).append(row)
    return {currency: groups[currency] for currency in sorted(groups)}


def months_between(rows: Iterable[Row]) -> list[date]:
    """Every month from the earliest to the latest `month` of the rows."""
    present = {row["month"] for row in rows}
    if not present:
        return []
    first, last = min(present), max(present)
    months, index = [], first.year * 12 + first.month - 1
    while (month := date(index // 12, index % 12 + 1, 1)) <= last:
        months.append(month)
        index += 1
    return months


def per_month(
    rows: Iterable[Row], months: Sequence[date], column: str, currency: str
) -> list[float]:
    """One value per month (0 for a month without a row) of a money column, in major units."""
    values = {row["month"]: row[column] for row in rows}
    return [major_units(values.get(month, 0), currency) for month in months]


def tick_label(value: float) -> str:
    """An axis tick in major units: 12,500 / 2.5 / 0."""
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _money_axis(ax: Axes, currency: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: tick_label(value)))
    ax.set_ylabel(currency)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _month_axis(ax: Axes, months: Sequence[date]) -> None:
    crowded = len(months) > 6
    ax.set_xticks(range(len(months)))
    ax.set_xticklabels(
        [month.strftime("%b %Y") for month in months],
        rotation=45 if crowded else 0,
        ha="right" if crowded else "center",
    )
    ax.set_xlim(-0.6, len(months) - 0.4)


def _stack(ax: Axes, positions: Sequence[float], series: Sequence[Series], width: float) -> None:
    """Stacked bars from zero outwards; positive and negative values stack separately. Zero
    segments are not drawn (an empty bar on top of a stack would pin the axis limit there)."""
    above = [0.0] * len(positions)
    below = [0.0] * len(positions)
    for colour, values in series:
        drawn = [i for i, value in enumerate(values) if value != 0]
        bottoms = [above[i] if values[i] > 0 else below[i] for i in drawn]
        ax.bar(
            [positions[i] for i in drawn],
            [values[i] for i in drawn],
            width,
            bottom=bottoms,
            color=colour,
        )
        for i in drawn:
            if values[i] > 0:
                above[i] += values[i]
            else:
                below[i] += values[i]


def _patches(entries: Iterable[tuple[str, str, str]]) -> list[Artist]:
    return [Patch(color=colour, label=label) for _key, label, colour in entries]


def _render(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # no Software stamp: the same rows give the same bytes
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(panel_rows: int, panel_columns: int, title: str) -> tuple[Figure, list[list[Axes]]]:
    width = 12.4 if panel_columns > 1 else 10.0
    figure = Figure(figsize=(width, 3.4 * panel_rows + 0.7), dpi=DPI, layout="constrained")
    figure.suptitle(title, fontsize=13, fontweight="bold")
    axes = figure.subplots(panel_rows, panel_columns, squeeze=False)
    return figure, [list(row) for row in axes]


def _no_data(title: str) -> bytes:
    figure, axes = _figure(1, 1, title)
    axes[0][0].axis("off")
    axes[0][0].text(0.5, 0.5, "No data yet", ha="center", va="center", fontsize=12, color="#777777")
    return _render(figure)


def _per_currency(
    rows: Iterable[Row],
    title: str,
    panel_columns: int,
    draw: Callable[[list[Axes], str, list[Row], list[date]], None],
    legend: Sequence[Artist],
) -> bytes:
    rows = list(rows)
    groups = by_currency(rows)
    if not groups:
        return _no_data(title)
    months = months_between(rows)
    figure, axes = _figure(len(groups), panel_columns, title)
    for row_axes, (currency, currency_rows) in zip(axes, groups.items()):
        draw(row_axes, currency, currency_rows, months)
        for ax in row_axes:
            _money_axis(ax, currency)
            _month_axis(ax, months)
    figure.legend(
        handles=list(legend), loc="outside lower center", ncols=len(legend), frameon=False
    )
    return _render(figure)


def _draw_mrr(axes: list[Axes], currency: str, rows: list[Row], months: list[date]) -> None:
    movements_ax, ending_ax = axes
    positions = list(range(len(months)))
    movements = [
        (colour, per_month(rows, months, column, currency))
        for column, _label, colour in (*MRR_GAINS, *MRR_LOSSES)
    ]
    _stack(movements_ax, positions, movements, 0.6)
    net_change = per_month(rows, months, "mrr_change_cents", currency)
    movements_ax.scatter(positions, net_change, marker="D", s=22, color=NET_CHANGE_COLOUR, zorder=3)
    movements_ax.axhline(0, color="#616161", linewidth=0.8)
    movements_ax.set_title(f"MRR movements per month ({currency})", fontsize=11)

    ending = per_month(rows, months, "ending_mrr_cents", currency)
    ending_ax.plot(positions, ending, marker="o", color=ENDING_MRR_COLOUR, linewidth=2)
    ending_ax.fill_between(positions, ending, color="#90a4ae", alpha=0.25)
    ending_ax.set_ylim(bottom=0)
    ending_ax.set_title(f"MRR at month end ({currency})", fontsize=11)


def _draw_revenue(axes: list[Axes], currency: str, rows: list[Row], months: list[date]) -> None:
    (ax,) = axes
    width = 0.38
    streams = [
        (colour, per_month(rows, months, column, currency))
        for column, _label, colour in REVENUE_STREAMS
    ]
    _stack(ax, [i - width / 2 for i in range(len(months))], streams, width)
    net = per_month(rows, months, "net_revenue_amount_cents", currency)
    _stack(ax, [i + width / 2 for i in range(len(months))], [(NET_REVENUE_COLOUR, net)], width)
    ax.set_title(
        f"Gross revenue by stream (left bar) and net revenue (right bar), before tax ({currency})",
        fontsize=11,
    )


def _with_status(rows: list[Row], status: str) -> list[Row]:
    return [row for row in rows if row["payment_status"] == status]


def _draw_collections(axes: list[Axes], currency: str, rows: list[Row], months: list[date]) -> None:
    (ax,) = axes
    statuses = [
        (colour, per_month(_with_status(rows, status), months, "amount_cents", currency))
        for status, _label, colour in PAYMENT_STATUSES
    ]
    _stack(ax, list(range(len(months))), statuses, 0.6)
    ax.set_title(
        f"Finalized invoices by payment status, per issuing month ({currency})", fontsize=11
    )


def mrr_movements_chart(movements: Iterable[Row]) -> bytes:
    """analytics.mrr_movements rows -> PNG: the movements stacked per month with the net change
    (left) and MRR at each month end (right), one row per currency."""
    legend = [
        *_patches((*MRR_GAINS, *MRR_LOSSES)),
        Line2D([], [], marker="D", linestyle="", color=NET_CHANGE_COLOUR, label="Net change"),
        Line2D([], [], marker="o", color=ENDING_MRR_COLOUR, linewidth=2, label="MRR at month end"),
    ]
    return _per_currency(movements, "MRR movements", 2, _draw_mrr, legend)


def revenue_chart(streams: Iterable[Row]) -> bytes:
    """analytics.revenue_streams rows -> PNG: gross revenue stacked by stream beside net revenue."""
    legend = [*_patches(REVENUE_STREAMS), Patch(color=NET_REVENUE_COLOUR, label="Net revenue")]
    return _per_currency(streams, "Gross vs net revenue", 1, _draw_revenue, legend)


def collections_chart(collections: Iterable[Row]) -> bytes:
    """analytics.invoice_collections rows -> PNG: invoice amounts stacked by payment status."""
    return _per_currency(
        collections, "Invoice collections", 1, _draw_collections, _patches(PAYMENT_STATUSES)
    )
