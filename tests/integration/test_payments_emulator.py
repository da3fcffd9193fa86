"""The emulator speaks the providers' idempotency rules over real HTTP, is driven through
its control plane, and the demo runs the whole loop on it."""

from __future__ import annotations

import httpx
import pytest

from dagster_project.payments_emulator import Emulator
from dagster_project.payments_emulator.demo import push_demo
from dagster_project.payments_emulator.harness import SeedInvoice, seed_warehouse

STRIPE = {"Authorization": "Bearer sk_test_x"}
GOCARDLESS = {"Authorization": "Bearer sandbox_x", "GoCardless-Version": "2015-07-06"}
PAYMENT_INTENT = {
    "amount": "5000",
    "currency": "usd",
    "customer": "cus_1",
    "payment_method": "pm_card_visa",
    "metadata[lago_invoice_id]": "inv_1",
}


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def http(emulator):
    emulator.reset()
    with httpx.Client(base_url=emulator.url, timeout=5) as client:
        yield client


def test_stripe_replays_a_key_and_refuses_it_with_other_parameters(http):
    key = {**STRIPE, "Idempotency-Key": "k1"}
    first = http.post("/v1/payment_intents", data=PAYMENT_INTENT, headers=key)
    again = http.post("/v1/payment_intents", data=PAYMENT_INTENT, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = http.post(
        "/v1/payment_intents", data={**PAYMENT_INTENT, "amount": "6000"}, headers=key
    )
    assert changed.status_code == 400 and changed.json()["error"]["type"] == "idempotency_error"
    assert (
        http.post(
            "/v1/payment_intents",
            data=PAYMENT_INTENT,
            headers=key | {"Authorization": "Bearer sk_live_x"},
        ).status_code
        == 401
    )


def test_gocardless_names_the_first_payment_of_a_reused_key(http):
    body = {"payments": {"amount": 100, "currency": "EUR", "links": {"mandate": "MD_OK"}}}
    headers = {**GOCARDLESS, "Idempotency-Key": "k2"}
    first = http.post("/payments", json=body, headers=headers)
    again = http.post("/payments", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 409
    error = again.json()["error"]["errors"][0]
    assert error["reason"] == "idempotent_creation_conflict"
    assert error["links"]["conflicting_resource_id"] == first.json()["payments"]["id"]


def test_adyen_refuses_keys_longer_than_64_characters(http):
    body = {
        "merchantAccount": "M",
        "reference": "r",
        "amount": {"currency": "EUR", "value": 100},
        "paymentMethod": {"type": "scheme", "storedPaymentMethodId": "spm_ok"},
    }
    headers = {"X-API-Key": "k", "Idempotency-Key": "x" * 65}
    assert http.post("/v71/payments", json=body, headers=headers).status_code == 400
    ok = http.post("/v71/payments", json=body, headers={**headers, "Idempotency-Key": "k3"})
    assert ok.json()["resultCode"] == "Authorised" and ok.headers["Idempotency-Key"] == "k3"


def test_the_control_plane_injects_faults_and_reports_charges(http):
    rule = {"dialect": "stripe", "action": "http_500", "match": {"invoice_id": "inv_1"}}
    assert http.post("/_emulator/faults", json=rule).status_code == 201
    headers = {**STRIPE, "Idempotency-Key": "k4"}
    assert http.post("/v1/payment_intents", data=PAYMENT_INTENT, headers=headers).status_code == 500
    assert http.post("/v1/payment_intents", data=PAYMENT_INTENT, headers=headers).status_code == 200
    charges = http.get("/_emulator/charges").json()["charges"]
    assert [(c["invoice_id"], c["charged"]) for c in charges] == [("inv_1", True)]
    log = http.get("/_emulator/requests").json()["requests"]
    assert [(entry["fault"], entry["status"]) for entry in log] == [("http_500", 500), (None, 200)]
    assert http.post("/_emulator/faults", json={"action": "explode"}).status_code == 400


def test_the_demo_pushes_a_billed_warehouse_and_prints_every_invoice(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    seed_warehouse(
        warehouse,
        [
            SeedInvoice("inv_s", "cust_globex", "stripe", "cus_globex", currency="USD"),
            SeedInvoice("inv_g", "cust_soylent", "gocardless", "CU_soylent"),
            SeedInvoice("inv_a", "cust_umbrella", "adyen", "umbrella"),
            SeedInvoice("inv_none", "cust_wire", None, None),
        ],
    )
    report = push_demo(warehouse)
    assert report.count("succeeded  succeeded") == 3  # GoCardless paid out before the rerun
    assert "0 invoice(s) charged twice" in report and "rerun three days later: 0 create" in report
