"""Stripe's dialect: PaymentIntents (form-encoded), customers and their payment methods.

Payment methods are Stripe's test values: `pm_card_visa` succeeds,
`pm_card_chargeDeclined` / `pm_card_chargeDeclinedInsufficientFunds` are declined (402),
`pm_card_authenticationRequired` needs 3-D Secure (402), `pm_processing` stays processing
until it is read back or the clock moves. Keys replay their first stored response for
24 hours (a 500 raised after the charge included); a different body under a key is a
400 `idempotency_error`; a key in flight is a 409.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from dagster_project.payments_emulator.base import Dialect, Reply, Request
from dagster_project.payments_emulator.state import Charge, Stored

DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_authenticationRequired": (
        "authentication_required",
        "authentication_required",
        "Your card requires authentication.",
    ),
}
PAYMENT_METHODS = {"pm_card_visa", "pm_processing", *DECLINES}
MINIMUM_AMOUNT = 50  # 0.50 in two-decimal currencies, 50 in zero-decimal ones
_SEARCH = re.compile(r"metadata\['([^']+)'\]:'([^']*)'")


class StripeDialect(Dialect):
    name = "stripe"

    def owns(self, path: str) -> bool:
        return path.startswith("/v1/")

    def unauthorized(self, request: Request) -> Reply | None:
        token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        if token.startswith("sk_test_"):
            return None
        return self.error(
            401, "invalid_api_key", "Invalid API Key provided (test keys only: sk_test_...)"
        )

    def is_create(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/v1/payment_intents"

    def _form(self, request: Request) -> dict[str, str]:
        return dict(parse_qsl((request.body or b"").decode(), keep_blank_values=True))

    def invoice_id(self, request: Request) -> str | None:
        return (
            self._form(request).get("metadata[lago_invoice_id]")
            if self.is_create(request)
            else None
        )

    def fingerprint(self, request: Request) -> str:
        pairs = sorted(parse_qsl((request.body or b"").decode(), keep_blank_values=True))
        return hashlib.sha256(repr(pairs).encode()).hexdigest()

    def stores_server_errors(self) -> bool:
        return True

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Reply:
        kind = "api_error" if status >= 500 else "invalid_request_error"
        return Reply(
            status, {"error": {"type": kind, "code": code, "message": message}}, dict(headers or {})
        )

    # --- routing ------------------------------------------------------------------------

    def handle(self, request: Request, decline: bool = False) -> Reply:
        parts = [unquote(part) for part in request.path.strip("/").split("/")]
        if self.is_create(request):
            return self._create_idempotent(request, decline)
        if request.method == "GET" and parts[:3] == ["v1", "payment_intents", "search"]:
            return self._search(request)
        if request.method == "GET" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            return self._retrieve(parts[2])
        if request.method == "GET" and parts[:2] == ["v1", "customers"] and len(parts) in (3, 4):
            if not self.state.customer_exists(self.name, parts[2]):
                return self.not_found(f"customer: '{parts[2]}'")
            method = self.state.payment_method_of(self.name, parts[2])
            if len(parts) == 3:
                return Reply(200, _customer(parts[2], method))
            if parts[3] == "payment_methods":
                data = (
                    [{"id": method, "object": "payment_method", "type": "card"}] if method else []
                )
                return Reply(200, {"object": "list", "data": data, "has_more": False})
        return self.error(
            404, "resource_missing", f"Unrecognized request URL ({request.method} {request.path})"
        )

    # --- create -------------------------------------------------------------------------

    def _create_idempotent(self, request: Request, decline: bool) -> Reply:
        key = request.header("Idempotency-Key")
        if key:
            stored = self.state.stored(self.name, key)
            if stored is not None:
                if stored.fingerprint != self.fingerprint(request):
                    return Reply(
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with.",
                            }
                        },
                    )
                return Reply(
                    stored.status,
                    stored.body,
                    {**stored.headers, "Idempotent-Replayed": "true"},
                    True,
                )
            if not self.state.begin_in_flight(self.name, key):
                return Reply(
                    409,
                    {
                        "error": {
                            "type": "idempotency_error",
                            "code": "idempotency_key_in_use",
                            "message": "There is currently another in-progress request using this key.",
                        }
                    },
                )
        try:
            reply, charge_id = self._create(self._form(request), key, decline)
            if key and charge_id:  # validation errors are not stored (safe to retry)
                self.state.store(
                    self.name,
                    key,
                    Stored(
                        self.fingerprint(request),
                        reply.status,
                        reply.body,
                        {},
                        self.state.now(),
                        charge_id,
                    ),
                )
            return reply
        finally:
            if key:
                self.state.end_in_flight(self.name, key)

    def _create(
        self, form: dict[str, str], key: str | None, decline: bool
    ) -> tuple[Reply, str | None]:
        for name in ("amount", "currency", "customer", "payment_method"):
            if not form.get(name):
                return self._invalid(
                    "parameter_missing", f"Missing required param: {name}.", name
                ), None
        try:
            amount = int(form["amount"])
        except ValueError:
            return self._invalid(
                "parameter_invalid_integer", "Invalid integer: amount", "amount"
            ), None
        if amount < MINIMUM_AMOUNT:
            return self._invalid(
                "amount_too_small", "Amount must be at least 50 cents", "amount"
            ), None
        customer, method = form["customer"], form["payment_method"]
        if not self.state.customer_exists(self.name, customer):
            return self._invalid(
                "resource_missing", f"No such customer: '{customer}'", "customer"
            ), None
        if method not in PAYMENT_METHODS:
            return self._invalid(
                "resource_missing", f"No such PaymentMethod: '{method}'", "payment_method"
            ), None
        metadata = {
            name[9:-1]: value for name, value in form.items() if name.startswith("metadata[")
        }
        intent: dict[str, Any] = {
            "id": self.state.new_id("pi_"),
            "object": "payment_intent",
            "amount": amount,
            "currency": form["currency"],
            "customer": customer,
            "payment_method": method,
            "description": form.get("description"),
            "metadata": metadata,
            "created": int(self.state.now()),
            "latest_charge": None,
            "last_payment_error": None,
        }
        declined = DECLINES.get(method) or (DECLINES["pm_card_chargeDeclined"] if decline else None)
        if declined:
            code, decline_code, message = declined
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
            }
            body = {"error": {**intent["last_payment_error"], "payment_intent": intent}}
            reply = Reply(402, body)
        else:
            intent["status"] = "processing" if method == "pm_processing" else "succeeded"
            intent["latest_charge"] = self.state.new_id("ch_")
            reply = Reply(200, intent)
        with self.state.lock:
            self.state.payments[intent["id"]] = intent
        self.state.record_charge(
            Charge(
                self.name,
                intent["id"],
                metadata.get("lago_invoice_id"),
                key,
                amount,
                form["currency"],
                intent["status"],
                not declined,
                customer,
                self.state.now(),
            )
        )
        return reply, intent["id"]

    def _invalid(self, code: str, message: str, param: str) -> Reply:
        return Reply(
            400,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": code,
                    "message": message,
                    "param": param,
                }
            },
        )

    # --- reads --------------------------------------------------------------------------

    def _retrieve(self, intent_id: str) -> Reply:
        with self.state.lock:
            intent = self.state.payments.get(intent_id)
            if intent is None or intent.get("object") != "payment_intent":
                return self.not_found(f"payment_intent: '{intent_id}'")
            if intent["status"] == "processing":  # settles once read back
                intent["status"] = "succeeded"
                self.state.update_charge(intent_id, "succeeded", True)
            return Reply(200, dict(intent))

    def _search(self, request: Request) -> Reply:
        query = (request.query.get("query") or [""])[0]
        clauses = _SEARCH.findall(query)
        with self.state.lock:
            found = [
                dict(intent)
                for intent in self.state.payments.values()
                if intent.get("object") == "payment_intent"
                and clauses
                and all(intent["metadata"].get(name) == value for name, value in clauses)
            ]
        return Reply(200, {"object": "search_result", "data": found, "has_more": False})

    def advance(self) -> None:
        with self.state.lock:
            for intent in self.state.payments.values():
                if intent.get("object") == "payment_intent" and intent["status"] == "processing":
                    intent["status"] = "succeeded"
                    self.state.update_charge(intent["id"], "succeeded", True)


def _customer(customer_id: str, method: str | None) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "invoice_settings": {"default_payment_method": method},
    }
