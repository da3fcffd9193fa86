"""Create raw.* in a scratch DuckDB, fill a small billing scenario, optionally build and check.

    python tests/integration/dbt_scratch_scenario.py /tmp/dbtdev.duckdb [--build]

Two customers: acme (USD; monthly in-arrears plan with a count_agg and a sum_agg
standard charge from 2024-01-15 10:00, a second monthly plan terminated on
2024-03-20 12:00, a one-off invoice) and globex (EUR; yearly in-advance plan from
2024-02-10, grace period 3 days). Events include a duplicate, an unknown
subscription, an unknown metric, non-numeric and missing properties, an event
before the start, one after the termination, one received after its invoice was
finalized and one received after as_of. With --build, runs `dbt build` for
to = 2024-04-01 and checks the invoices against totals computed by hand.
Not collected by pytest (no test_ prefix): a developer tool.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import duckdb

from dagster_project.lib.raw_schema import RAW_TABLES, create_table_sql

ROOT = pathlib.Path(__file__).resolve().parents[2]

# (customer, issuing_date, fees_amount_cents, status), computed by hand:
# 2024-02-01 acme: pro 4900 x 17/31 = 2687.10 -> 2687; 3 calls x 0.005 = 1.5 -> 2;
#   12.75 GB x 0.125 = 159.375 -> 159                                   = 2848
# 2024-02-10 globex: 120000 x 326/366 = 106885.25 -> 106885 (in advance)
# 2024-03-01 acme: pro 4900 + basic 1000 + 2 calls -> 1 + storage -0.004 -> 0 = 5901
# 2024-03-05 acme one-off: 1.5 x 1000.25 = 1500.375 -> 1500; 1 x 50000    = 51500
# 2024-03-20 acme: basic terminated at noon: 1000 x 20/31 = 645.16 -> 645
EXPECTED_INVOICES = [
    ("acme", "2024-02-01", 2848, "RB-001-001"),
    ("globex", "2024-02-10", 106885, "RB-002-001"),
    ("acme", "2024-03-01", 5901, "RB-001-002"),
    ("acme", "2024-03-05", 51500, "RB-001-003"),
    ("acme", "2024-03-20", 645, "RB-001-004"),
]
EXPECTED_ERRORS = {
    "t1": "duplicate_transaction_id",
    "t4": "outside_subscription_period",
    "t7": "late_for_finalized_invoice",
    "s3": "invalid_aggregation_property",
    "s4": "missing_aggregation_property",
    "s5": "invalid_aggregation_property",
    "u1": "unknown_subscription",
    "m1": "unknown_metric_code",
    "b1": "outside_subscription_period",
    None: "invalid_json",
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    cols = [name for name, _ in RAW_TABLES[table]]
    for row in rows:
        row = {"source_file": "catalog/scenario.yaml", **row}
        unknown = set(row) - set(cols)
        assert not unknown, f"{table}: unknown columns {unknown}"
        values = [row.get(c) for c in cols]
        values = [json.dumps(v) if isinstance(v, (dict, list)) else v for v in values]
        placeholders = ", ".join("?" for _ in cols)
        con.execute(f"insert into raw.{table} values ({placeholders})", values)


def _events() -> list[dict]:
    events: list[dict] = []

    def ev(tid, sub, code, ts, props=None, received=None):
        events.append(
            dict(
                event_date=ts[:10],
                transaction_id=tid,
                external_subscription_id=sub,
                code=code,
                timestamp=ts,
                properties=props or {},
                received_at=received or ts,
                source_file="events/e.jsonl",
                source_row=len(events) + 1,
            )
        )

    ev("t1", "sub_acme", "api_calls", "2024-01-16 00:00:00")
    ev("t2", "sub_acme", "api_calls", "2024-01-20 12:00:00")
    ev("t3", "sub_acme", "api_calls", "2024-01-31 23:59:59")
    ev("t1", "sub_acme", "api_calls", "2024-01-16 00:00:00", received="2024-01-17 00:00:00")
    ev("t4", "sub_acme", "api_calls", "2024-01-10 00:00:00")
    ev("t5", "sub_acme", "api_calls", "2024-02-01 00:00:00")
    ev("t6", "sub_acme", "api_calls", "2024-02-29 10:00:00")
    ev("t7", "sub_acme", "api_calls", "2024-01-25 00:00:00", received="2024-02-05 00:00:00")
    ev("t8", "sub_acme", "api_calls", "2024-03-30 00:00:00", received="2024-04-02 00:00:00")
    ev("s1", "sub_acme", "storage_gb", "2024-01-16 00:00:00", {"gb": "10.5"})
    ev("s2", "sub_acme", "storage_gb", "2024-01-17 00:00:00", {"gb": 2.25})
    ev("s3", "sub_acme", "storage_gb", "2024-01-18 00:00:00", {"gb": "abc"})
    ev("s4", "sub_acme", "storage_gb", "2024-01-19 00:00:00", {"other": 1})
    ev("s5", "sub_acme", "storage_gb", "2024-02-19 00:00:00", {"gb": "1e3"})
    ev("s6", "sub_acme", "storage_gb", "2024-02-20 00:00:00", {"gb": -0.004})
    ev("u1", "sub_nobody", "api_calls", "2024-02-01 00:00:00")
    ev("m1", "sub_acme", "nope", "2024-02-01 00:00:00")
    ev("g1", "sub_globex", "api_calls", "2024-02-15 00:00:00")
    ev("g2", "sub_globex", "api_calls", "2024-03-03 00:00:00")
    ev("b1", "sub_acme_basic", "api_calls", "2024-03-25 00:00:00")
    return events


def write_scenario(path: str) -> None:
    con = duckdb.connect(path)
    con.execute("create schema if not exists raw")
    for table in RAW_TABLES:
        con.execute(f"drop table if exists raw.{table}")
        con.execute(create_table_sql(table))
    _insert(con, "organization", [
        dict(name="Ratebook Demo", default_currency="USD", timezone="UTC", net_payment_term=15,
             document_numbering="per_customer", invoice_grace_period=0),
    ])
    _insert(con, "billable_metrics", [
        dict(code="api_calls", name="API calls", aggregation_type="count_agg", recurring=False),
        dict(code="storage_gb", name="Storage", aggregation_type="sum_agg", field_name="gb",
             recurring=False),
    ])
    _insert(con, "plans", [
        dict(code="pro_monthly", name="Pro", interval="monthly", amount_cents=4900,
             amount_currency="USD", pay_in_advance=False),
        dict(code="basic_monthly", name="Basic", interval="monthly", amount_cents=1000,
             amount_currency="USD", pay_in_advance=False),
        dict(code="team_yearly", name="Team", interval="yearly", amount_cents=120000,
             amount_currency="EUR", pay_in_advance=True),
    ])
    _insert(con, "charges", [
        dict(charge_id="pro_monthly:0", plan_code="pro_monthly", position=0,
             billable_metric_code="api_calls", charge_model="standard",
             properties={"amount": "0.005"}),
        dict(charge_id="pro_monthly:1", plan_code="pro_monthly", position=1,
             billable_metric_code="storage_gb", charge_model="standard",
             properties={"amount": "0.125"}),
        dict(charge_id="team_api", plan_code="team_yearly", position=0,
             billable_metric_code="api_calls", charge_model="standard",
             properties={"amount": "0.01"}),
    ])
    _insert(con, "add_ons", [
        dict(code="setup", name="Setup fee", amount_cents=50000, amount_currency="USD"),
    ])
    _insert(con, "customers", [
        dict(external_id="acme", name="Acme", currency="USD"),
        dict(external_id="globex", name="Globex", currency="EUR", invoice_grace_period=3,
             net_payment_term=30),
    ])
    _insert(con, "subscriptions", [
        dict(external_id="sub_acme", external_customer_id="acme", plan_code="pro_monthly",
             created_at="2024-01-15 10:00:00"),
        dict(external_id="sub_acme_basic", external_customer_id="acme",
             plan_code="basic_monthly", created_at="2024-02-01 00:00:00",
             terminated_at="2024-03-20 12:00:00"),
        dict(external_id="sub_globex", external_customer_id="globex", plan_code="team_yearly",
             created_at="2024-02-10 08:00:00", subscription_at="2024-02-10 08:00:00"),
    ])
    _insert(con, "one_off_invoices", [
        dict(external_id="oo_1", external_customer_id="acme", issuing_date="2024-03-05",
             currency="USD"),
    ])
    _insert(con, "one_off_invoice_fees", [
        dict(one_off_invoice_external_id="oo_1", position=0, add_on_code="setup", units="1.5",
             unit_amount_cents="1000.25", description="Onboarding"),
        dict(one_off_invoice_external_id="oo_1", position=1, add_on_code="setup", units="1"),
    ])
    _insert(con, "events", _events())
    _insert(con, "event_rejects", [
        dict(error_code="invalid_json", error_details="events/bad.jsonl line 3 is not JSON.",
             source_file="events/bad.jsonl", source_row=3, raw_payload="{oops"),
    ])
    con.close()


def build_and_check(path: str) -> None:
    env = {**os.environ, "BILLING_WAREHOUSE": path}
    window = '{from: "2024-01-01", to: "2024-04-01", as_of: "2024-04-01 00:00:00"}'
    subprocess.run(
        [str(ROOT / ".venv/bin/dbt"), "build", "--profiles-dir", ".", "--vars", window],
        cwd=ROOT / "dbt_project",
        env=env,
        check=True,
    )
    con = duckdb.connect(path, read_only=True)
    invoices = con.execute(
        "select external_customer_id, cast(issuing_date as varchar), fees_amount_cents, number"
        " from billing.invoices order by issuing_date"
    ).fetchall()
    assert invoices == EXPECTED_INVOICES, invoices
    errors = dict(con.execute("select transaction_id, error_code from billing.event_errors").fetchall())
    assert errors == EXPECTED_ERRORS, errors
    print("invoices and event errors match the hand-computed scenario")


if __name__ == "__main__":
    warehouse = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dbtdev.duckdb"
    write_scenario(warehouse)
    print(f"scenario written to {warehouse}")
    if "--build" in sys.argv:
        build_and_check(warehouse)
