"""Adyen Checkout: `/payments` with the shopper's stored card (reference/payments.md A.5, B.3).

JSON; `X-API-Key`; `Idempotency-Key` (at most 64 characters, replayed for at least 31
days). The base URL includes the API version (`https://checkout-test.adyen.com/v71`).
Checkout has no endpoint to read a payment back: a `Received`/`Pending` result stays
pending until Adyen's webhooks are wired in (not yet).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from dagster_project.lib.payments.calls import FrozenRequest, Lookup, perform
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.gateway import Gateway
from dagster_project.lib.payments.outcome import (
    Kind,
    Outcome,
    malformed,
    retry_after_seconds,
    truncated,
)

MAX_REFERENCE_LENGTH = 80
# Set on a 409 that is safe to retry (a request with the same key still in progress).
TRANSIENT_ERROR_HEADER = "Transient-Error"

# resultCode -> outcome (Lago: app/models/payment_providers/adyen_provider.rb). Codes not
# listed (RedirectShopper, ...) need the shopper, which an off-session charge cannot
# have; they are treated as not final (pending) and never charged again.
RESULT_CODES = {
    "Authorised": Kind.SUCCEEDED,
    "SentForSettle": Kind.SUCCEEDED,
    "SettleScheduled": Kind.SUCCEEDED,
    "Settled": Kind.SUCCEEDED,
    "Refunded": Kind.SUCCEEDED,
    "AuthorisedPending": Kind.PROCESSING,
    "Received": Kind.PROCESSING,
    "Pending": Kind.PROCESSING,
    "Cancelled": Kind.DECLINED,
    "CaptureFailed": Kind.DECLINED,
    "Error": Kind.DECLINED,
    "Expired": Kind.DECLINED,
    "Refused": Kind.DECLINED,
}


def payment_outcome(result: dict[str, Any], **fields: Any) -> Outcome:
    code = result.get("resultCode")
    kind = RESULT_CODES.get(code, Kind.PROCESSING)
    declined = kind is Kind.DECLINED
    return Outcome(
        kind,
        provider_payment_id=result.get("pspReference"),
        provider_status=code,
        error_code=code if declined else None,
        decline_code=result.get("refusalReasonCode") if declined else None,
        message=truncated(result.get("refusalReason")) if declined else None,
        **fields,
    )


def classify(response: httpx.Response, body: dict | None) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        if body is None or "resultCode" not in body:
            return malformed(response)
        return payment_outcome(body, http_status=status)
    error = body or {}
    details = {
        "http_status": status,
        "error_type": error.get("errorType"),
        "error_code": str(error.get("errorCode") or f"http_{status}"),
        "message": truncated(error.get("message")),
        "provider_payment_id": error.get("pspReference"),
        "retry_after_s": retry_after_seconds(response.headers),
    }
    if status == 409:
        transient = response.headers.get(TRANSIENT_ERROR_HEADER, "").lower() == "true"
        return Outcome(Kind.RETRYABLE if transient else Kind.UNKNOWN, retry=transient, **details)
    if status == 429:
        return Outcome(Kind.RETRYABLE, retry=True, **details)
    if status >= 500:
        return Outcome(Kind.UNKNOWN, retry=True, **details)
    return Outcome(Kind.FAILED, **details)  # 400, 401, 403, 404, 422


def _read_classify(response: httpx.Response, body: dict | None) -> Outcome:
    if response.status_code == 200 and body is not None:
        return Outcome(Kind.SUCCEEDED, http_status=200)
    if response.status_code == 200:
        return malformed(response)
    return classify(response, body)


class AdyenGateway(Gateway):
    provider = "adyen"

    def is_live(self) -> bool:
        host = httpx.URL(self.settings.api_base).host or ""
        return "-live" in host or host.endswith("adyenpayments.com")

    def _headers(self) -> dict[str, str]:
        return {"X-API-Key": self.settings.api_key, "Content-Type": "application/json"}

    def find_payment_method(self, provider_customer_id: str) -> Lookup:
        """The shopper's first stored method (Lago: `payment_methods`, storedPaymentMethods[0])."""
        payload = {
            "merchantAccount": self.settings.merchant_account,
            "shopperReference": provider_customer_id,
        }
        request = self.client.build_request(
            "POST", "/paymentMethods", content=json.dumps(payload), headers=self._headers()
        )
        call = perform(self.client, request, "find_payment_method", _read_classify)
        stored = (call.body or {}).get("storedPaymentMethods") or []
        found = stored[0].get("id") if call.outcome.kind is Kind.SUCCEEDED and stored else None
        return Lookup(found, [call])

    def build_create(self, invoice: Candidate, key: str, payment_method: str) -> FrozenRequest:
        payment = {
            "merchantAccount": self.settings.merchant_account,
            "amount": {"currency": invoice.currency.upper(), "value": invoice.amount_cents},
            # Adyen rejects references over 80 characters; the number is at the end.
            "reference": invoice.reference[-MAX_REFERENCE_LENGTH:],
            "paymentMethod": {"type": "scheme", "storedPaymentMethodId": payment_method},
            "shopperReference": invoice.provider_customer_id,
            "shopperInteraction": "ContAuth",
            "recurringProcessingModel": "UnscheduledCardOnFile",
            "metadata": {"lago_invoice_id": invoice.invoice_id, "lago_payment_key": key},
        }
        body = json.dumps(payment, separators=(",", ":"), sort_keys=True)
        return FrozenRequest("/payments", body, "application/json")

    def create_request(self, frozen: FrozenRequest, key: str) -> httpx.Request:
        headers = {**self._headers(), "Idempotency-Key": key}
        return self.client.build_request("POST", frozen.path, content=frozen.body, headers=headers)

    def classify_create(self, response: httpx.Response, body: dict | None) -> Outcome:
        return classify(response, body)
