"""Reads the analytics marts the report shows, as exact Python values (int and Decimal cents)."""

from __future__ import annotations

import duckdb

from dagster_project.defs.analytics.report import AnalyticsData

# Every analytics mart (dbt models in the `analytics` schema, asset keys ["analytics", name]):
# the report runs after all of them.
ANALYTICS_MARTS = (
    "customer_mrr",
    "mrr_movements",
    "mrr_by_plan",
    "gross_revenue",
    "revenue_streams",
    "invoiced_usage",
    "invoice_collections",
    "overdue_balance",
)

# One read per table the report shows; each is a whole mart (the marts are small: month grain).
_QUERIES = {
    "mrr_movements": "select * from analytics.mrr_movements order by currency, month",
    "mrr_by_plan": "select * from analytics.mrr_by_plan order by currency, month, plan_code",
    "revenue_streams": "select * from analytics.revenue_streams order by currency, month",
    "invoiced_usage": "select * from analytics.invoiced_usage order by currency, month, code",
    "invoice_collections": (
        "select * from analytics.invoice_collections order by currency, month, payment_status"
    ),
    "overdue_balance": "select * from analytics.overdue_balance order by currency, month",
}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def read_analytics(con: duckdb.DuckDBPyConnection) -> AnalyticsData:
    return AnalyticsData(**{name: _rows(con, sql) for name, sql in _QUERIES.items()})
