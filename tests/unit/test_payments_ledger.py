"""The ledger's guarantees, on a real DuckDB file: one open payment per invoice, write-ahead
attempts, terminal states, and the status view dbt joins."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dagster_project.lib.payments.calls import Call, FrozenRequest, utcnow
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.ledger import Ledger
from dagster_project.lib.payments.outcome import Kind, Outcome, State

CONTRACT_ATTEMPT_COLUMNS = {
    "invoice_id",
    "provider",
    "idempotency_key",
    "attempt",
    "requested_at",
    "http_status",
    "outcome",
    "provider_payment_id",
    "error_code",
}
REQUEST = FrozenRequest(
    "/v1/payment_intents", "amount=100&currency=eur", "application/x-www-form-urlencoded"
)


def candidate(amount: int = 100, invoice_id: str = "inv_1") -> Candidate:
    return Candidate(
        invoice_id,
        "RB-1",
        "acme",
        "subscription",
        date(2024, 3, 1),
        "EUR",
        amount,
        "stripe",
        "cus_1",
    )


def call(kind: Kind, **fields) -> Call:
    now = utcnow()
    return Call("create", now, now, Outcome(kind, **fields))


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as connection:
        yield connection


@pytest.fixture
def ledger(con):
    ledger = Ledger(con, run_id="run-1")
    ledger.ensure()
    return ledger


def claim(ledger: Ledger, seq: int = 1, inv: Candidate | None = None):
    """The claimed payment's first create attempt, written ahead with it (or None)."""
    return ledger.claim(inv or candidate(), seq, "pm_card_visa", REQUEST, [])


def test_payments_attempts_has_the_contract_columns(ledger, con):
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'payments' and table_name = 'attempts'"
        ).fetchall()
    }
    assert CONTRACT_ATTEMPT_COLUMNS <= columns


def test_an_invoice_has_at_most_one_open_payment(ledger):
    first = claim(ledger).payment
    assert first.key == "ratebook-inv_1-p1" and first.state is State.PENDING
    assert claim(ledger) is None  # the same payment number again
    assert claim(ledger, seq=2) is None  # a second key while the first is open
    plan = ledger.plan(candidate(), retry_failed=True, max_payments=3)
    assert (plan.action, plan.payment.key) == ("resume", first.key)


def test_the_unique_open_lock_rejects_a_second_open_row_even_from_raw_sql(ledger, con):
    claim(ledger)
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            """
            insert into payments.payments
            select * replace ('pay_other' as payment_id, 2 as payment_seq, 'other-key' as idempotency_key)
            from payments.payments
            """
        )


def test_a_failed_payment_releases_the_invoice_for_dunning_only(ledger):
    attempt = claim(ledger)
    ledger.finish_attempt(
        attempt, call(Kind.DECLINED, error_code="card_declined", http_status=402), settle=True
    )
    assert (
        ledger.plan(candidate(), retry_failed=False, max_payments=3).reason
        == "failed_awaiting_dunning"
    )
    plan = ledger.plan(candidate(), retry_failed=True, max_payments=3)
    assert (plan.action, plan.payment_seq) == ("new", 2)
    second = claim(ledger, seq=2)
    assert second is not None and second.payment.key == "ratebook-inv_1-p2"
    assert ledger.plan(candidate(), retry_failed=True, max_payments=2).action == "resume"


def test_create_attempts_are_written_ahead_and_visible_to_another_connection(ledger, con):
    first = claim(ledger)  # the claim writes the first attempt ahead
    other = con.cursor()
    assert other.execute(
        "select outcome, finished_at from payments.attempts where attempt_id = ?",
        [first.attempt_id],
    ).fetchone() == ("in_flight", None)
    ledger.finish_attempt(first, call(Kind.UNKNOWN, retry=True, error_code="timeout"), settle=False)
    retry = ledger.begin_attempt(first.payment)
    assert (first.attempt_id, retry.attempt_id) == ("ratebook-inv_1-p1#1", "ratebook-inv_1-p1#2")
    assert other.execute(
        "select outcome from payments.attempts where attempt_id = ?", [retry.attempt_id]
    ).fetchone() == ("in_flight",)
    ledger.finish_attempt(
        retry, call(Kind.SUCCEEDED, http_status=200, provider_payment_id="pi_1"), settle=True
    )
    row = other.execute(
        "select outcome, http_status, provider_payment_id from payments.attempts where attempt_id = ?",
        [retry.attempt_id],
    ).fetchone()
    assert row == ("succeeded", 200, "pi_1")
    assert other.execute("select state from payments.payments").fetchone() == ("succeeded",)


