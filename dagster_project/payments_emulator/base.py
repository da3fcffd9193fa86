"""What a provider dialect of the emulator implements, and the request/reply it works on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from dagster_project.payments_emulator.state import EmulatorState


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False  # the stored response of an idempotency key

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode() if self.body is not None else b""


class Dialect:
    """One provider's endpoints. `create` is the only call that takes money."""

    name: str

    def __init__(self, state: EmulatorState):
        self.state = state

    def owns(self, path: str) -> bool:
        raise NotImplementedError

    def unauthorized(self, request: Request) -> Reply | None:
        """A 401 in the provider's shape when the credentials are missing or not test ones."""
        raise NotImplementedError

    def is_create(self, request: Request) -> bool:
        raise NotImplementedError

    def invoice_id(self, request: Request) -> str | None:
        raise NotImplementedError

    def fingerprint(self, request: Request) -> str:
        return hashlib.sha256(request.body or b"").hexdigest()

    def handle(self, request: Request, decline: bool = False) -> Reply:
        raise NotImplementedError

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Reply:
        """An error in the provider's shape."""
        raise NotImplementedError

    def fault_reply(self, action: str, args: dict[str, Any]) -> Reply:
        """The reply of a fault that changes nothing."""
        if action == "rate_limit":
            return self.error(
                429,
                "rate_limit",
                "Too many requests",
                {"Retry-After": str(args.get("retry_after", 1))},
            )
        if action == "conflict_in_flight":
            return self.error(409, "conflict", "Another request with this key is in progress")
        if action == "should_retry":
            return self.error(
                503, "api_error", "Service unavailable", {"Stripe-Should-Retry": "true"}
            )
        if action == "no_retry":
            return self.error(500, "api_error", "Internal error", {"Stripe-Should-Retry": "false"})
        return self.error(500, "api_error", "Internal error")

    def stores_server_errors(self) -> bool:
        """Whether a 500 raised after the charge is what the key replays (Stripe)."""
        return False

    def advance(self) -> None:
        """The clock moved: settle payments that were waiting for it."""

    def not_found(self, what: str) -> Reply:
        return self.error(404, "resource_missing", f"No such {what}")
