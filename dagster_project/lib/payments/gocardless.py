"""GoCardless: a payment against the customer's mandate (reference/payments.md A.4, B.2).

JSON wrapped in the resource name; `Idempotency-Key`; `GoCardless-Version`. A reused key
is not replayed: GoCardless answers 409 `idempotent_creation_conflict` with the id of
the payment created first, which is then fetched (as the official clients do).
Only `paid_out` is money in the bank; until then the invoice stays pending.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from dagster_project.lib.payments.calls import Call, FrozenRequest, Lookup, perform
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.gateway import Gateway
from dagster_project.lib.payments.outcome import (
    Kind,
    Outcome,
    malformed,
    retry_after_seconds,
    truncated,
)

API_VERSION = "2015-07-06"
LIVE_API_HOST = "api.gocardless.com"

# Payment status -> outcome (Lago: app/models/payment_providers/gocardless_provider.rb).
PAYMENT_STATUSES = {
    "pending_customer_approval": Kind.PROCESSING,
    "pending_submission": Kind.PROCESSING,
    "submitted": Kind.PROCESSING,
    "confirmed": Kind.PROCESSING,
    "paid_out": Kind.SUCCEEDED,
    "cancelled": Kind.DECLINED,
    "customer_approval_denied": Kind.DECLINED,
    "failed": Kind.DECLINED,
    "charged_back": Kind.DECLINED,
}
# Mandates a payment can be taken against (Lago's mandates.list filter).
USABLE_MANDATE_STATUSES = "pending_customer_approval,pending_submission,submitted,active"


def payment_outcome(payment: dict[str, Any], **fields: Any) -> Outcome:
    status = payment.get("status")
    kind = PAYMENT_STATUSES.get(status, Kind.PROCESSING)
    return Outcome(
        kind,
        provider_payment_id=payment.get("id"),
        provider_status=status,
        error_code=status if kind is Kind.DECLINED else None,
        **fields,
    )


def classify(response: httpx.Response, body: dict | None) -> Outcome:
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    if 200 <= status < 300:
        payment = (body or {}).get("payments")
        if not isinstance(payment, dict) or "status" not in payment:
            return malformed(response, request_id=request_id)
        return payment_outcome(payment, http_status=status, request_id=request_id)
    error = (body or {}).get("error") or {}
    first = (error.get("errors") or [{}])[0]
    details = {
        "http_status": status,
        "error_type": error.get("type"),
        "error_code": first.get("reason") or error.get("type") or f"http_{status}",
        "message": truncated(first.get("message") or error.get("message")),
        "request_id": error.get("request_id") or request_id,
        "retry_after_s": retry_after_seconds(response.headers),
    }
    if first.get("reason") == "idempotent_creation_conflict":
        conflicting = (first.get("links") or {}).get("conflicting_resource_id")
        if conflicting:
            return Outcome(Kind.CONFLICT, conflicting_id=conflicting, **details)
        return Outcome(Kind.RETRYABLE, retry=True, **details)  # the first is still in flight
    if status == 429:
        return Outcome(Kind.RETRYABLE, retry=True, **details)
    if status >= 500:
        return Outcome(Kind.UNKNOWN, retry=True, **details)
    # validation_failed, invalid_api_usage, invalid_state, 401/403: the payment fails.
    return Outcome(Kind.FAILED, **details)


def _read_classify(response: httpx.Response, body: dict | None) -> Outcome:
    if response.status_code == 200 and body is not None:
        return Outcome(Kind.SUCCEEDED, http_status=200)
    if response.status_code == 200:
        return malformed(response)
    return classify(response, body)


class GoCardlessGateway(Gateway):
    provider = "gocardless"
    fetch_supported = True

    def is_live(self) -> bool:
        host = httpx.URL(self.settings.api_base).host
        return self.settings.api_key.startswith("live_") or host == LIVE_API_HOST

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.settings.api_key}",
            "GoCardless-Version": self.settings.api_version or API_VERSION,
            "Accept": "application/json",
        }

    def _get(self, path: str, operation: str, params: dict[str, str] | None = None) -> Call:
        request = self.client.build_request("GET", path, params=params, headers=self._headers())
        return perform(self.client, request, operation, _read_classify)

    def find_payment_method(self, provider_customer_id: str) -> Lookup:
        call = self._get(
            "/mandates",
            "find_payment_method",
            {"customer": provider_customer_id, "status": USABLE_MANDATE_STATUSES},
        )
        mandates = (call.body or {}).get("mandates") or []
        found = mandates[0].get("id") if call.outcome.kind is Kind.SUCCEEDED and mandates else None
        return Lookup(found, [call])

    def build_create(self, invoice: Candidate, key: str, payment_method: str) -> FrozenRequest:
        payment = {
            "amount": invoice.amount_cents,
            "currency": invoice.currency.upper(),
            "description": invoice.reference,
            # GoCardless' own retries would take money outside our ledger.
            "retry_if_possible": False,
            # At most 3 keys: our key takes the slot of Lago's invoice_issuing_date, so a
            # payment can be matched to its ledger row without the key store.
            "metadata": {
                "lago_invoice_id": invoice.invoice_id,
                "lago_customer_id": invoice.external_customer_id,
                "lago_payment_key": key,
            },
            "links": {"mandate": payment_method},
        }
        body = json.dumps({"payments": payment}, separators=(",", ":"), sort_keys=True)
        return FrozenRequest("/payments", body, "application/json")

    def create_request(self, frozen: FrozenRequest, key: str) -> httpx.Request:
        headers = {**self._headers(), "Idempotency-Key": key, "Content-Type": frozen.content_type}
        return self.client.build_request("POST", frozen.path, content=frozen.body, headers=headers)

    def classify_create(self, response: httpx.Response, body: dict | None) -> Outcome:
        return classify(response, body)

    def fetch(self, provider_payment_id: str) -> Call:
        call = self._get(f"/payments/{quote(provider_payment_id, safe='')}", "fetch")
        payment = (call.body or {}).get("payments")
        if call.outcome.kind is Kind.SUCCEEDED and isinstance(payment, dict):
            return call.with_outcome(payment_outcome(payment, http_status=200))
        return call