def test_an_attempt_a_crashed_run_left_in_flight_is_read_as_unknown(ledger, con):
    claim(ledger)  # the process dies here, with the first attempt written ahead
    begun = con.execute("select requested_at from payments.attempts").fetchone()[0]
    assert ledger.recover_abandoned(started_at=begun) == 0  # begun by the push now running
    assert Ledger(con, run_id="run-2").recover_abandoned(started_at=utcnow()) == 1
    outcome, code = con.execute("select outcome, error_code from payments.attempts").fetchone()
    assert (outcome, code) == ("unknown", "no_response_recorded")
    assert ledger.plan(candidate(), retry_failed=False, max_payments=3).action == "resume"


def test_terminal_states_are_never_overwritten_by_a_late_answer(ledger, con):
    payment = claim(ledger).payment
    ledger.settle(payment.ref, Outcome(Kind.PROCESSING, provider_payment_id="PM1"))
    ledger.settle(payment.ref, Outcome(Kind.UNKNOWN, retry=True))  # processing never goes back
    assert con.execute("select state from payments.payments").fetchone()[0] == "processing"
    ledger.settle(payment.ref, Outcome(Kind.SUCCEEDED))
    ledger.settle(payment.ref, Outcome(Kind.DECLINED, error_code="failed"))
    assert con.execute("select state, open_lock from payments.payments").fetchone() == (
        "succeeded",
        "inv_1",
    )


def test_an_amount_changed_under_an_open_payment_is_a_conflict(ledger):
    claim(ledger)
    plan = ledger.plan(candidate(amount=999), retry_failed=False, max_payments=3)
    assert plan.action == "conflict" and "nothing was sent" in plan.reason


def test_the_status_view_takes_each_invoices_latest_payment_and_writes_through(ledger, con):
    con.execute("create schema billing")
    con.execute("create table billing.invoices (invoice_id varchar, payment_status varchar)")
    con.execute("insert into billing.invoices values ('inv_1', 'pending'), ('inv_2', 'pending')")
    first = claim(ledger).payment
    ledger.settle(first.ref, Outcome(Kind.DECLINED, error_code="card_declined"))
    assert con.execute("select payment_status from payments.invoice_payment_status").fetchall() == [
        ("failed",)
    ]
    second = claim(ledger, seq=2).payment
    ledger.settle(second.ref, Outcome(Kind.SUCCEEDED))
    view = con.execute(
        "select invoice_id, payment_status from payments.invoice_payment_status"
    ).fetchall()
    assert view == [("inv_1", "succeeded")]
    assert ledger.write_through() == 1
    assert con.execute("select * from billing.invoices order by 1").fetchall() == [
        ("inv_1", "succeeded"),
        ("inv_2", "pending"),
    ]
    assert ledger.write_through() == 0  # idempotent


def test_a_payment_status_set_by_hand_after_the_providers_outcome_is_not_overwritten(ledger, con):
    con.execute("create schema billing")
    con.execute(
        "create table billing.invoices (invoice_id varchar, number varchar, payment_status varchar)"
    )
    # inv_1 marked paid by hand (a bank transfer) after its card payment was declined
    con.execute("insert into billing.invoices values ('inv_1', 'ACME-001-001', 'succeeded')")
    payment = claim(ledger).payment
    ledger.settle(payment.ref, Outcome(Kind.DECLINED, error_code="card_declined"))
    declined_at = con.execute(
        "select updated_at from payments.invoice_payment_status"
    ).fetchone()[0]
    con.execute("create schema raw")
    con.execute(
        "create table raw.payment_status_updates "
        "(invoice_number varchar, payment_status varchar, updated_at timestamp)"
    )
    con.execute(
        "insert into raw.payment_status_updates values "
        "('ACME-001-001', 'succeeded', ?::timestamp + interval 1 hour)",
        [declined_at],
    )
    assert ledger.write_through() == 0
    assert con.execute("select payment_status from billing.invoices").fetchall() == [("succeeded",)]
    # a manual update older than the provider's outcome gives way to it
    con.execute("update raw.payment_status_updates set updated_at = updated_at - interval 2 hour")
    assert ledger.write_through() == 1
    assert con.execute("select payment_status from billing.invoices").fetchall() == [("failed",)]
