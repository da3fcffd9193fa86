"""Stripe: a confirmed, off-session PaymentIntent per payment (reference/payments.md A.3, B.1).

Form-encoded bodies with bracket keys; `Idempotency-Key`; the API version pinned as Lago
does. Stripe replays the stored response of a key for 24 hours (500s included), so a
payment resumed in a later run is first looked up by its `metadata[lago_payment_key]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

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

API_VERSION = "2025-04-30.basil"  # Lago's STRIPE_API_VERSION default

# PaymentIntent status -> outcome (Lago: app/models/payment_providers/stripe_provider.rb).
PAYMENT_INTENT_STATUSES = {
    "succeeded": Kind.SUCCEEDED,
    "processing": Kind.PROCESSING,
    "requires_capture": Kind.PROCESSING,
    "requires_action": Kind.PROCESSING,
    "requires_confirmation": Kind.PROCESSING,
    "canceled": Kind.DECLINED,
    "requires_payment_method": Kind.DECLINED,
}


def form_encode(params: Mapping[str, Any]) -> str:
    """Stripe's form encoding: nested objects as `a[b]=`, lists as `a[0]=`, booleans as
    `true`/`false`, None left out."""
    pairs: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{name}[{key}]" if name else str(key), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{name}[{index}]", item)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))

    walk("", params)
    return urlencode(pairs)


def payment_intent_outcome(intent: Mapping[str, Any], **fields: Any) -> Outcome:
    """The outcome a PaymentIntent object stands for. An unknown status is treated as
    not final (processing): it is never charged again, only polled."""
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    kind = PAYMENT_INTENT_STATUSES.get(status, Kind.PROCESSING)
    declined = kind is Kind.DECLINED
    return Outcome(
        kind,
        provider_payment_id=intent.get("id"),
        provider_status=status,
        error_type=error.get("type") if declined else None,
        error_code=(error.get("code") or status) if declined else None,
        decline_code=error.get("decline_code") if declined else None,
        message=truncated(error.get("message")) if declined else None,
        **fields,
    )


def classify(response: httpx.Response, body: dict | None) -> Outcome:
    """Stripe's answer to a create (reference/payments.md B.1, B.4, and the official
    client's retry rules: `Stripe-Should-Retry` first, then 409, 429 and >= 500)."""
    status = response.status_code
    common = {
        "http_status": status,
        "replayed": response.headers.get("Idempotent-Replayed") == "true",
        "request_id": response.headers.get("Request-Id"),
    }
    if 200 <= status < 300:
        if body is None or "status" not in body:
            return malformed(response, replayed=common["replayed"], request_id=common["request_id"])
        return payment_intent_outcome(body, **common)
    error = (body or {}).get("error") or {}
    intent = error.get("payment_intent") or {}
    details = {
        **common,
        "error_type": error.get("type"),
        "error_code": error.get("code") or error.get("type") or f"http_{status}",
        "decline_code": error.get("decline_code"),
        "message": truncated(error.get("message")),
        "provider_payment_id": intent.get("id"),
        "provider_status": intent.get("status"),
        "retry_after_s": retry_after_seconds(response.headers),
    }
    if status == 402:  # a decline on confirm=true: card_error with a decline_code
        outcome = Outcome(Kind.DECLINED, **details)
    elif status in (409, 429):  # key in flight, rate limited: nothing was stored
        outcome = Outcome(Kind.RETRYABLE, retry=True, **details)
    elif status >= 500:  # may have executed; Stripe stores and replays it under the key
        outcome = Outcome(Kind.UNKNOWN, retry=True, **details)
    elif error.get("type") == "idempotency_error":
        # Parameters differ from the key's first request: a bug on our side, since the
        # body is frozen. Keep the payment pending (as Lago does) and stop.
        outcome = Outcome(Kind.UNKNOWN, retry=False, **details)
    else:  # 400, 401, 403, 404: invalid request or credentials
        outcome = Outcome(Kind.FAILED, **details)
    should_retry = response.headers.get("Stripe-Should-Retry")
    if should_retry == "true":
        kind = outcome.kind if outcome.kind in (Kind.RETRYABLE, Kind.UNKNOWN) else Kind.RETRYABLE
        return Outcome(kind, retry=True, **details)
    if should_retry == "false" and outcome.retry:
        return outcome.with_retry(False)
    return outcome


