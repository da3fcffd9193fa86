"""Request building per provider, checked on single calls mocked with respx."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from dagster_project.lib.payments.adyen import AdyenGateway
from dagster_project.lib.payments.calls import perform
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.gateway import ProviderSettings, http_client
from dagster_project.lib.payments.gocardless import GoCardlessGateway
from dagster_project.lib.payments.outcome import Kind
from dagster_project.lib.payments.stripe import StripeGateway, form_encode

BASE = "https://provider.test"
KEY = "ratebook-inv_1-p1"
SECRET = "sk_test_SECRET_never_in_a_body"


def invoice(provider: str, **overrides) -> Candidate:
    fields = {
        "invoice_id": "inv_1",
        "number": "RB-001-007",
        "external_customer_id": "acme",
        "invoice_type": "subscription",
        "issuing_date": date(2024, 3, 1),
        "currency": "EUR",
        "amount_cents": 12345,
        "provider": provider,
        "provider_customer_id": "cus_1",
        "organization_name": "Ratebook Demo",
    }
    return Candidate(**{**fields, **overrides})


def gateway(cls, secret: str = SECRET, base: str = BASE, **settings):
    config = ProviderSettings(base, secret, **settings)
    return cls(config, http_client(config, concurrency=2, connect_s=1, read_s=1))


def test_form_encoding_uses_bracket_keys_for_objects_and_lists():
    encoded = form_encode({"a": 1, "m": {"k": "v w"}, "l": ["x", "y"], "t": True, "n": None})
    assert parse_qsl(encoded) == [
        ("a", "1"),
        ("m[k]", "v w"),
        ("l[0]", "x"),
        ("l[1]", "y"),
        ("t", "true"),
    ]


@respx.mock
def test_stripe_confirms_an_off_session_payment_intent_with_the_idempotency_key():
    route = respx.post(f"{BASE}/v1/payment_intents").respond(
        200, json={"id": "pi_1", "status": "succeeded"}
    )
    stripe = gateway(StripeGateway)
    frozen = stripe.build_create(invoice("stripe"), KEY, "pm_card_visa")
    call = perform(
        stripe.client, stripe.create_request(frozen, KEY), "create", stripe.classify_create
    )
    assert call.outcome.kind is Kind.SUCCEEDED
    sent = route.calls.last.request
    assert sent.headers["Idempotency-Key"] == KEY
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Stripe-Version"] == "2025-04-30.basil"
    form = dict(parse_qsl(sent.content.decode()))
    assert form["amount"] == "12345" and form["currency"] == "eur"
    assert (form["confirm"], form["off_session"], form["error_on_requires_action"]) == (
        "true",
        "true",
        "true",
    )
    assert form["payment_method"] == "pm_card_visa" and form["customer"] == "cus_1"
    assert form["description"] == "Ratebook Demo - Invoice RB-001-007"
    assert (
        form["metadata[lago_invoice_id]"] == "inv_1" and form["metadata[lago_payment_key]"] == KEY
    )
    assert SECRET not in sent.content.decode()


@respx.mock
def test_stripe_finds_the_default_payment_method_then_the_first_card():
    respx.get(f"{BASE}/v1/customers/cus_1").respond(
        200, json={"id": "cus_1", "invoice_settings": {}}
    )
    respx.get(f"{BASE}/v1/customers/cus_1/payment_methods").respond(
        200, json={"data": [{"id": "pm_9"}]}
    )
    lookup = gateway(StripeGateway).find_payment_method("cus_1")
    assert lookup.payment_method == "pm_9"
    assert [call.operation for call in lookup.calls] == [
        "find_payment_method",
        "find_payment_method",
    ]


@respx.mock
def test_stripe_searches_payment_intents_by_the_key_in_their_metadata():
    route = respx.get(f"{BASE}/v1/payment_intents/search").respond(
        200, json={"data": [{"id": "pi_7", "status": "succeeded"}]}
    )
    call = gateway(StripeGateway).search(KEY)
    assert call.outcome.kind is Kind.SUCCEEDED and call.outcome.provider_payment_id == "pi_7"
    assert route.calls.last.request.url.params["query"] == f"metadata['lago_payment_key']:'{KEY}'"


@respx.mock
def test_gocardless_wraps_the_payment_and_turns_off_its_own_retries():
    route = respx.post(f"{BASE}/payments").respond(
        201, json={"payments": {"id": "PM1", "status": "pending_submission"}}
    )
    gc = gateway(GoCardlessGateway, secret="sandbox_token")
    frozen = gc.build_create(invoice("gocardless"), KEY, "MD123")
    call = perform(gc.client, gc.create_request(frozen, KEY), "create", gc.classify_create)
    assert call.outcome.kind is Kind.PROCESSING
    sent = route.calls.last.request
    assert (
        sent.headers["Idempotency-Key"] == KEY
        and sent.headers["GoCardless-Version"] == "2015-07-06"
    )
    payment = json.loads(sent.content)["payments"]
    assert payment["amount"] == 12345 and payment["currency"] == "EUR"
    assert payment["retry_if_possible"] is False and payment["links"] == {"mandate": "MD123"}
    assert len(payment["metadata"]) <= 3 and payment["metadata"]["lago_payment_key"] == KEY


@respx.mock
def test_gocardless_finds_a_usable_mandate_of_the_customer():
    route = respx.get(f"{BASE}/mandates").respond(
        200, json={"mandates": [{"id": "MD7", "status": "active"}]}
    )
    lookup = gateway(GoCardlessGateway, secret="sandbox_token").find_payment_method("CU1")
    assert lookup.payment_method == "MD7"
    assert route.calls.last.request.url.params["customer"] == "CU1"


@respx.mock
def test_adyen_charges_the_stored_card_with_a_reference_of_at_most_80_characters():
    route = respx.post(f"{BASE}/v71/payments").respond(
        200, json={"pspReference": "P1", "resultCode": "Authorised"}
    )
    ady = gateway(AdyenGateway, secret="ak", base=f"{BASE}/v71", merchant_account="AcmeECOM")
    frozen = ady.build_create(invoice("adyen", organization_name="A" * 120), KEY, "spm_ok")
    call = perform(ady.client, ady.create_request(frozen, KEY), "create", ady.classify_create)
    assert call.outcome.kind is Kind.SUCCEEDED
    sent = route.calls.last.request
    assert sent.headers["idempotency-key"] == KEY and sent.headers["x-api-key"] == "ak"
    body = json.loads(sent.content)
    assert body["amount"] == {"currency": "EUR", "value": 12345}
    assert len(body["reference"]) == 80 and body["reference"].endswith("Invoice RB-001-007")
    assert body["paymentMethod"] == {"type": "scheme", "storedPaymentMethodId": "spm_ok"}
    assert (body["shopperInteraction"], body["recurringProcessingModel"]) == (
        "ContAuth",
        "UnscheduledCardOnFile",
    )
    assert body["merchantAccount"] == "AcmeECOM"


@respx.mock
def test_a_timeout_is_recorded_as_unknown_not_as_an_exception():
    respx.post(f"{BASE}/v1/payment_intents").mock(side_effect=httpx.ReadTimeout("slow"))
    stripe = gateway(StripeGateway)
    frozen = stripe.build_create(invoice("stripe"), KEY, "pm_card_visa")
    call = perform(
        stripe.client, stripe.create_request(frozen, KEY), "create", stripe.classify_create
    )
    assert (call.outcome.kind, call.outcome.retry, call.outcome.error_code) == (
        Kind.UNKNOWN,
        True,
        "timeout",
    )


def test_the_frozen_body_is_the_same_bytes_for_the_same_payment():
    stripe = gateway(StripeGateway)
    first = stripe.build_create(invoice("stripe"), KEY, "pm_card_visa")
    again = stripe.build_create(invoice("stripe"), KEY, "pm_card_visa")
    assert first == again and first.fingerprint == again.fingerprint
    assert (
        stripe.build_create(invoice("stripe", amount_cents=1), KEY, "pm_card_visa").fingerprint
        != first.fingerprint
    )


@pytest.mark.parametrize(
    ("cls", "secret", "base", "live"),
    [
        (StripeGateway, "sk_test_1", "https://api.stripe.com", False),
        (StripeGateway, "sk_live_1", "https://api.stripe.com", True),
        (StripeGateway, "rk_live_1", "https://api.stripe.com", True),
        (GoCardlessGateway, "sandbox_1", "https://api-sandbox.gocardless.com", False),
        (GoCardlessGateway, "live_1", "https://api-sandbox.gocardless.com", True),
        (GoCardlessGateway, "sandbox_1", "https://api.gocardless.com", True),
        (AdyenGateway, "k", "https://checkout-test.adyen.com/v71", False),
        (AdyenGateway, "k", "https://abc-checkout-live.adyenpayments.com/checkout/v71", True),
    ],
)
def test_live_credentials_are_recognised(cls, secret, base, live):
    assert gateway(cls, secret=secret, base=base).is_live() is live


def test_provider_settings_never_print_the_key():
    settings = ProviderSettings(BASE, SECRET)
    assert SECRET not in repr(settings) and SECRET not in str(settings)
