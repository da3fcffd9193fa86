"""One HTTP call to a provider, timed and classified; the frozen body of a charge."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx

from dagster_project.lib.payments.outcome import Outcome, json_body, transport_outcome


def utcnow() -> datetime:
    """Naive UTC, as the warehouse stores timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Call:
    """One request and what it came to, ready for a `payments.attempts` row."""

    operation: str  # create | fetch | search | find_payment_method
    requested_at: datetime
    finished_at: datetime
    outcome: Outcome
    body: dict | None = field(default=None, repr=False)

    def with_outcome(self, outcome: Outcome) -> Call:
        return replace(self, outcome=outcome)


def perform(
    client: httpx.Client,
    request: httpx.Request,
    operation: str,
    classify: Callable[[httpx.Response, dict | None], Outcome],
) -> Call:
    """Sends one request (no retry here: retries are the engine's, so that each one is
    recorded) and classifies the response or the transport error."""
    requested_at = utcnow()
    try:
        response = client.send(request)
    except httpx.HTTPError as exc:
        return Call(operation, requested_at, utcnow(), transport_outcome(exc))
    body = json_body(response)
    return Call(operation, requested_at, utcnow(), classify(response, body), body)


@dataclass(frozen=True)
class FrozenRequest:
    """The create request of one payment, built once when the payment is claimed and
    stored in the ledger: every resend of its key sends exactly these bytes, so a
    provider never sees changed parameters under a key (Stripe would refuse them,
    others might replay the old amount silently)."""

    path: str
    body: str
    content_type: str

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"POST {self.path}\n{self.body}".encode()).hexdigest()


@dataclass(frozen=True)
class Lookup:
    """The payment method (card, mandate, stored method) found for a customer."""

    payment_method: str | None
    calls: list[Call]

    @property
    def outcome(self) -> Outcome:
        return self.calls[-1].outcome
