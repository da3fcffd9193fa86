"""The whole pipeline on tests/fixtures/e2e, with every total worked by hand.

Scenario (see tests/fixtures/e2e/catalog/catalog.yaml), billed through 2024-03-01:
- s1 (customer c1, plan basic: monthly, in arrears, 10.00 USD, api_calls 0.05/call,
  storage 0.25/GB)
  January:  api_calls t1, t2, t3 = 3 calls (t2 sent twice: the second is a duplicate)
            -> 3 x 0.05 = 0.15 USD = 15 cents
            storage 1.5 + 2 = 3.5 GB -> 3.5 x 0.25 = 0.875 USD = 87.5 cents -> 88 (half away from 0)
            invoice issued 2024-02-01: 1000 + 15 + 88 = 1103 cents
  February: api_calls t20 (2024-02-01 00:00, first instant of the period) = 1 -> 5 cents
            storage 4 GB -> 4 x 0.25 = 1.00 USD = 100 cents
            invoice issued 2024-03-01: 1000 + 5 + 100 = 1105 cents
- s2 (c2, premium: monthly, in advance, 50.00 EUR, api_calls 0.10/call, which s2's
  plan_overrides price at 0.20/call, named "API calls (negotiated)")
  2024-01-01: January's fee in advance                        = 5000 cents
  2024-02-01: February's fee 5000 + January's 7 calls x 0.20 = 1.40 EUR = 140 -> 5140 cents
  2024-03-01: March's fee 5000 + February's 0 calls            = 5000 cents
- s3 (c3, annual: yearly, in advance, 1200.00 USD; plan_overrides tax it vat10, 10 %)
  2024-01-01: the year 2024 in advance                        = 120000 cents
              + tax 120000 x 10 / 100 = 12000                 = 132000 cents
No other taxes, no coupons or credits. Net payment term 15 days.
Rejected events: one line that is not JSON, t2's duplicate, t13 (unknown subscription),
t14 (unknown metric code), t15 (no timestamp).
Current usage as of 2024-03-01 (events before 2024-03-02 00:00 UTC), March so far, to be
invoiced on 2024-04-01: s1 api_calls t30, t32 (23:59:59) = 2 x 0.05 = 10 cents, storage t31
2.5 GB x 0.25 = 0.625 USD -> 63 cents, 73 in all (t33, at 2024-03-02 00:00, is not known
yet); s2 t34 = 1 x 0.20 (its override) = 20 cents; s3's plan has no charges: no row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.defs.billing.dbt_assets import PARSES_KEPT
from dagster_project.lib import dbt_target
from dagster_project.lib.paths import DBT_PROJECT_DIR

from tests.conftest import copy_fixture, run_billing

BILLING_TABLES = [
    "invoices", "invoice_subscriptions", "fees", "usage", "applied_taxes", "credits",
    "wallet_transactions", "event_errors", "current_usage",
]


def _snapshot(run) -> dict[str, list[tuple]]:
    return {table: run.query(f"select * from billing.{table} order by all") for table in BILLING_TABLES}


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data_dir = copy_fixture("e2e", root)
    warehouse = root / "warehouse.duckdb"
    first = run_billing(data_dir, warehouse, through="2024-03-01")
    assert first.returncode == 0, first.stderr[-4000:]
    before = _snapshot(first)
    second = run_billing(data_dir, warehouse, through="2024-03-01")
    assert second.returncode == 0, second.stderr[-4000:]
    return first, before, _snapshot(second)


def test_invoice_totals_match_the_hand_worked_scenario(e2e):
    run, _, _ = e2e
    rows = run.query(
        """
        select external_customer_id, cast(issuing_date as varchar), currency,
               fees_amount_cents, taxes_amount_cents, total_amount_cents
        from billing.invoices
        where invoice_type = 'subscription'
        order by 1, 2
        """
    )
    assert rows == [
        ("c1", "2024-02-01", "USD", 1103, 0, 1103),
        ("c1", "2024-03-01", "USD", 1105, 0, 1105),
        ("c2", "2024-01-01", "EUR", 5000, 0, 5000),
        ("c2", "2024-02-01", "EUR", 5140, 0, 5140),
        ("c2", "2024-03-01", "EUR", 5000, 0, 5000),
        ("c3", "2024-01-01", "USD", 120000, 12000, 132000),
    ]


def test_plan_overrides_price_the_overridden_charge_and_tax_the_plan(e2e):
    run, _, _ = e2e
    # s2's January calls: 7 x 0.20 (the override, not the plan's 0.10) = 1.40 EUR, under the
    # override's name and the charge copy of s2's version
    assert run.query(
        """
        select charge_id, invoice_display_name, cast(units as integer), amount_cents
        from billing.fees
        where external_subscription_id = 's2' and fee_type = 'charge' and amount_cents > 0
        """
    ) == [("premium_api@s2@2024-01-01T00:00:00", "API calls (negotiated)", 7, 140)]
    # s3's plan taxes come from its override: 10 % of 120000
    assert run.query(
        "select tax_code, amount_cents from billing.applied_taxes order by all"
    ) == [("vat10", 12000)]


def test_charge_fees_round_once_from_the_precise_amount(e2e):
    run, _, _ = e2e
    rows = run.query(
        """
        select code, cast(units as decimal(18, 4)), cast(precise_amount as decimal(18, 6)), amount_cents
        from billing.fees
        where external_subscription_id = 's1' and fee_type = 'charge'
          and from_datetime >= timestamp '2024-01-01' and from_datetime < timestamp '2024-02-01'
        order by code
        """
    )
    # 3 calls x 0.05 = 0.15; 3.5 GB x 0.25 = 0.875 -> 88 cents
    from decimal import Decimal

    assert rows == [
        ("api_calls", Decimal("3.0000"), Decimal("0.150000"), 15),
        ("storage", Decimal("3.5000"), Decimal("0.875000"), 88),
    ]


def test_current_usage_prices_the_open_period_so_far(e2e):
    run, _, _ = e2e
    rows = run.query(
        """
        select cast(as_of_date as varchar), external_subscription_id, charge_id,
               cast(from_datetime as varchar), cast(to_datetime as varchar),
               cast(issuing_date as varchar), code, cast(units as decimal(18, 4)),
               events_count, amount_cents
        from billing.current_usage
        order by external_subscription_id, code
        """
    )
    from decimal import Decimal

    # March so far as of the end of 2024-03-01 (module docstring); Lago's issuing_date is
    # the period's last day
    march = ("2024-03-01 00:00:00", "2024-03-31 23:59:59", "2024-03-31")
    s2_api = "premium_api@s2@2024-01-01T00:00:00"
    assert rows == [
        ("2024-03-01", "s1", "basic_api", *march, "api_calls", Decimal("2.0000"), 2, 10),
        ("2024-03-01", "s1", "basic_storage", *march, "storage", Decimal("2.5000"), 1, 63),
        ("2024-03-01", "s2", s2_api, *march, "api_calls", Decimal("1.0000"), 1, 20),
    ]
    # no taxes in this scenario: total = amount = 10 + 63 for s1, 20 for s2
    assert run.query(
        """
        select distinct external_subscription_id, currency, subscription_amount_cents,
               subscription_taxes_amount_cents, subscription_total_amount_cents
        from billing.current_usage order by 1
        """
    ) == [("s1", "USD", 73, 0, 73), ("s2", "EUR", 20, 0, 20)]


def test_due_dates_add_the_net_payment_term(e2e):
    run, _, _ = e2e
    rows = run.query(
        "select distinct cast(payment_due_date - issuing_date as integer) from billing.invoices"
    )
    assert rows == [(15,)]


def test_every_rejected_event_is_reported_with_its_reason(e2e):
    run, _, _ = e2e
    rows = run.query(
        "select error_code, coalesce(transaction_id, '') from billing.event_errors order by 1, 2"
    )
    assert rows == [
        ("duplicate_transaction_id", "t2"),
        ("invalid_json", ""),
        ("invalid_timestamp", "t15"),
        ("unknown_metric_code", "t14"),
        ("unknown_subscription", "t13"),
    ]


def test_invoice_numbers_are_unique_and_ids_deterministic(e2e):
    run, _, _ = e2e
    (count, numbers, ids) = run.query(
        "select count(*), count(distinct number), count(distinct invoice_id) from billing.invoices"
    )[0]
    assert count == numbers == ids == 6


def test_running_twice_gives_identical_billing_tables(e2e):
    _, before, after = e2e
    for table in BILLING_TABLES:
        assert before[table] == after[table], f"billing.{table} changed on rerun"
    assert before["invoices"], "the scenario must produce invoices"


def test_every_dbt_unit_test_passes(e2e, tmp_path, monkeypatch):
    """The dbt unit tests (hand-worked fixtures in the models' yml) check the SQL, not the
    data, so billing runs leave them out; they run here, once, against a copy of this
    warehouse (their parents must exist). dbt starts from the parse the billing runs kept
    (lib/dbt_target.py) instead of parsing the whole project (about 7 s)."""
    run, _, _ = e2e
    warehouse = tmp_path / "warehouse.duckdb"  # the name is part of the kept parse's key
    shutil.copy(run.warehouse, warehouse)
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    expected = len(manifest["unit_tests"])
    assert expected >= 38
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_")}
    env["BILLING_WAREHOUSE"] = str(warehouse)
    monkeypatch.setenv("BILLING_WAREHOUSE", str(warehouse))  # the profile dbt will render
    connection = dbt_target.profile_connection(DBT_PROJECT_DIR)
    assert dbt_target.seed(tmp_path / "target", PARSES_KEPT, connection) is not None
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit",
            "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
        ],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:]
    passed = re.search(r"Done\. PASS=(\d+) WARN=0 ERROR=0 ", proc.stdout)
    assert passed and int(passed.group(1)) >= expected, proc.stdout[-2000:]
