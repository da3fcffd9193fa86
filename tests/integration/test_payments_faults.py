"""The real push asset against the local emulator, through each injected fault.

Every test ends with the exactly-once check (at most one charge per invoice, one payment
object per key, amounts and currencies as invoiced) and the invoice's final status."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.payments_emulator import Emulator
from dagster_project.payments_emulator.harness import (
    FAST_CONFIG,
    SeedInvoice,
    double_charges,
    emulator_resources,
    materialize_push,
    seed_warehouse,
)

PROVIDERS = {
    "stripe": SeedInvoice("inv_stripe", "cust_stripe", "stripe", "cus_stripe"),
    "gocardless": SeedInvoice("inv_gc", "cust_gc", "gocardless", "CU_gc"),
    "adyen": SeedInvoice("inv_adyen", "cust_adyen", "adyen", "shopper_adyen"),
}
# The status a first successful create gives: GoCardless pays out days later.
SETTLED = {"stripe": "succeeded", "gocardless": "pending", "adyen": "succeeded"}


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator
    assert double_charges(emulator.charges()) == {}, "an invoice was charged twice"


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, PROVIDERS.values())
    return path


def push(warehouse, emu, *, keys=None, **config):
    resources = emulator_resources(
        emu.url, warehouse, **({"keys": keys} if keys is not None else {})
    )
    return materialize_push(resources, config={**FAST_CONFIG, **config})


def query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def status(warehouse, invoice_id):
    return query(
        warehouse, "select payment_status from billing.invoices where invoice_id = ?", [invoice_id]
    )[0][0]


def creates(warehouse, invoice_id):
    return query(
        warehouse,
        """
        select idempotency_key, attempt, outcome, http_status, error_code from payments.attempts
        where invoice_id = ? and operation = 'create' order by attempt
        """,
        [invoice_id],
    )


def charges_of(emu, invoice_id):
    return [charge for charge in emu.charges() if charge["invoice_id"] == invoice_id]


def posts(emu, invoice_id):
    return [
        entry
        for entry in emu.requests()
        if entry["op"] == "create" and entry["invoice_id"] == invoice_id
    ]


def metadata(result, key):
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key.path == key)
    return {name: value.value for name, value in event.materialization.metadata.items()}


# --- the happy path and the flow back ---------------------------------------------------------


def test_each_provider_is_charged_once_and_the_invoice_status_flows_back(warehouse, emu):
    result = push(warehouse, emu)
    assert result.success
    for provider, seed in PROVIDERS.items():
        charges = charges_of(emu, seed.invoice_id)
        assert len(charges) == 1 and charges[0]["dialect"] == provider
        assert (charges[0]["amount"], charges[0]["currency"].upper()) == (12_345, "EUR")
        assert status(warehouse, seed.invoice_id) == SETTLED[provider]
        [(key, attempt, _, _, _)] = creates(warehouse, seed.invoice_id)
        assert key == f"ratebook-{seed.invoice_id}-p1" and attempt == 2  # after the method lookup
    view = query(
        warehouse,
        "select invoice_id, payment_status from payments.invoice_payment_status order by 1",
    )
    assert view == [("inv_adyen", "succeeded"), ("inv_gc", "pending"), ("inv_stripe", "succeeded")]
    summary = metadata(result, ["payments", "attempts"])
    assert (summary["invoices_succeeded"], summary["invoices_processing"]) == (2, 1)
    assert "| stripe | succeeded | succeeded | EUR | 1 | 123.45 EUR |" in summary["summary"]


def test_gocardless_succeeds_only_once_paid_out_and_a_rerun_only_polls(warehouse, emu):
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_gc") == "pending"
    emu.advance(3 * 86_400)  # the mandate's payment is paid out
    result = push(warehouse, emu)
    assert result.success and status(warehouse, "inv_gc") == "succeeded"
    assert len(posts(emu, "inv_gc")) == 1
    assert metadata(result, ["payments", "attempts"])["processing_settled_by_poll"] == 1


# --- declines and invalid requests are final --------------------------------------------------


def test_declines_are_final_recorded_with_the_providers_code_and_not_retried(warehouse, emu):
    emu.add_customer("stripe", "cus_stripe", "pm_card_chargeDeclinedInsufficientFunds")
    emu.add_customer("adyen", "shopper_adyen", "spm_refused")
    emu.add_fault("decline", dialect="gocardless")
    assert push(warehouse, emu).success
    rows = query(
        warehouse,
        "select invoice_id, state, error_code, decline_code from payments.payments order by 1",
    )
    assert rows == [
        ("inv_adyen", "failed", "Refused", "2"),
        ("inv_gc", "failed", "failed", None),
        ("inv_stripe", "failed", "card_declined", "insufficient_funds"),
    ]
    for seed in PROVIDERS.values():
        assert status(warehouse, seed.invoice_id) == "failed"
        assert len(creates(warehouse, seed.invoice_id)) == 1
    assert push(warehouse, emu).success  # no dunning configured: nothing is sent again
    assert all(len(posts(emu, seed.invoice_id)) == 1 for seed in PROVIDERS.values())


def test_stripe_authentication_required_leaves_the_invoice_pending_as_lago_does(warehouse, emu):
    emu.add_customer("stripe", "cus_stripe", "pm_card_authenticationRequired")
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_stripe") == "pending"
    assert creates(warehouse, "inv_stripe")[0][4] == "authentication_required"


def test_dunning_charges_again_only_with_a_new_key_after_a_definite_failure(warehouse, emu):
    emu.add_fault("decline", dialect="stripe")
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_stripe") == "failed"
    assert push(warehouse, emu, retry_failed_payments=True).success
    assert status(warehouse, "inv_stripe") == "succeeded"
    keys = [charge["idempotency_key"] for charge in charges_of(emu, "inv_stripe")]
    assert keys == ["ratebook-inv_stripe-p1", "ratebook-inv_stripe-p2"]
    assert [charge["charged"] for charge in charges_of(emu, "inv_stripe")] == [False, True]


# --- retryable faults: same key, one charge ---------------------------------------------------


@pytest.mark.parametrize(
    "action", ["http_500", "timeout_before_commit", "reset", "rate_limit", "conflict_in_flight"]
)
def test_a_fault_before_the_charge_is_retried_with_the_same_key(warehouse, emu, action):
    for provider in PROVIDERS:
        emu.add_fault(action, dialect=provider, args={"retry_after": 0})
    assert push(warehouse, emu).success
    for provider, seed in PROVIDERS.items():
        assert len(charges_of(emu, seed.invoice_id)) == 1, provider
        assert status(warehouse, seed.invoice_id) == SETTLED[provider], provider
        attempts = creates(warehouse, seed.invoice_id)
        assert [row[0] for row in attempts] == [f"ratebook-{seed.invoice_id}-p1"] * 2, provider
        assert attempts[0][2] in ("retryable", "unknown"), provider


@pytest.mark.parametrize("action", ["timeout_after_commit", "reset_after_commit", "malformed_json"])
def test_a_fault_after_the_charge_is_resolved_by_resending_the_same_key(warehouse, emu, action):
    for provider in PROVIDERS:
        emu.add_fault(action, dialect=provider)
    assert push(warehouse, emu).success
    for provider, seed in PROVIDERS.items():
        assert len(charges_of(emu, seed.invoice_id)) == 1, provider
        assert status(warehouse, seed.invoice_id) == SETTLED[provider], provider
        first, second = creates(warehouse, seed.invoice_id)
        assert first[2] == "unknown" and first[0] == second[0], provider
        # Stripe and Adyen replay the stored answer; GoCardless names the first payment.
        assert second[2] == ("conflict" if provider == "gocardless" else "succeeded"), provider


def test_a_run_that_ends_not_knowing_is_settled_by_the_next_run_without_a_second_charge(
    warehouse, emu
):
    for provider in PROVIDERS:
        emu.add_fault("timeout_after_commit", dialect=provider)
    assert push(warehouse, emu, max_attempts=1).success
    states = query(warehouse, "select state from payments.payments")
    assert states == [("pending",)] * 3
    assert all(status(warehouse, seed.invoice_id) == "pending" for seed in PROVIDERS.values())
    assert push(warehouse, emu).success
    for provider, seed in PROVIDERS.items():
        assert len(charges_of(emu, seed.invoice_id)) == 1, provider
        assert status(warehouse, seed.invoice_id) == SETTLED[provider], provider
    # Stripe may have pruned the key: its payment is looked up by metadata, not resent.
    operations = query(
        warehouse,
        "select operation from payments.attempts where invoice_id = 'inv_stripe' order by attempt",
    )
    assert [op for (op,) in operations] == ["find_payment_method", "create", "search"]
    assert len(posts(emu, "inv_adyen")) == 2 and len(posts(emu, "inv_gc")) == 2


def test_stripe_stores_a_500_raised_after_the_charge_and_the_next_run_finds_the_charge(
    warehouse, emu
):
    emu.add_fault("http_500_after_commit", dialect="stripe")
    assert push(warehouse, emu, max_attempts=3).success
    assert [row[3] for row in creates(warehouse, "inv_stripe")] == [
        500,
        500,
        500,
    ]  # the key replays it
    assert status(warehouse, "inv_stripe") == "pending"
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_stripe") == "succeeded"
    assert len(charges_of(emu, "inv_stripe")) == 1


def test_a_429_waits_at_least_its_retry_after(warehouse, emu):
    emu.add_fault("rate_limit", dialect="stripe", args={"retry_after": 1})
    assert push(warehouse, emu).success
    first, second = posts(emu, "inv_stripe")
    assert second["time"] - first["time"] >= 1.0
    assert query(
        warehouse, "select retry_after_s from payments.attempts where http_status = 429"
    ) == [(1,)]


def test_stripe_should_retry_false_stops_this_run_and_the_next_run_charges_once(warehouse, emu):
    emu.add_fault("no_retry", dialect="stripe")
    assert push(warehouse, emu).success
    assert [row[2:4] for row in creates(warehouse, "inv_stripe")] == [("unknown", 500)]
    assert status(warehouse, "inv_stripe") == "pending"
    assert push(warehouse, emu).success
    assert (
        status(warehouse, "inv_stripe") == "succeeded" and len(charges_of(emu, "inv_stripe")) == 1
    )


def test_a_retry_after_longer_than_allowed_leaves_the_invoice_to_the_next_run(warehouse, emu):
    emu.add_fault("rate_limit", dialect="adyen", args={"retry_after": 3600})
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_adyen") == "pending" and charges_of(emu, "inv_adyen") == []
    assert push(warehouse, emu).success
    assert status(warehouse, "inv_adyen") == "succeeded"


# --- reruns and backfills ---------------------------------------------------------------------


def test_reruns_and_a_backfill_never_send_a_paid_invoice_again(warehouse, emu):
    assert push(warehouse, emu).success
    before = len(posts(emu, "inv_stripe")) + len(posts(emu, "inv_adyen"))
    assert push(warehouse, emu).success
    resources = emulator_resources(emu.url, warehouse)
    backfill = materialize_push(
        resources, config=FAST_CONFIG, partition_range=("2024-01-01", "2024-03-31")
    )
    assert backfill.success
    assert len(posts(emu, "inv_stripe")) + len(posts(emu, "inv_adyen")) == before
    assert len(charges_of(emu, "inv_gc")) == 1


def test_invoices_issued_after_the_run_window_wait_for_their_billing_day(warehouse, emu):
    resources = emulator_resources(emu.url, warehouse)
    assert materialize_push(resources, partition_key="2024-02-29", config=FAST_CONFIG).success
    assert emu.charges() == []


def test_an_amount_changed_under_an_open_payment_sends_nothing_and_fails_the_run(warehouse, emu):
    emu.add_fault("timeout_before_commit", dialect="stripe", times=0)
    assert push(warehouse, emu, max_attempts=1).success
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update billing.invoices set total_amount_cents = 999 where invoice_id = 'inv_stripe'"
        )
    sent = len(posts(emu, "inv_stripe"))
    result = push(warehouse, emu)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "changed under an open payment" in failure.step_failure_data.error.message
    assert len(posts(emu, "inv_stripe")) == sent and charges_of(emu, "inv_stripe") == []
    assert status(warehouse, "inv_adyen") == "succeeded"  # the others were still pushed


# --- credentials ------------------------------------------------------------------------------


def test_a_live_key_is_refused_before_any_request(warehouse, emu):
    keys = {"stripe": "sk_live_real_money", "gocardless": "sandbox_emulator", "adyen": "k"}
    result = push(warehouse, emu, keys=keys)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "live credentials for stripe" in failure.step_failure_data.error.message
    assert emu.requests() == []


def test_a_provider_without_a_key_is_skipped_and_the_run_says_so(warehouse, emu):
    result = push(
        warehouse, emu, keys={"stripe": None, "gocardless": "sandbox_emulator", "adyen": "k"}
    )
    assert result.success
    summary = metadata(result, ["payments", "attempts"])
    assert summary["providers_skipped"] == {"stripe": "STRIPE_SECRET_KEY is not set"}
    assert summary["skip_reasons"] == {"provider_not_configured": 1}
    assert charges_of(emu, "inv_stripe") == [] and status(warehouse, "inv_stripe") == "pending"
    assert status(warehouse, "inv_adyen") == "succeeded"


def test_a_refused_key_stops_that_provider_for_the_run(warehouse, emu, tmp_path):
    seed_warehouse(warehouse, [SeedInvoice("inv_stripe_2", "cust_stripe", "stripe", "cus_stripe")])
    keys = {"stripe": "rk_test_wrong_kind", "gocardless": "sandbox_emulator", "adyen": "k"}
    result = push(warehouse, emu, keys=keys, concurrency=1)
    assert result.success
    assert metadata(result, ["payments", "attempts"])["providers_halted"] == {
        "stripe": "HTTP 401 invalid_api_key"
    }
    stripe_requests = [entry for entry in emu.requests() if entry["dialect"] == "stripe"]
    assert len(stripe_requests) == 1 and emu.charges() and charges_of(emu, "inv_stripe") == []


def test_keys_never_reach_the_warehouse_the_logs_or_the_metadata(warehouse, emu):
    keys = {
        "stripe": "sk_test_SECRET_S",
        "gocardless": "sandbox_SECRET_G",
        "adyen": "SECRET_ADYEN_KEY",
    }
    emu.add_fault("http_500", dialect="stripe")
    emu.add_fault("decline", dialect="adyen")
    result = push(warehouse, emu, keys=keys)
    assert result.success
    events = "\n".join(str(event) for event in result.all_events)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema = 'payments'"
        ).fetchall()
        dumped = "\n".join(str(con.execute(f"select * from {s}.{t}").fetchall()) for s, t in tables)
    for secret in ("SECRET_S", "SECRET_G", "SECRET_ADYEN"):
        assert secret not in events and secret not in dumped
