"""The analytics report asset: wired after every analytics mart, in the billing job's partitions and
DuckDB pool, and writing the PNGs and the HTML report from a warehouse's analytics tables."""

from __future__ import annotations

import duckdb
import dagster as dg
import pytest

from dagster_project.defs.analytics.assets import analytics_report
from dagster_project.defs.analytics.warehouse import ANALYTICS_MARTS
from dagster_project.defs.resources import BillingPaths, Warehouse

# The columns the report reads, with the marts' types (a stand-in for what dbt builds).
ANALYTICS_TABLES = """
create schema analytics;
create table analytics.mrr_movements (
    month date, currency varchar, starting_mrr_cents decimal(38, 12), new_mrr_cents decimal(38, 12),
    expansion_mrr_cents decimal(38, 12), reactivation_mrr_cents decimal(38, 12),
    contraction_mrr_cents decimal(38, 12), churned_mrr_cents decimal(38, 12),
    ending_mrr_cents decimal(38, 12), mrr_change_cents decimal(38, 12), active_customers bigint
);
insert into analytics.mrr_movements values
    ('2024-05-01', 'EUR', 0, 10000, 0, 0, 0, 0, 10000, 10000, 1),
    ('2024-06-01', 'EUR', 10000, 0, 0, 0, -2500, 0, 7500, -2500, 1);
create table analytics.mrr_by_plan (
    month date, currency varchar, plan_code varchar, plan_name varchar, plan_interval varchar,
    mrr_cents decimal(38, 12), active_customers bigint, subscriptions_count bigint
);
insert into analytics.mrr_by_plan values
    ('2024-06-01', 'EUR', 'team', 'Team', 'monthly', 7500, 1, 1);
create table analytics.revenue_streams (
    month date, currency varchar, subscription_fee_amount_cents bigint,
    usage_based_fee_amount_cents bigint, commitment_fee_amount_cents bigint,
    one_off_fee_amount_cents bigint, gross_revenue_amount_cents bigint, coupons_amount_cents bigint,
    credit_notes_amount_cents bigint, prepaid_credits_amount_cents bigint,
    contra_revenue_amount_cents bigint, net_revenue_amount_cents bigint
);
insert into analytics.revenue_streams values
    ('2024-06-01', 'EUR', 7500, 120, 0, 0, 7620, 100, 0, 0, 100, 7520);
create table analytics.invoiced_usage (
    month date, currency varchar, code varchar, amount_cents bigint, units decimal(38, 12),
    events_count bigint
);
insert into analytics.invoiced_usage values ('2024-06-01', 'EUR', 'api_calls', 120, 60, 60);
create table analytics.invoice_collections (
    month date, currency varchar, payment_status varchar, invoices_count bigint, amount_cents bigint
);
insert into analytics.invoice_collections values ('2024-06-01', 'EUR', 'pending', 1, 9144);
create table analytics.overdue_balance (
    month date, currency varchar, amount_cents bigint, invoices_count bigint,
    oldest_payment_due_date date
);
"""


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(ANALYTICS_TABLES)
    return path


def _materialize(warehouse, output_dir) -> dg.AssetMaterialization:
    result = dg.materialize(
        [analytics_report],
        tags={"dagster/partition": "2024-06-30"},
        resources={
            "paths": BillingPaths(
                data_dir="data", warehouse=str(warehouse), output_dir=str(output_dir)
            ),
            "duckdb": Warehouse(database=str(warehouse)),
        },
    )
    assert result.success
    return result.asset_materializations_for_node("analytics__report")[0]


def test_the_report_runs_after_every_analytics_mart_unpartitioned_in_the_duckdb_pool():
    assert analytics_report.key == dg.AssetKey(["analytics", "report"])
    marts = {dg.AssetKey(["analytics", name]) for name in ANALYTICS_MARTS}
    assert set(analytics_report.dependency_keys) == marts
    # A snapshot as of the run's last billing day, not a per-day partition (defs/partitions.py).
    assert analytics_report.partitions_def is None
    assert analytics_report.op.pool == "duckdb"


def test_the_report_writes_the_charts_and_the_html_and_shows_them_in_the_ui(warehouse, tmp_path):
    materialization = _materialize(warehouse, tmp_path / "out")
    out = tmp_path / "out" / "analytics"
    assert sorted(p.name for p in out.iterdir()) == [
        "analytics-collections.png", "analytics-mrr-movements.png", "analytics-revenue.png",
        "analytics_report.html",
    ]
    html = (out / "analytics_report.html").read_text()
    assert "As of 2024-07-01 00:00 UTC" in html and "75.00 EUR" in html
    markdown = materialization.metadata["report"].value
    assert markdown.count("](data:image/png;base64,") == 3
    assert materialization.metadata["report_path"].value == str(out / "analytics_report.html")


def test_a_rerun_on_the_same_warehouse_writes_the_same_files(warehouse, tmp_path):
    _materialize(warehouse, tmp_path / "first")
    _materialize(warehouse, tmp_path / "second")
    for name in ("analytics-mrr-movements.png", "analytics_report.html"):
        first = (tmp_path / "first" / "analytics" / name).read_bytes()
        assert first == (tmp_path / "second" / "analytics" / name).read_bytes(), name
