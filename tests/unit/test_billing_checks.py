"""The billing run report and the anomaly checks, on a small warehouse built here with
hand-worked numbers. Every test runs the real asset or check through `dg.materialize`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.checks.billing_anomalies import (
    invoice_total_within_factor_of_previous,
    rejected_events_share_below_threshold,
)
from dagster_project.defs.checks.billing_run_report import billing_run_report
from dagster_project.defs.partitions import FIRST_DAY_TAG, LAST_DAY_TAG
from dagster_project.defs.resources import Warehouse
from dagster_project.lib.raw_schema import create_table_sql

JUNE_1 = {FIRST_DAY_TAG: "2024-06-01", LAST_DAY_TAG: "2024-06-01"}

# (invoice_id, number, customer, type, status, currency, issuing_date, total_amount_cents)
INVOICES = [
    # cust_a: 10_000 -> 35_000 is 3.5x: moved (more than 3x).
    ("a1", "A-001", "cust_a", "subscription", "finalized", "USD", "2024-05-01", 10_000),
    ("a2", "A-002", "cust_a", "subscription", "finalized", "USD", "2024-06-01", 35_000),
    # cust_a's one-off add-on is not a recurring bill: never compared.
    ("a3", "A-003", "cust_a", "one_off", "finalized", "USD", "2024-06-01", 500_000),
    # cust_b: 10_000 -> 30_000 is exactly 3x: not *more* than 3x.
    ("b1", "B-001", "cust_b", "subscription", "finalized", "USD", "2024-05-01", 10_000),
    ("b2", "B-002", "cust_b", "subscription", "finalized", "USD", "2024-06-01", 30_000),
    # cust_c: 9_000 -> 2_000 is 0.22x, below 1/3: moved (down).
    ("c1", "C-001", "cust_c", "subscription", "finalized", "EUR", "2024-05-01", 9_000),
    ("c2", None, "cust_c", "subscription", "draft", "EUR", "2024-06-01", 2_000),
    # cust_d: a first invoice has nothing to compare with.
    ("d1", None, "cust_d", "subscription", "draft", "USD", "2024-06-01", 5_000),
    # cust_e: after a 0 trial invoice there is no ratio.
    ("e1", "E-001", "cust_e", "subscription", "finalized", "USD", "2024-05-01", 0),
    ("e2", "E-002", "cust_e", "subscription", "finalized", "USD", "2024-06-01", 4_900),
    # cust_f: the voided May invoice is skipped; April's 10_000 -> 12_000 is 1.2x.
    ("f0", "F-000", "cust_f", "subscription", "finalized", "USD", "2024-04-01", 10_000),
    ("f1", "F-001", "cust_f", "subscription", "voided", "USD", "2024-05-01", 99_999),
    ("f2", "F-002", "cust_f", "subscription", "finalized", "USD", "2024-06-01", 12_000),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema billing")
        con.execute(
            """
            create table billing.invoices (
                invoice_id varchar, number varchar, external_customer_id varchar,
                invoice_type varchar, status varchar, currency varchar, issuing_date date,
                total_amount_cents bigint
            )
            """
        )
        con.executemany("insert into billing.invoices values (?, ?, ?, ?, ?, ?, ?, ?)", INVOICES)
        con.execute(
            """
            create table billing.event_errors (
                transaction_id varchar, external_subscription_id varchar, code varchar,
                error_code varchar, event_date date, received_at timestamp
            )
            """
        )
        con.executemany(
            "insert into billing.event_errors values (?, ?, ?, ?, ?, ?)",
            [
                ("late-1", "sub_a", "api_calls", "late_for_finalized_invoice", "2024-05-31", "2024-06-01 09:00:00"),
                ("late-2", "sub_b", "api_calls", "late_for_finalized_invoice", "2024-05-30", "2024-06-01 08:00:00"),
                ("dup-1", "sub_a", "api_calls", "duplicate_transaction_id", "2024-06-01", "2024-06-01 01:00:00"),
                (None, None, None, "invalid_json", None, None),
            ],
        )
        con.execute("create schema raw")
        con.execute(create_table_sql("events"))
        con.execute(create_table_sql("event_rejects"))
        # 18 events on June 1 (the window), 5 on May 31 (outside it).
        con.execute(
            "insert into raw.events (event_date, transaction_id) "
            "select date '2024-06-01', 'j' || i from range(18) as t(i) "
            "union all select date '2024-05-31', 'm' || i from range(5) as t(i)"
        )
        # Rejects: one dated June 1, one undated (belongs to every landing), three May 31.
        con.execute(
            "insert into raw.event_rejects (event_date, error_code) values "
            "('2024-06-01', 'missing_field'), (null, 'invalid_json'), "
            "('2024-05-31', 'invalid_timestamp'), ('2024-05-31', 'invalid_timestamp'), "
            "('2024-05-31', 'missing_field')"
        )
    return path


@dg.asset(key=["billing", "invoices"])
def invoices_stub() -> None:
    """Stands for the dbt model: the check reads what the fixture wrote."""


@dg.multi_asset(specs=[dg.AssetSpec(["raw", "events"]), dg.AssetSpec(["raw", "event_rejects"])])
def landing_stub():
    yield dg.MaterializeResult(asset_key=["raw", "events"])
    yield dg.MaterializeResult(asset_key=["raw", "event_rejects"])


def _run(assets, warehouse: Path, run_config: dict | None = None, tags=JUNE_1):
    return dg.materialize(
        assets,
        resources={"duckdb": Warehouse(database=str(warehouse))},
        tags=tags,
        run_config=run_config or {},
    )


def _check_config(check: dg.AssetChecksDefinition, config: dict) -> dict:
    return {"ops": {check.node_def.name: {"config": config}}}


def test_run_report_counts_issued_invoices_per_currency_and_status_in_minor_units(warehouse):
    result = _run([billing_run_report], warehouse)
    [materialization] = result.asset_materializations_for_node(billing_run_report.node_def.name)
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    # June 1: USD finalized a2 35_000 + a3 500_000 + b2 30_000 + e2 4_900 + f2 12_000
    # = 581_900 (5 invoices); USD draft d1 5_000; EUR draft c2 2_000. USD total 586_900.
    assert metadata["invoices_issued"] == 7
    assert (metadata["invoices_finalized"], metadata["invoices_draft"]) == (5, 2)
    assert metadata["total_amount_cents_USD"] == 586_900
    assert metadata["total_amount_cents_EUR"] == 2_000
    assert isinstance(metadata["total_amount_cents_USD"], int)
    # Landing for June 1: 18 events; rejects 1 dated June 1 + 1 undated = 2.
    assert (metadata["events_landed"], metadata["events_rejected"]) == (18, 2)
    assert metadata["late_events"] == 2
    assert metadata["event_errors"] == 4
    summary = metadata["summary"]
    assert "| USD | finalized | 5 | 581900 |" in summary
    assert "| EUR | draft | 1 | 2000 |" in summary
    assert "late-1" in summary and "late-2" in summary


def test_run_report_says_when_no_invoice_was_issued(warehouse):
    result = _run([billing_run_report], warehouse, tags={FIRST_DAY_TAG: "2024-06-02", LAST_DAY_TAG: "2024-06-03"})
    [materialization] = result.asset_materializations_for_node(billing_run_report.node_def.name)
    assert materialization.metadata["invoices_issued"].value == 0
    assert "No invoice issued on 2024-06-02..2024-06-03." in materialization.metadata["summary"].value


def test_run_report_on_an_empty_warehouse_names_what_it_skipped(tmp_path, capfd):
    result = _run([billing_run_report], tmp_path / "empty.duckdb")
    assert result.success
    logged = capfd.readouterr().err  # the run's console log
    assert "skipped invoices: billing.invoices does not exist yet" in logged
    assert "skipped landing: raw.events has not been landed yet" in logged


def test_invoice_total_check_warns_and_lists_invoices_that_moved_more_than_3x(warehouse):
    result = _run([invoices_stub, invoice_total_within_factor_of_previous], warehouse)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    # Compared: a2 (3.5x), b2 (3.0x), c2 (0.22x), f2 (1.2x over April, voided May skipped).
    assert (metadata["invoices_compared"], metadata["invoices_moved"]) == (4, 2)
    table = metadata["moved"]
    assert "| A-002 | cust_a | USD | 2024-06-01 | A-001 | 10000 | 35000 | 3.50 |" in table
    assert "| c2 | cust_c | EUR | 2024-06-01 | C-001 | 9000 | 2000 | 0.22 |" in table
    assert "B-002" not in table and "A-003" not in table
    # d1 is cust_d's first invoice; e2 follows a 0 invoice.
    assert "1 invoice(s) are their customer's first" in metadata["not_compared"]
    assert "(E-002)" in metadata["not_compared"]


def test_invoice_total_check_factor_is_configurable(warehouse):
    config = _check_config(invoice_total_within_factor_of_previous, {"factor": 4.0})
    result = _run([invoices_stub, invoice_total_within_factor_of_previous], warehouse, config)
    [evaluation] = result.get_asset_check_evaluations()
    # At 4x: a2's 3.5x is within; c2's 0.22x is below 1/4 = 0.25: still moved.
    assert evaluation.metadata["invoices_moved"].value == 1
    assert "C-001" in evaluation.metadata["moved"].value
    assert "A-002" not in evaluation.metadata["moved"].value


def test_invoice_total_check_passes_when_no_invoice_of_the_window_moved(warehouse):
    result = _run(
        [invoices_stub, invoice_total_within_factor_of_previous], warehouse,
        tags={FIRST_DAY_TAG: "2024-04-01", LAST_DAY_TAG: "2024-04-30"},
    )  # fmt: skip
    [evaluation] = result.get_asset_check_evaluations()
    # April holds only f0, cust_f's first invoice: nothing compared, nothing moved.
    assert evaluation.passed
    assert evaluation.metadata["invoices_compared"].value == 0


def test_rejected_events_check_warns_on_a_spike(warehouse):
    result = _run([landing_stub, rejected_events_share_below_threshold], warehouse)
    [evaluation] = result.get_asset_check_evaluations()
    # June 1: 1 dated reject of 18 + 1 = 19 events: 5.26% > 5%. The undated reject is beside.
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["rejected_share"].value == pytest.approx(1 / 19)
    assert evaluation.metadata["undated_rejects"].value == 1
    assert "1 of 19 events for 2024-06-01..2024-06-01 rejected (5.26%; threshold 5.00%)" in evaluation.description


def test_rejected_events_check_threshold_is_configurable(warehouse):
    config = _check_config(rejected_events_share_below_threshold, {"max_rejected_share": 0.06})
    result = _run([landing_stub, rejected_events_share_below_threshold], warehouse, config)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed  # 5.26% is under 6%


def test_rejected_events_check_passes_on_a_day_with_no_event(warehouse, capfd):
    result = _run(
        [landing_stub, rejected_events_share_below_threshold], warehouse,
        tags={FIRST_DAY_TAG: "2024-05-29", LAST_DAY_TAG: "2024-05-29"},
    )  # fmt: skip
    [evaluation] = result.get_asset_check_evaluations()
    # May 29: nothing landed, nothing rejected; the undated reject is no day's spike.
    assert evaluation.passed
    assert evaluation.description == "No event for 2024-05-29..2024-05-29."
    logged = capfd.readouterr().err
    assert "no event dated 2024-05-29..2024-05-29 was landed or rejected" in logged
    assert "1 undated reject(s) (no readable timestamp) left out of the share" in logged
