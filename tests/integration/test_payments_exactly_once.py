"""Exactly-once across crashes, pruned keys and concurrent runs.

The crash is real: a child process runs the push and dies (`os._exit`) right after a
provider answered a charge and before the answer was recorded. The parent then reruns
the push on the same warehouse and emulator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import duckdb
import pytest

from dagster_project.lib.payments.candidates import read_candidates
from dagster_project.lib.payments.gateway import ProviderSettings, http_client
from dagster_project.lib.payments.ledger import Ledger
from dagster_project.lib.payments.push import PushEngine, PushOptions
from dagster_project.lib.payments.retry import RetryPolicy
from dagster_project.lib.payments.stripe import StripeGateway
from dagster_project.payments_emulator import Emulator
from dagster_project.payments_emulator.harness import (
    FAST_CONFIG,
    MERCHANT_ACCOUNT,
    TEST_KEYS,
    SeedInvoice,
    double_charges,
    emulator_resources,
    materialize_push,
    seed_warehouse,
)
from tests.conftest import PROJECT_ROOT

SEEDS = [
    SeedInvoice("inv_stripe", "cust_stripe", "stripe", "cus_stripe"),
    SeedInvoice("inv_gc", "cust_gc", "gocardless", "CU_gc"),
    SeedInvoice("inv_adyen", "cust_adyen", "adyen", "shopper_adyen"),
]
SETTLED = {"inv_stripe": "succeeded", "inv_gc": "pending", "inv_adyen": "succeeded"}

# Runs the real push, and dies like a killed process the moment a provider has answered
# a charge, before the answer is written to the ledger.
CRASHING_PUSH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from dagster_project.lib.payments.ledger import Ledger
    from dagster_project.payments_emulator.harness import FAST_CONFIG, emulator_resources, materialize_push

    def die(self, attempt, call, *, settle):
        os._exit(137)

    Ledger.finish_attempt = die
    config = {**FAST_CONFIG, "concurrency": 1}  # one invoice in flight when it dies
    materialize_push(emulator_resources(sys.argv[1], Path(sys.argv[2])), config=config)
    sys.exit("the push should have crashed")
    """
)


@pytest.fixture
def emu():
    with Emulator() as running:
        yield running
        assert double_charges(running.charges()) == {}, "an invoice was charged twice"


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SEEDS)
    return path


def query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def charged(emu, invoice_id):
    return [
        charge
        for charge in emu.charges()
        if charge["invoice_id"] == invoice_id and charge["charged"]
    ]


def test_rerunning_after_a_crash_between_request_and_record_charges_nothing_twice(warehouse, emu):
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_PUSH, emu.url, str(warehouse)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert crashed.returncode == 137, crashed.stderr[-3000:]
    in_flight = query(
        warehouse,
        "select invoice_id, idempotency_key from payments.attempts where outcome = 'in_flight'",
    )
    assert len(in_flight) == 1, "the crash left no write-ahead attempt"
    [(crashed_invoice, _)] = in_flight
    assert len(charged(emu, crashed_invoice)) == 1  # the provider did charge

    result = materialize_push(emulator_resources(emu.url, warehouse), config=FAST_CONFIG)
    assert result.success
    for seed in SEEDS:
        assert len(charged(emu, seed.invoice_id)) == 1, seed.invoice_id
        assert query(
            warehouse,
            "select payment_status from billing.invoices where invoice_id = ?",
            [seed.invoice_id],
        ) == [(SETTLED[seed.invoice_id],)]
    recovered = query(
        warehouse,
        "select invoice_id, idempotency_key from payments.attempts "
        "where error_code = 'no_response_recorded'",
    )
    assert sorted(recovered) == sorted(in_flight)
    keys = query(
        warehouse,
        "select count(distinct idempotency_key) from payments.attempts group by invoice_id",
    )
    assert keys == [(1,)] * 3  # every retry of an invoice used its one key


