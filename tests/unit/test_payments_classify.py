"""Classification of provider responses: one pure function per provider, tested on recorded
shapes (reference/payments.md B.1-B.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from dagster_project.lib.payments import adyen, gocardless, stripe
from dagster_project.lib.payments.outcome import (
    Kind,
    State,
    invoice_payment_status,
    json_body,
    retry_after_seconds,
    transport_outcome,
)


def response(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = (
        body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    )
    return httpx.Response(status, content=content, headers=headers or {})


def classify(module, status: int, body: object = None, headers: dict[str, str] | None = None):
    reply = response(status, body, headers)
    return module.classify(reply, json_body(reply))


# --- Stripe ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("succeeded", Kind.SUCCEEDED),
        ("processing", Kind.PROCESSING),
        ("requires_action", Kind.PROCESSING),
        ("requires_capture", Kind.PROCESSING),
        ("requires_payment_method", Kind.DECLINED),
        ("canceled", Kind.DECLINED),
    ],
)
def test_stripe_payment_intent_statuses_map_as_lago_maps_them(status, kind):
    outcome = classify(stripe, 200, {"id": "pi_1", "object": "payment_intent", "status": status})
    assert (outcome.kind, outcome.provider_payment_id, outcome.retry) == (kind, "pi_1", False)


def test_stripe_card_decline_is_final_with_code_decline_code_and_the_intent_id():
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_intent": {"id": "pi_9", "status": "requires_payment_method"},
        }
    }
    outcome = classify(stripe, 402, body)
    assert outcome.kind is Kind.DECLINED and not outcome.retry
    assert (outcome.error_code, outcome.decline_code, outcome.provider_payment_id) == (
        "card_declined",
        "insufficient_funds",
        "pi_9",
    )
    assert invoice_payment_status(outcome.state, outcome.error_code) == "failed"


@pytest.mark.parametrize("code", ["authentication_required", "amount_too_small"])
def test_stripe_failures_lago_keeps_pending_leave_the_invoice_pending(code):
    status = 402 if code == "authentication_required" else 400
    outcome = classify(stripe, status, {"error": {"type": "card_error", "code": code}})
    assert outcome.state is State.FAILED and not outcome.retry
    assert invoice_payment_status(outcome.state, outcome.error_code) == "pending"


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry"),
    [
        (500, {}, Kind.UNKNOWN, True),
        (503, {}, Kind.UNKNOWN, True),
        (500, {"Stripe-Should-Retry": "false"}, Kind.UNKNOWN, False),
        (400, {"Stripe-Should-Retry": "true"}, Kind.RETRYABLE, True),
        (409, {}, Kind.RETRYABLE, True),
        (429, {"Retry-After": "2"}, Kind.RETRYABLE, True),
        (400, {}, Kind.FAILED, False),
        (401, {}, Kind.FAILED, False),
        (404, {}, Kind.FAILED, False),
    ],
)
def test_stripe_retries_follow_the_official_client_and_should_retry_wins(
    status, headers, kind, retry
):
    outcome = classify(stripe, status, {"error": {"type": "api_error", "code": "x"}}, headers)
    assert (outcome.kind, outcome.retry) == (kind, retry)


def test_stripe_idempotency_error_keeps_the_payment_pending_and_stops():
    outcome = classify(
        stripe, 400, {"error": {"type": "idempotency_error", "message": "Keys for ..."}}
    )
    assert (outcome.state, outcome.retry) == (State.PENDING, False)


def test_stripe_replay_and_retry_after_are_read_from_headers():
    outcome = classify(
        stripe, 429, {"error": {"type": "invalid_request_error"}}, {"Retry-After": "7"}
    )
    assert outcome.retry_after_s == 7.0
    replay = classify(
        stripe, 200, {"id": "pi_1", "status": "succeeded"}, {"Idempotent-Replayed": "true"}
    )
    assert replay.replayed


def test_a_2xx_that_is_not_json_is_unknown_and_retried_with_the_same_key():
    outcome = classify(stripe, 200, b'{"id": "pi_')
    assert (outcome.kind, outcome.retry, outcome.error_code) == (
        Kind.UNKNOWN,
        True,
        "malformed_response",
    )


# --- GoCardless ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("pending_submission", Kind.PROCESSING),
        ("submitted", Kind.PROCESSING),
        ("confirmed", Kind.PROCESSING),
        ("paid_out", Kind.SUCCEEDED),  # only paid_out is money in the bank
        ("failed", Kind.DECLINED),
        ("customer_approval_denied", Kind.DECLINED),
        ("charged_back", Kind.DECLINED),
    ],
)
def test_gocardless_statuses_succeed_only_when_paid_out(status, kind):
    outcome = classify(gocardless, 201, {"payments": {"id": "PM1", "status": status}})
    assert (outcome.kind, outcome.provider_payment_id) == (kind, "PM1")


def test_gocardless_reused_key_is_a_conflict_naming_the_first_payment():
    body = {
        "error": {
            "type": "invalid_state",
            "code": 409,
            "errors": [
                {
                    "reason": "idempotent_creation_conflict",
                    "message": "...",
                    "links": {"conflicting_resource_id": "PM123"},
                }
            ],
        }
    }
    outcome = classify(gocardless, 409, body)
    assert (outcome.kind, outcome.conflicting_id) == (Kind.CONFLICT, "PM123")
    assert not outcome.is_final


@pytest.mark.parametrize(
    ("status", "kind_name", "reason", "kind", "retry"),
    [
        (422, "validation_failed", "validation_failed", Kind.FAILED, False),
        (422, "invalid_state", "mandate_is_inactive", Kind.FAILED, False),
        (400, "invalid_api_usage", "missing_version_header", Kind.FAILED, False),
        (429, "invalid_api_usage", "rate_limit_exceeded", Kind.RETRYABLE, True),
        (500, "gocardless", "internal_error", Kind.UNKNOWN, True),
    ],
)
def test_gocardless_errors_record_the_reason(status, kind_name, reason, kind, retry):
    body = {
        "error": {"type": kind_name, "code": status, "errors": [{"reason": reason, "message": "m"}]}
    }
    outcome = classify(gocardless, status, body)
    assert (outcome.kind, outcome.retry, outcome.error_code) == (kind, retry, reason)


def test_gocardless_rate_limit_reset_is_a_wait_in_seconds():
    now = datetime(2024, 5, 1, 16, 0, 0, tzinfo=UTC)
    headers = httpx.Headers({"RateLimit-Reset": "Wed, 01 May 2024 16:00:05 GMT"})
    assert retry_after_seconds(headers, now) == 5.0


# --- Adyen -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("Authorised", Kind.SUCCEEDED),
        ("Received", Kind.PROCESSING),
        ("Pending", Kind.PROCESSING),
        ("Refused", Kind.DECLINED),
        ("Error", Kind.DECLINED),
        ("Cancelled", Kind.DECLINED),
        ("RedirectShopper", Kind.PROCESSING),  # not final, never charged again
    ],
)
def test_adyen_result_codes_map_as_lago_maps_them(code, kind):
    outcome = classify(adyen, 200, {"pspReference": "PSP1", "resultCode": code})
    assert (outcome.kind, outcome.provider_payment_id) == (kind, "PSP1")


def test_adyen_refusal_records_result_code_and_reason():
    body = {
        "pspReference": "P",
        "resultCode": "Refused",
        "refusalReason": "Not enough balance",
        "refusalReasonCode": "51",
    }
    outcome = classify(adyen, 200, body)
    assert (outcome.error_code, outcome.decline_code, outcome.message) == (
        "Refused",
        "51",
        "Not enough balance",
    )


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry"),
    [
        (409, {"Transient-Error": "true"}, Kind.RETRYABLE, True),
        (409, {}, Kind.UNKNOWN, False),
        (422, {}, Kind.FAILED, False),
        (401, {}, Kind.FAILED, False),
        (429, {}, Kind.RETRYABLE, True),
        (500, {}, Kind.UNKNOWN, True),
    ],
)
def test_adyen_errors_retry_only_when_transient(status, headers, kind, retry):
    body = {"status": status, "errorCode": "901", "message": "m", "errorType": "validation"}
    outcome = classify(adyen, status, body, headers)
    assert (outcome.kind, outcome.retry) == (kind, retry)


# --- transport -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (httpx.ConnectError("refused"), Kind.RETRYABLE, "connect_error"),
        (httpx.ConnectTimeout("slow"), Kind.RETRYABLE, "connect_error"),
        (httpx.ReadTimeout("slow"), Kind.UNKNOWN, "timeout"),
        (httpx.RemoteProtocolError("closed"), Kind.UNKNOWN, "connection_reset"),
        (httpx.ReadError("reset by peer"), Kind.UNKNOWN, "connection_reset"),
    ],
)
def test_transport_errors_retry_and_tell_sent_from_maybe_sent(error, kind, code):
    outcome = transport_outcome(error)
    assert (outcome.kind, outcome.retry, outcome.error_code) == (kind, True, code)
    assert outcome.state is State.PENDING
