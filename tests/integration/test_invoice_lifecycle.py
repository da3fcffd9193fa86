"""One warehouse through a billing month of real life, as a user runs `billing run`.

The e2e fixture (tests/fixtures/e2e; see test_end_to_end.py for its hand-worked amounts;
no grace period: an invoice is finalized the instant it is issued, no taxes, coupons or
wallets), on one warehouse, one run after the other (each run costs ~40 s, so the
scenarios share them):

1. Billed through 2024-02-01: four finalized invoices (s2 and s3 on 2024-01-01, s1 and s2
   on 2024-02-01), frozen in the ledger, and published to the readers' copy. Customer
   c1's invoice of 2024-02-01 is TST-003-001: 1000 + 15 + 88 = 1103 cents.
2. A run through 2024-03-01 is SIGKILLed once dbt has started: the readers' copy is
   byte-for-byte what run 1 left, and still opens.
3. Then, as happens in real life, before the next run:
   - the catalog's api_calls price of plan `basic` goes from 0.05 to 0.10 per call;
   - an event for s1 dated 2024-01-20 arrives on 2024-02-01 12:00 UTC, after January's
     invoice was finalized;
   - a manual credit note of 200 cents names an invoice number that does not exist;
   - a payment status set by hand names an invoice number that does not exist.
   The run through 2024-03-01 fails on both with a row each naming the file, the
   record and the field (nothing is dropped silently), and publishes nothing.
4. The credit note and the payment status fixed (TST-003-001 paid by hand on
   2024-02-15), the run through 2024-03-01 succeeds while a reader holds the published
   copy open:
   - every invoice finalized in run 1 and its fees are exactly as they were (January is
     not re-priced: 3 calls x 0.05 = 15 cents stay);
   - the late event is reported as late_for_finalized_invoice;
   - c1's invoice of 2024-03-01 prices February at the new price, 1 call x 0.10 = 10
     cents, storage 4 GB x 0.25 = 100 cents, and takes the credit note: 1000 + 10 + 100
     - 200 = 910 cents, the note's balance 200 - 200 = 0;
   - TST-003-001's payment_status is succeeded (set by hand; its frozen rows are not);
   - the open reader still sees run 1's 4 subscription invoices, a new connection 6.
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BILLING, PROJECT_ROOT, BillingRun, copy_fixture, run_billing

FROZEN_TABLES = ["invoices", "fees", "invoice_subscriptions", "applied_taxes", "credits"]
KILL_AFTER_LINE = "Running dbt command"
NOTE = """credit_notes:
  - external_id: cn_1
    invoice_number: {number}
    reason: product_unsatisfactory
    credit_amount_cents: 200
    refund_amount_cents: 0
    created_at: "2024-02-10T00:00:00Z"
"""
PAID = """payment_status_updates:
  - {{invoice_number: {number}, payment_status: succeeded, updated_at: "2024-02-15T09:00:00Z"}}
"""
VOID = """invoice_voids:
  - {{invoice_number: {number}, voided_at: "2024-02-20T10:00:00Z", reason: sold the seat back}}