def test_a_write_ahead_attempt_whose_request_never_left_is_sent_once_with_its_key(warehouse, emu):
    settings = ProviderSettings(emu.url, TEST_KEYS["stripe"])
    with duckdb.connect(str(warehouse)) as con, http_client(settings, 1, 1, 1) as client:
        stripe = StripeGateway(settings, client)
        candidate = next(
            c
            for c in read_candidates(con, SEEDS[0].issuing_date.replace(day=2))
            if c.provider == "stripe"
        )
        ledger = Ledger(con, run_id="the-crashed-run")
        ledger.ensure()
        key = "ratebook-inv_stripe-p1"
        # The claim writes the first attempt ahead; the process dies before sending it.
        assert ledger.claim(
            candidate, 1, "pm_card_visa", stripe.build_create(candidate, key, "pm_card_visa"), []
        )
    assert emu.charges() == []

    assert materialize_push(emulator_resources(emu.url, warehouse), config=FAST_CONFIG).success
    assert [charge["idempotency_key"] for charge in charged(emu, "inv_stripe")] == [key]
    rows = query(
        warehouse,
        "select operation, outcome from payments.attempts where invoice_id = 'inv_stripe' "
        "order by attempt",
    )
    assert rows == [("create", "unknown"), ("search", "unknown"), ("create", "succeeded")]


def test_a_stripe_key_pruned_after_24_hours_is_not_resent_blindly(warehouse, emu):
    emu.add_fault("timeout_after_commit", dialect="stripe")
    assert materialize_push(
        emulator_resources(emu.url, warehouse), config={**FAST_CONFIG, "max_attempts": 1}
    ).success
    emu.advance(25 * 3600)  # Stripe forgets the key: resending it would create a second charge
    assert materialize_push(emulator_resources(emu.url, warehouse), config=FAST_CONFIG).success
    assert len([c for c in emu.charges() if c["invoice_id"] == "inv_stripe"]) == 1
    assert query(
        warehouse, "select state from payments.payments where invoice_id = 'inv_stripe'"
    ) == [("succeeded",)]


def test_two_pushes_at_once_on_the_same_invoices_charge_each_invoice_once(tmp_path, emu):
    warehouse = tmp_path / "warehouse.duckdb"
    providers = [("stripe", "cus"), ("gocardless", "CU"), ("adyen", "shopper")]
    seed_warehouse(
        warehouse,
        [
            SeedInvoice(f"inv_{n:03d}", f"cust_{n:03d}", provider, f"{prefix}_{n:03d}")
            for n in range(30)
            for provider, prefix in [providers[n % 3]]
        ],
    )
    emu.add_fault("http_500", times=5)
    emu.add_fault("timeout_after_commit", dialect="adyen", times=2)
    with duckdb.connect(str(warehouse)) as con:
        Ledger(con).ensure()  # as the status view asset does before any push
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def run_push(run_id: str) -> None:
        try:
            with duckdb.connect(str(warehouse)) as con:
                ledger = Ledger(con, run_id)
                ledger.ensure()
                candidates = read_candidates(con, SEEDS[0].issuing_date.replace(day=2))
                gateways = {}
                for name, gateway_cls in [("stripe", StripeGateway)] + _other_gateways():
                    base = f"{emu.url}/v71" if name == "adyen" else emu.url
                    settings = ProviderSettings(
                        base, TEST_KEYS[name], merchant_account=MERCHANT_ACCOUNT
                    )
                    gateways[name] = gateway_cls(
                        settings, http_client(settings, 4, 2, FAST_CONFIG["read_timeout_s"])
                    )
                start.wait(timeout=60)
                policy = RetryPolicy(backoff_base_s=0.001, backoff_cap_s=0.01)
                PushEngine(ledger, gateways, policy, PushOptions(concurrency=4)).run(candidates)
        except Exception as exc:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run_push, args=(f"run-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    invoices = {charge["invoice_id"] for charge in emu.charges() if charge["charged"]}
    assert len(invoices) == 30
    assert query(
        warehouse, "select count(*), count(distinct invoice_id) from payments.payments"
    ) == [(30, 30)]


def _other_gateways():
    from dagster_project.lib.payments.adyen import AdyenGateway
    from dagster_project.lib.payments.gocardless import GoCardlessGateway

    return [("gocardless", GoCardlessGateway), ("adyen", AdyenGateway)]
