"""Adyen Checkout's dialect: `/v71/payments` and `/v71/paymentMethods` (JSON, `X-API-Key`).

Stored methods: `spm_ok` is Authorised, `spm_refused` Refused (with a refusal reason),
`spm_pending` Received. Keys longer than 64 characters are refused; a reused key replays
the first response (31 days) and echoes the `Idempotency-Key` header. A missing
merchantAccount or a reference over 80 characters is a 422.
"""

from __future__ import annotations

from typing import Any

from dagster_project.payments_emulator.base import Dialect, Reply, Request
from dagster_project.payments_emulator.state import Charge, Stored

STORED_METHODS = {"spm_ok": "Authorised", "spm_refused": "Refused", "spm_pending": "Received"}
MAX_KEY_LENGTH = 64
MAX_REFERENCE_LENGTH = 80


class AdyenDialect(Dialect):
    name = "adyen"

    def owns(self, path: str) -> bool:
        return path.startswith("/v71/")

    def unauthorized(self, request: Request) -> Reply | None:
        if request.header("X-API-Key"):
            return None
        return self.error(401, "000", "HTTP Status Response - Unauthorized", kind="security")

    def is_create(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/v71/payments"

    def invoice_id(self, request: Request) -> str | None:
        body = request.json()
        if not self.is_create(request) or not isinstance(body, dict):
            return None
        return (body.get("metadata") or {}).get("lago_invoice_id")

    def error(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        kind: str | None = None,
    ) -> Reply:
        body = {
            "status": status,
            "errorCode": code,
            "message": message,
            "errorType": kind or ("internal" if status >= 500 else "validation"),
            "pspReference": self.state.new_id("PSP"),
        }
        return Reply(status, body, dict(headers or {}))

    def fault_reply(self, action: str, args: dict[str, Any]) -> Reply:
        if action == "conflict_in_flight":
            return self.error(
                409, "704", "request already processed or in progress", {"Transient-Error": "true"}
            )
        return super().fault_reply(action, args)

    def handle(self, request: Request, decline: bool = False) -> Reply:
        if self.is_create(request):
            return self._create_idempotent(request, decline)
        if request.method == "POST" and request.path == "/v71/paymentMethods":
            body = request.json() or {}
            shopper = body.get("shopperReference") or ""
            method = self.state.payment_method_of(self.name, shopper)
            stored = (
                [{"id": method, "type": "scheme", "supportedShopperInteractions": ["ContAuth"]}]
                if method
                else []
            )
            return Reply(
                200,
                {
                    "paymentMethods": [{"type": "scheme", "name": "Cards"}],
                    "storedPaymentMethods": stored,
                },
            )
        return self.error(404, "000", f"{request.method} {request.path} not found")

    def _create_idempotent(self, request: Request, decline: bool) -> Reply:
        key = request.header("Idempotency-Key")
        if key and len(key) > MAX_KEY_LENGTH:
            return self.error(
                400, "idempotency_key_too_long", f"Idempotency-Key longer than {MAX_KEY_LENGTH}"
            )
        if key:
            stored = self.state.stored(self.name, key)
            if stored is not None:
                return Reply(
                    stored.status, stored.body, {**stored.headers, "Idempotency-Key": key}, True
                )
            if not self.state.begin_in_flight(self.name, key):
                return self.error(
                    409,
                    "704",
                    "request already processed or in progress",
                    {"Transient-Error": "true"},
                )
        try:
            reply, psp = self._create(request.json() or {}, key, decline)
            if key:
                reply.headers["Idempotency-Key"] = key
            if key and psp:
                self.state.store(
                    self.name,
                    key,
                    Stored(
                        self.fingerprint(request),
                        reply.status,
                        reply.body,
                        {},
                        self.state.now(),
                        psp,
                    ),
                )
            return reply
        finally:
            if key:
                self.state.end_in_flight(self.name, key)

    def _create(
        self, body: dict[str, Any], key: str | None, decline: bool
    ) -> tuple[Reply, str | None]:
        if not body.get("merchantAccount"):
            return self.error(422, "901", "Invalid Merchant Account"), None
        reference = body.get("reference") or ""
        if not reference or len(reference) > MAX_REFERENCE_LENGTH:
            return self.error(
                422, "130", f"Reference missing or longer than {MAX_REFERENCE_LENGTH}"
            ), None
        amount = body.get("amount") or {}
        method = (body.get("paymentMethod") or {}).get("storedPaymentMethodId")
        if (
            not isinstance(amount.get("value"), int)
            or amount["value"] <= 0
            or not amount.get("currency")
        ):
            return self.error(422, "137", "Invalid amount specified"), None
        if method not in STORED_METHODS:
            return self.error(422, "803", "PaymentMethod is not supported"), None
        result_code = "Refused" if decline else STORED_METHODS[method]
        psp = self.state.new_id("PSP")
        result: dict[str, Any] = {
            "pspReference": psp,
            "resultCode": result_code,
            "merchantReference": reference,
        }
        if result_code == "Refused":
            result |= {"refusalReason": "Refused", "refusalReasonCode": "2"}
        metadata = body.get("metadata") or {}
        with self.state.lock:
            self.state.payments[psp] = {**result, "amount": amount, "metadata": metadata}
        self.state.record_charge(
            Charge(
                self.name,
                psp,
                metadata.get("lago_invoice_id"),
                key,
                amount["value"],
                amount["currency"],
                result_code,
                result_code != "Refused",
                body.get("shopperReference"),
                self.state.now(),
            )
        )
        return Reply(200, result), psp