"""
LATE_EVENT = {
    "transaction_id": "late-1",
    "external_subscription_id": "s1",
    "code": "api_calls",
    "timestamp": "2024-01-20T09:00:00Z",
    "created_at": "2024-02-01T12:00:00Z",
    "properties": {},
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _subscription_invoices(con) -> int:
    return con.execute(
        "select count(*) from billing.invoices where invoice_type = 'subscription'"
    ).fetchone()[0]


def _published_invoices(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return _subscription_invoices(con)


def _frozen_rows(run: BillingRun, table: str, invoice_ids: list[str]) -> list[tuple]:
    columns = "* exclude (status, payment_status)" if table == "invoices" else "*"  # mutable
    return run.query(
        f"select {columns} from billing.{table} where invoice_id in (select unnest(?)) order by all",
        [invoice_ids],
    )


def _start_killable(data_dir: Path, warehouse: Path, through: str, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "DAGSTER_HOME"))}
    env["BILLING_OUTPUT_DIR"] = str(warehouse.parent / "invoices")
    args = [str(BILLING), "run", "--through", through, "--data-dir", str(data_dir), "--warehouse", str(warehouse)]
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=log.open("w"), env=env, cwd=PROJECT_ROOT, start_new_session=True
    )


def _wait_for_line(proc: subprocess.Popen, log: Path, line: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            return
        assert proc.poll() is None, f"the run ended before {line!r}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no {line!r} within {timeout}s")


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    root = tmp_path_factory.mktemp("lifecycle")
    data_dir = copy_fixture("e2e", root)
    warehouse = root / "warehouse.duckdb"
    published = root / "warehouse_published.duckdb"
    steps: dict = {"published": published}

    # 1. billed through 2024-02-01
    first = run_billing(data_dir, warehouse, through="2024-02-01")
    assert first.returncode == 0, first.stderr[-4000:]
    finalized = [row[0] for row in first.query("select invoice_id from billing.invoices where status = 'finalized'")]
    steps.update(
        first=first,
        finalized=finalized,
        frozen_before={table: _frozen_rows(first, table, finalized) for table in FROZEN_TABLES},
        c1_after_first=first.query(
            "select number, total_amount_cents from billing.invoices where external_customer_id = 'c1'"
        ),
        c2_february=first.query(
            "select number from billing.invoices where external_customer_id = 'c2' and issuing_date = '2024-02-01'"
        )[0][0],
        published_after_first=_published_invoices(published),
        digest_after_first=_digest(published),
    )

    # 2. killed mid-dbt
    log = root / "killed.log"
    killed = _start_killable(data_dir, warehouse, "2024-03-01", log)
    _wait_for_line(killed, log, KILL_AFTER_LINE)
    os.killpg(killed.pid, signal.SIGKILL)  # the run and its dbt subprocess
    killed.wait(timeout=60)
    steps.update(
        killed_returncode=killed.returncode,
        digest_after_kill=_digest(published),
        published_after_kill=_published_invoices(published),
    )

    # 3. catalog edit, late event, a credit note on an unknown invoice
    catalog = data_dir / "catalog" / "catalog.yaml"
    text = catalog.read_text()
    assert text.count('properties: {amount: "0.05"}') == 1
    catalog.write_text(text.replace('properties: {amount: "0.05"}', 'properties: {amount: "0.10"}'))
    with (data_dir / "events" / "2024-01.jsonl").open("a") as events:
        events.write(json.dumps(LATE_EVENT) + "\n")
    (data_dir / "catalog" / "credit_notes.yaml").write_text(NOTE.format(number="TST-999-999"))
    (data_dir / "catalog" / "payments.yaml").write_text(PAID.format(number="TST-999-998"))
    failed = run_billing(data_dir, warehouse, through="2024-03-01", first="2024-01-01")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(audit_schema,)] = con.execute(
            "select schema_name from duckdb_tables() where table_name = 'assert_credit_notes_name_known_invoices'"
        ).fetchall()
        credit_note_errors = con.execute(
            f"select error from {audit_schema}.assert_credit_notes_name_known_invoices"
        ).fetchall()
        payment_status_errors = con.execute(
            f"select error from {audit_schema}.assert_payment_status_updates_name_finalized_invoices"
        ).fetchall()
    steps.update(
        failed=failed,
        credit_note_errors=credit_note_errors,
        payment_status_errors=payment_status_errors,
        digest_after_failure=_digest(published),
    )

    # 4. the note and the payment status fixed, a reader holding the published copy open
    (data_dir / "catalog" / "credit_notes.yaml").write_text(NOTE.format(number="TST-003-001"))
    (data_dir / "catalog" / "payments.yaml").write_text(PAID.format(number="TST-003-001"))
    (data_dir / "catalog" / "voids.yaml").write_text(VOID.format(number=steps["c2_february"]))
    reader = duckdb.connect(str(published), read_only=True)
    try:
        last = run_billing(data_dir, warehouse, through="2024-03-01", first="2024-01-01")
        steps["reader_during_last"] = _subscription_invoices(reader)
    finally:
        reader.close()
    steps.update(last=last, published_after_last=_published_invoices(published))
    return steps


def test_a_later_run_starts_dbt_from_the_parse_kept_by_an_earlier_one(lifecycle):
    """dagster_project/lib/dbt_target.py: this warehouse is not the one `make manifest` parsed
    for, which made dbt parse the whole project in every run ("profile has changed", about
    5 s). Since the first run kept its parse, the last one starts from it, and dbt accepts it:
    it parses only the files changed since."""
    output = lifecycle["last"].stdout + lifecycle["last"].stderr
    assert "dbt starts from its parse kept in" in output
    assert "Unable to do partial parsing" not in output
    assert re.search(r"Found \d+ models", output)  # dbt's output is there to read


def test_the_first_run_publishes_four_finalized_invoices(lifecycle):
    assert len(lifecycle["finalized"]) == 4
    assert lifecycle["published_after_first"] == 4
    assert lifecycle["c1_after_first"] == [("TST-003-001", 1103)]


def test_a_killed_run_leaves_the_published_copy_as_it_was(lifecycle):
    assert lifecycle["killed_returncode"] == -signal.SIGKILL
    assert lifecycle["digest_after_kill"] == lifecycle["digest_after_first"]
    assert lifecycle["published_after_kill"] == 4


def test_a_credit_note_on_an_unknown_invoice_fails_the_run_naming_file_note_and_field(lifecycle):
    failed = lifecycle["failed"]
    assert failed.returncode != 0
    assert "assert_credit_notes_name_known_invoices" in failed.stderr
    # the records to fix, on stderr, above the one-line reason
    assert "  catalog/credit_notes.yaml: credit_notes[external_id=cn_1].invoice_number: no invoice TST-999-999" in failed.stderr
    assert failed.stderr.strip().splitlines()[-1] == (
        "billing run failed: 2 catalog record(s) do not fit the invoices billed (listed above)"
    )
    assert lifecycle["credit_note_errors"] == [
        ("catalog/credit_notes.yaml: credit_notes[external_id=cn_1].invoice_number: no invoice TST-999-999",)
    ]
    assert lifecycle["payment_status_errors"] == [
        (
            "catalog/payments.yaml: payment_status_updates[invoice_number=TST-999-998,"
            "updated_at=2024-02-15T09:00:00].invoice_number: no finalized invoice TST-999-998",
        )
    ]
    assert lifecycle["digest_after_failure"] == lifecycle["digest_after_first"]


def test_the_next_run_completes_while_a_reader_keeps_its_state(lifecycle):
    last = lifecycle["last"]
    assert last.returncode == 0, last.stderr[-4000:]
    assert lifecycle["reader_during_last"] == 4
    assert lifecycle["published_after_last"] == 6
    assert not lifecycle["published"].with_name(lifecycle["published"].name + ".publishing").exists()


def test_finalized_invoices_survive_a_catalog_edit_and_late_events(lifecycle):
    last = lifecycle["last"]
    for table in FROZEN_TABLES:
        assert _frozen_rows(last, table, lifecycle["finalized"]) == lifecycle["frozen_before"][table], table
    assert last.query("select error_code from billing.event_errors where transaction_id = 'late-1'") == [
        ("late_for_finalized_invoice",)
    ]
    assert last.query("select count(*) from ledger.frozen_invoices") == [(6,)]


def test_the_marts_keep_each_frozen_invoices_rows_as_the_ledger_has_them(lifecycle):
    """The frozen marts are incremental (macros/ledger.sql): the last run deleted and wrote
    again only the rows of invoices not frozen, kept the rows of the 4 invoices run 1 froze
    and froze 2 more (2024-03-01's). Every frozen invoice's rows in the mart are its copy in
    the ledger (status and payment_status aside: the void and the payment changed them)."""
    last = lifecycle["last"]
    frozen = "invoice_id in (select invoice_id from ledger.invoice_register)"
    counts = {}
    for table in FROZEN_TABLES:
        columns = "* exclude (status, payment_status)" if table == "invoices" else "*"
        mart = last.query(f"select {columns} from billing.{table} where {frozen} order by all")
        ledger = last.query(f"select {columns} from ledger.{table} where {frozen} order by all")
        assert mart == ledger, table
        counts[table] = len(mart)
    # the 6 frozen invoices (ledger.frozen_invoices), each with one subscription
    assert (counts["invoices"], counts["invoice_subscriptions"]) == (6, 6)
    assert counts["fees"] > counts["invoices"]


def test_a_frozen_invoice_voided_later_keeps_its_number_and_rows_with_status_voided(lifecycle):
    last = lifecycle["last"]
    number = lifecycle["c2_february"]
    # c2's February invoice (5140 cents, finalized and frozen by run 1) voided on 2024-02-20
    assert last.query(
        "select number, status, payment_status, total_amount_cents from billing.invoices "
        "where external_customer_id = 'c2' and issuing_date = '2024-02-01'"
    ) == [(number, "voided", "pending", 5140)]
    assert last.query("select count(*) from billing.fees where invoice_id = (select invoice_id from billing.invoices where number = ?)", [number]) == [(2,)]
    # a voided invoice leaves gross revenue: February 2024 EUR is c2's... nothing else
    assert last.query(
        "select amount_cents from analytics.gross_revenue where currency = 'EUR' and month = '2024-02-01'"
    ) == []


def test_the_next_invoice_takes_the_new_price_and_the_credit_note(lifecycle):
    last = lifecycle["last"]
    assert last.query(
        """
        select cast(issuing_date as varchar), credit_notes_amount_cents, total_amount_cents
        from billing.invoices where external_customer_id = 'c1' order by 1
        """
    ) == [("2024-02-01", 0, 1103), ("2024-03-01", 200, 910)]
    # TST-003-001 paid by hand on 2024-02-15; the March invoice still waits for payment
    assert last.query(
        "select number, payment_status from billing.invoices where external_customer_id = 'c1' order by 1"
    ) == [("TST-003-001", "succeeded"), ("TST-003-002", "pending")]
    assert last.query(
        "select credit_amount_cents, consumed_amount_cents, balance_amount_cents from billing.credit_notes"
    ) == [(200, 200, 0)]


def test_current_usage_keeps_each_billing_days_usage_so_far(lifecycle):
    # billing.current_usage is incremental by as_of_date: run 1 (through 2024-02-01) left
    # February so far, s1's t20 = 1 call x 0.05 = 5 cents (s2: 0 calls); the last run
    # (through 2024-03-01, after the failed one) replaced only its own day, March so far:
    # s1 t30 + t32 = 2 calls at the new 0.10 = 20 cents, storage 2.5 GB x 0.25 = 62.5 -> 63
    # cents, s2 t34 = 1 call x 0.20 = 20 cents. The price change does not touch February's rows.
    assert lifecycle["last"].query(
        """
        select cast(as_of_date as varchar), external_subscription_id, code, amount_cents
        from billing.current_usage order by all
        """
    ) == [
        ("2024-02-01", "s1", "api_calls", 5),
        ("2024-02-01", "s1", "storage", 0),
        ("2024-02-01", "s2", "api_calls", 0),
        ("2024-03-01", "s1", "api_calls", 20),
        ("2024-03-01", "s1", "storage", 63),
        ("2024-03-01", "s2", "api_calls", 20),
    ]