def _lookup_classify(response: httpx.Response, body: dict | None) -> Outcome:
    if response.status_code == 200 and body is not None:
        return Outcome(
            Kind.SUCCEEDED, http_status=200, request_id=response.headers.get("Request-Id")
        )
    if response.status_code == 200:
        return malformed(response)
    return classify(response, body)


class StripeGateway(Gateway):
    provider = "stripe"
    fetch_supported = True
    search_supported = True

    def is_live(self) -> bool:
        return self.settings.api_key.startswith(("sk_live_", "rk_live_"))

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.settings.api_key}",
            "Stripe-Version": self.settings.api_version or API_VERSION,
        }

    def _get(self, path: str, operation: str, params: Mapping[str, str] | None = None) -> Call:
        request = self.client.build_request("GET", path, params=params, headers=self._headers())
        return perform(self.client, request, operation, _lookup_classify)

    def find_payment_method(self, provider_customer_id: str) -> Lookup:
        """The customer's default payment method, else its first card (Lago:
        Customer.retrieve, then Customer.list_payment_methods)."""
        customer_path = f"/v1/customers/{quote(provider_customer_id, safe='')}"
        customer = self._get(customer_path, "find_payment_method")
        if customer.outcome.kind is not Kind.SUCCEEDED:
            return Lookup(None, [customer])
        default = ((customer.body or {}).get("invoice_settings") or {}).get(
            "default_payment_method"
        )
        if isinstance(default, Mapping):
            default = default.get("id")
        if default:
            return Lookup(default, [customer])
        methods = self._get(
            f"{customer_path}/payment_methods",
            "find_payment_method",
            {"type": "card", "limit": "1"},
        )
        data = (methods.body or {}).get("data") or []
        found = data[0].get("id") if methods.outcome.kind is Kind.SUCCEEDED and data else None
        return Lookup(found, [customer, methods])

    def build_create(self, invoice: Candidate, key: str, payment_method: str) -> FrozenRequest:
        body = form_encode(
            {
                "amount": invoice.amount_cents,
                "currency": invoice.currency.lower(),
                "customer": invoice.provider_customer_id,
                "payment_method": payment_method,
                "payment_method_types": ["card"],
                "confirm": True,
                "off_session": True,
                "error_on_requires_action": True,
                "description": invoice.reference,
                "metadata": {
                    "lago_invoice_id": invoice.invoice_id,
                    "lago_customer_id": invoice.external_customer_id,
                    "invoice_issuing_date": invoice.issuing_date.isoformat(),
                    "invoice_type": invoice.invoice_type,
                    "lago_payment_key": key,
                },
            }
        )
        return FrozenRequest("/v1/payment_intents", body, "application/x-www-form-urlencoded")

    def create_request(self, frozen: FrozenRequest, key: str) -> httpx.Request:
        headers = {**self._headers(), "Idempotency-Key": key, "Content-Type": frozen.content_type}
        return self.client.build_request("POST", frozen.path, content=frozen.body, headers=headers)

    def classify_create(self, response: httpx.Response, body: dict | None) -> Outcome:
        return classify(response, body)

    def fetch(self, provider_payment_id: str) -> Call:
        call = self._get(f"/v1/payment_intents/{quote(provider_payment_id, safe='')}", "fetch")
        if call.outcome.kind is Kind.SUCCEEDED and call.body is not None:
            return call.with_outcome(payment_intent_outcome(call.body, http_status=200))
        return call

    def search(self, key: str) -> Call:
        """`GET /v1/payment_intents/search` by our key in the metadata. Found: the outcome
        of that PaymentIntent; not found: a `retryable` outcome with error_code
        `not_found`, which tells the engine to send the key again."""
        query = f"metadata['lago_payment_key']:'{key}'"
        call = self._get("/v1/payment_intents/search", "search", {"query": query})
        if call.outcome.kind is not Kind.SUCCEEDED:
            return call
        data = (call.body or {}).get("data") or []
        if not data:
            return call.with_outcome(Outcome(Kind.UNKNOWN, http_status=200, error_code="not_found"))
        return call.with_outcome(payment_intent_outcome(data[0], http_status=200))
