"""What one provider call came to, and what that means for the payment and the invoice.

One table for the three providers (reference/payments.md B.4):

| kind       | meaning                                            | same key again? | payment    |
|------------|----------------------------------------------------|-----------------|------------|
| succeeded  | money taken (Stripe succeeded, Adyen Authorised,   | no              | succeeded  |
|            | GoCardless paid_out)                               |                 |            |
| processing | accepted, money not final (GoCardless submitted)   | no, poll        | processing |
| declined   | the provider refused the charge                    | no (terminal)   | failed     |
| failed     | invalid request, bad key, unknown customer         | no (terminal)   | failed     |
| retryable  | nothing happened: connect error, 429, 409 in flight| yes             | pending    |
| unknown    | may have charged: timeout after send, reset, 5xx   | yes             | pending    |
| conflict   | GoCardless: the key was used; fetch the original   | fetch           | (fetched)  |
"""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

import httpx


class Kind(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    DECLINED = "declined"
    FAILED = "failed"
    RETRYABLE = "retryable"
    UNKNOWN = "unknown"
    CONFLICT = "conflict"


class State(StrEnum):
    """A payment's state in `payments.payments` (one row per idempotency key)."""

    PENDING = "pending"  # claimed; no definite answer yet: the same key is sent again
    PROCESSING = "processing"  # the provider accepted it; its status is polled, never recharged
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # terminal for this key: a new charge needs a new payment number


_STATE_OF_KIND = {
    Kind.SUCCEEDED: State.SUCCEEDED,
    Kind.PROCESSING: State.PROCESSING,
    Kind.DECLINED: State.FAILED,
    Kind.FAILED: State.FAILED,
    Kind.RETRYABLE: State.PENDING,
    Kind.UNKNOWN: State.PENDING,
    Kind.CONFLICT: State.PENDING,
}

# Failures that leave the invoice pending, as Lago does: Stripe's amount_too_small
# (Lago keeps the payment pending and sends no webhook) and 3-D Secure, which a batch
# job cannot complete (Lago: payment.requires_action; reference/payments.md C.8).
KEEPS_INVOICE_PENDING = frozenset({"amount_too_small", "authentication_required"})


@dataclass(frozen=True)
class Outcome:
    """A classified provider response (or transport error). Pure data, no secrets."""

    kind: Kind
    retry: bool = False
    http_status: int | None = None
    provider_payment_id: str | None = None
    provider_status: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    retry_after_s: float | None = None
    replayed: bool = False
    request_id: str | None = None
    conflicting_id: str | None = None

    @property
    def state(self) -> State:
        return _STATE_OF_KIND[self.kind]

    @property
    def is_final(self) -> bool:
        """Whether this settles the payment (no resend of this key in this run)."""
        return not self.retry and self.kind is not Kind.CONFLICT

    def with_retry(self, retry: bool) -> Outcome:
        return replace(self, retry=retry)


def invoice_payment_status(state: State, error_code: str | None) -> str:
    """`billing.invoices.payment_status` for an invoice whose latest payment is in `state`
    (Lago: processing is stored as pending; invoices have no processing state)."""
    if state is State.SUCCEEDED:
        return "succeeded"
    if state is State.FAILED and error_code not in KEEPS_INVOICE_PENDING:
        return "failed"
    return "pending"


def transport_outcome(exc: httpx.HTTPError) -> Outcome:
    """A request that got no HTTP response. A connect error means it never left: retry.
    Anything after the request may have been sent (timeout, reset) is unknown: the same
    key is sent again and the provider's replay tells what happened."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Outcome(
            Kind.RETRYABLE, retry=True, error_type="transport", error_code="connect_error"
        )
    if isinstance(exc, httpx.TimeoutException):
        return Outcome(Kind.UNKNOWN, retry=True, error_type="transport", error_code="timeout")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return Outcome(
            Kind.UNKNOWN, retry=True, error_type="transport", error_code="connection_reset"
        )
    return Outcome(Kind.UNKNOWN, retry=True, error_type="transport", error_code=type(exc).__name__)


def json_body(response: httpx.Response) -> dict | None:
    """The response's JSON object, or None when it is not one (a malformed body)."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def malformed(response: httpx.Response, **fields) -> Outcome:
    """A 2xx whose body cannot be read: the provider may have charged, so ask again with
    the same key (the replay carries the stored, readable response)."""
    return Outcome(
        Kind.UNKNOWN,
        retry=True,
        http_status=response.status_code,
        error_type="malformed_response",
        error_code="malformed_response",
        **fields,
    )


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or GoCardless'
    `RateLimit-Reset` (an HTTP date); None when neither is given."""
    for name in ("Retry-After", "RateLimit-Reset"):
        value = headers.get(name)
        if value is None:
            continue
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return None


def truncated(text: str | None, limit: int = 300) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"
