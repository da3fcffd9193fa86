"""GoCardless' dialect: payments against mandates (JSON wrapped in the resource name).

Mandates: `MD_OK` pays out, `MD_FAIL` fails, each once the clock moves (201
`pending_submission` until then); `MD_INACTIVE` is refused (422 `mandate_is_inactive`).
A reused key is never replayed: 409 `idempotent_creation_conflict` names the payment
created first. More than 3 metadata keys is a 422 `validation_failed`.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from dagster_project.payments_emulator.base import Dialect, Reply, Request
from dagster_project.payments_emulator.state import Charge, Stored

MANDATES = {"MD_OK": "paid_out", "MD_FAIL": "failed", "MD_INACTIVE": None}
FAILED_STATUSES = {"failed", "cancelled", "customer_approval_denied", "charged_back"}


class GoCardlessDialect(Dialect):
    name = "gocardless"

    def owns(self, path: str) -> bool:
        return path.startswith(("/payments", "/mandates"))

    def unauthorized(self, request: Request) -> Reply | None:
        token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        if not token or token.startswith("live_"):
            return self.error(
                401,
                "unauthorized",
                "Access token not active (sandbox tokens only)",
                kind="invalid_api_usage",
            )
        if not request.header("GoCardless-Version"):
            return self.error(
                400,
                "missing_version_header",
                "GoCardless-Version header is required",
                kind="invalid_api_usage",
            )
        return None

    def is_create(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/payments"

    def _payment(self, request: Request) -> dict[str, Any]:
        body = request.json()
        payment = body.get("payments") if isinstance(body, dict) else None
        return payment if isinstance(payment, dict) else {}

    def invoice_id(self, request: Request) -> str | None:
        if not self.is_create(request):
            return None
        return (self._payment(request).get("metadata") or {}).get("lago_invoice_id")

    def error(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        kind: str | None = None,
        links: dict[str, str] | None = None,
    ) -> Reply:
        kind = kind or ("gocardless" if status >= 500 else "invalid_api_usage")
        detail: dict[str, Any] = {"reason": code, "message": message}
        if links:
            detail["links"] = links
        body = {
            "error": {
                "type": kind,
                "code": status,
                "message": message,
                "errors": [detail],
                "documentation_url": f"https://developer.gocardless.com/api-reference#{code}",
                "request_id": self.state.new_id("RQ"),
            }
        }
        return Reply(status, body, dict(headers or {}))

    def fault_reply(self, action: str, args: dict[str, Any]) -> Reply:
        if action == "rate_limit":
            reset = formatdate(self.state.now() + float(args.get("retry_after", 1)), usegmt=True)
            return self.error(
                429,
                "rate_limit_exceeded",
                "Rate limit exceeded",
                {"RateLimit-Limit": "1000", "RateLimit-Remaining": "0", "RateLimit-Reset": reset},
            )
        if action == "conflict_in_flight":
            return self._in_flight()
        return super().fault_reply(action, args)

    def _in_flight(self) -> Reply:
        return self.error(
            409,
            "idempotent_creation_conflict",
            "A request with this idempotency key is in progress",
            kind="invalid_state",
        )

    # --- routing ------------------------------------------------------------------------

    def handle(self, request: Request, decline: bool = False) -> Reply:
        parts = [unquote(part) for part in request.path.strip("/").split("/")]
        if self.is_create(request):
            return self._create_idempotent(request, decline)
        if request.method == "GET" and parts[0] == "payments" and len(parts) == 2:
            with self.state.lock:
                payment = self.state.payments.get(parts[1])
                if payment is None or "links" not in payment:
                    return self.error(404, "resource_not_found", f"Payment {parts[1]} not found")
                return Reply(200, {"payments": _public(payment)})
        if request.method == "GET" and parts == ["mandates"]:
            customer = (request.query.get("customer") or [""])[0]
            mandate = self.state.payment_method_of(self.name, customer)
            mandates = (
                [{"id": mandate, "status": "active", "links": {"customer": customer}}]
                if mandate
                else []
            )
            return Reply(
                200,
                {
                    "mandates": mandates,
                    "meta": {"cursors": {"before": None, "after": None}, "limit": 50},
                },
            )
        return self.error(404, "path_not_found", f"{request.method} {request.path} not found")

    def _create_idempotent(self, request: Request, decline: bool) -> Reply:
        key = request.header("Idempotency-Key")
        if key:
            stored = self.state.stored(self.name, key)
            if stored is not None:
                return self.error(
                    409,
                    "idempotent_creation_conflict",
                    "A resource has already been created with this idempotency key",
                    kind="invalid_state",
                    links={"conflicting_resource_id": stored.resource_id or ""},
                )
            if not self.state.begin_in_flight(self.name, key):
                return self._in_flight()
        try:
            reply, payment_id = self._create(self._payment(request), key, decline)
            if key and payment_id:
                self.state.store(
                    self.name,
                    key,
                    Stored(
                        self.fingerprint(request),
                        reply.status,
                        reply.body,
                        {},
                        self.state.now(),
                        payment_id,
                    ),
                )
            return reply
        finally:
            if key:
                self.state.end_in_flight(self.name, key)

    def _create(
        self, fields: dict[str, Any], key: str | None, decline: bool
    ) -> tuple[Reply, str | None]:
        metadata = fields.get("metadata") or {}
        mandate = (fields.get("links") or {}).get("mandate")
        amount = fields.get("amount")
        if len(metadata) > 3:
            return self.error(
                422,
                "validation_failed",
                "metadata must have at most 3 keys",
                kind="validation_failed",
            ), None
        if not isinstance(amount, int) or amount <= 0 or not fields.get("currency") or not mandate:
            return self.error(
                422,
                "validation_failed",
                "amount, currency and links[mandate] are required",
                kind="validation_failed",
            ), None
        if mandate not in MANDATES:
            return self.error(
                404, "resource_not_found", f"Mandate {mandate} not found", kind="invalid_api_usage"
            ), None
        if MANDATES[mandate] is None:
            return self.error(
                422, "mandate_is_inactive", "The mandate is inactive", kind="invalid_state"
            ), None
        payment = {
            "id": self.state.new_id("PM"),
            "amount": amount,
            "currency": fields["currency"],
            "description": fields.get("description"),
            "status": "failed" if decline else "pending_submission",
            "charge_date": None,
            "metadata": metadata,
            "retry_if_possible": fields.get("retry_if_possible"),
            "links": {"mandate": mandate, "creditor": "CR00000001"},
            "_final_status": "failed" if decline else MANDATES[mandate],
        }
        with self.state.lock:
            self.state.payments[payment["id"]] = payment
        self.state.record_charge(
            Charge(
                self.name,
                payment["id"],
                metadata.get("lago_invoice_id"),
                key,
                amount,
                fields["currency"],
                payment["status"],
                not decline,
                mandate,
                self.state.now(),
            )
        )
        return Reply(201, {"payments": _public(payment)}), payment["id"]

    def advance(self) -> None:
        with self.state.lock:
            for payment in self.state.payments.values():
                final = payment.get("_final_status")
                if final and "links" in payment and payment["status"] != final:
                    payment["status"] = final
                    self.state.update_charge(payment["id"], final, final not in FAILED_STATUSES)


def _public(payment: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payment.items() if not name.startswith("_")}
