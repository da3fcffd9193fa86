"""A finalized invoice never changes: not by a rerun, a catalog edit or a late event.

The e2e fixture (tests/fixtures/e2e, no grace period: an invoice is finalized the
instant it is issued), billed through 2024-02-01, has four finalized invoices; s1's
January invoice (customer c1) is 1000 + 15 + 88 = 1103 cents (test_end_to_end.py).

Then, as happens in real life:
- the catalog's api_calls price of plan `basic` goes from 0.05 to 0.10 per call;
- an event for s1 dated 2024-01-20 arrives on 2024-02-01 12:00 UTC, after January's
  invoice was finalized.
Rerunning through 2024-02-01 leaves every finalized invoice and its fees exactly as they
were (January is not re-priced: 3 calls at 0.05 = 15 cents stay) and reports the event
as late_for_finalized_invoice; billing on through 2024-03-01 prices February at the new
price: 1 call x 0.10 = 10 cents, so s1's February invoice is 1000 + 10 + 100 = 1110
cents (storage 4 GB x 0.25 = 100 cents).
"""

import json

from tests.conftest import copy_fixture, run_billing

FROZEN_TABLES = ["invoices", "fees", "invoice_subscriptions", "applied_taxes", "credits"]


def _rows(run, table: str, invoice_ids: list[str]) -> list[tuple]:
    return run.query(
        f"select * exclude (payment_status) from billing.{table} where invoice_id in (select unnest(?)) order by all"
        if table == "invoices"
        else f"select * from billing.{table} where invoice_id in (select unnest(?)) order by all",
        [invoice_ids],
    )


def test_a_finalized_invoice_survives_a_catalog_edit_and_late_events(tmp_path):
    data_dir = copy_fixture("e2e", tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_billing(data_dir, warehouse, through="2024-02-01")
    assert first.returncode == 0, first.stderr[-4000:]
    finalized = [row[0] for row in first.query("select invoice_id from billing.invoices where status = 'finalized'")]
    assert len(finalized) == 4
    before = {table: _rows(first, table, finalized) for table in FROZEN_TABLES}
    assert first.query(
        "select total_amount_cents from billing.invoices where external_customer_id = 'c1'"
    ) == [(1103,)]

    catalog = data_dir / "catalog" / "catalog.yaml"
    text = catalog.read_text()
    assert text.count('properties: {amount: "0.05"}') == 1
    catalog.write_text(text.replace('properties: {amount: "0.05"}', 'properties: {amount: "0.10"}'))
    late = {
        "transaction_id": "late-1",
        "external_subscription_id": "s1",
        "code": "api_calls",
        "timestamp": "2024-01-20T09:00:00Z",
        "created_at": "2024-02-01T12:00:00Z",
        "properties": {},
    }
    with (data_dir / "events" / "2024-01.jsonl").open("a") as events:
        events.write(json.dumps(late) + "\n")

    rerun = run_billing(data_dir, warehouse, through="2024-02-01", first="2024-01-01")
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    for table in FROZEN_TABLES:
        assert _rows(rerun, table, finalized) == before[table], table
    assert rerun.query(
        "select error_code from billing.event_errors where transaction_id = 'late-1'"
    ) == [("late_for_finalized_invoice",)]
    assert rerun.query("select count(*) from ledger.frozen_invoices") == [(4,)]

    onwards = run_billing(data_dir, warehouse, through="2024-03-01", first="2024-01-01")
    assert onwards.returncode == 0, onwards.stderr[-4000:]
    assert onwards.query(
        """
        select cast(issuing_date as varchar), total_amount_cents from billing.invoices
        where external_customer_id = 'c1' order by 1
        """
    ) == [("2024-02-01", 1103), ("2024-03-01", 1110)]
    for table in FROZEN_TABLES:
        assert _rows(onwards, table, finalized) == before[table], table
