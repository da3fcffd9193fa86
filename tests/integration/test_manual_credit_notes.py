"""A manual credit note (catalog `credit_notes`) is applied, or the run says why it cannot be.

e2e fixture (tests/fixtures/e2e), billed through 2024-03-01: customer c1's invoice of
2024-02-01 is TST-003-001, 1103 cents, and its next one, of 2024-03-01, is 1105 cents
(test_end_to_end.py). No taxes, coupons or wallets.
1. A note naming an invoice number that does not exist fails the run with a row naming
   the file, the note and the field; nothing is dropped silently.
2. With the right number, a note of 200 cents credit created 2024-02-10 is consumed by
   c1's next finalized invoice: 1105 - 200 = 905 cents, credit_notes_amount_cents 200,
   and the note's balance is 200 - 200 = 0.
"""

import duckdb

from tests.conftest import copy_fixture, run_billing

NOTE = """credit_notes:
  - external_id: cn_1
    invoice_number: {number}
    reason: product_unsatisfactory
    credit_amount_cents: 200
    refund_amount_cents: 0
    created_at: "2024-02-10T00:00:00Z"
"""


def test_a_note_on_an_unknown_invoice_fails_the_run_and_a_known_one_is_consumed(tmp_path):
    data_dir = copy_fixture("e2e", tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    (data_dir / "catalog" / "credit_notes.yaml").write_text(NOTE.format(number="TST-999-999"))
    failed = run_billing(data_dir, warehouse, through="2024-03-01")
    assert failed.returncode != 0
    assert "assert_credit_notes_name_known_invoices" in failed.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(schema,)] = con.execute(
            "select schema_name from duckdb_tables() where table_name = 'assert_credit_notes_name_known_invoices'"
        ).fetchall()
        errors = con.execute(f"select error from {schema}.assert_credit_notes_name_known_invoices").fetchall()
    assert errors == [
        (
            "catalog/credit_notes.yaml: credit_notes[external_id=cn_1].invoice_number: "
            "no invoice TST-999-999",
        )
    ]

    (data_dir / "catalog" / "credit_notes.yaml").write_text(NOTE.format(number="TST-003-001"))
    applied = run_billing(data_dir, warehouse, through="2024-03-01")
    assert applied.returncode == 0, applied.stderr[-4000:]
    assert applied.query(
        """
        select cast(issuing_date as varchar), credit_notes_amount_cents, total_amount_cents
        from billing.invoices where external_customer_id = 'c1' order by 1
        """
    ) == [("2024-02-01", 0, 1103), ("2024-03-01", 200, 905)]
    assert applied.query(
        "select credit_amount_cents, consumed_amount_cents, balance_amount_cents from billing.credit_notes"
    ) == [(200, 200, 0)]
