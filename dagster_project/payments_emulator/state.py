"""The emulator's memory: customers, payments, idempotency stores, faults, the request log.

Everything is guarded by one lock; handlers hold it only while they read or change state,
never while they wait (an injected timeout sleeps outside it).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_PAYMENT_METHODS = {"stripe": "pm_card_visa", "gocardless": "MD_OK", "adyen": "spm_ok"}
# How long each provider keeps an idempotency key (reference/payments.md B.1, B.3).
KEY_LIFETIME_S = {"stripe": 24 * 3600, "gocardless": 10 * 365 * 86400, "adyen": 31 * 86400}

ACTIONS = {
    "http_500",  # 500, nothing recorded
    "http_500_after_commit",  # the charge is recorded, then a 500 (stored under the key)
    "should_retry",  # 503 + Stripe-Should-Retry: true, nothing recorded
    "no_retry",  # 500 + Stripe-Should-Retry: false, nothing recorded
    "rate_limit",  # 429 + Retry-After (GoCardless: RateLimit-Reset), never stored
    "timeout_before_commit",  # hold past the client's timeout, then close: nothing recorded
    "timeout_after_commit",  # record the charge, then hold past the client's timeout
    "reset",  # close the connection without a response, nothing recorded
    "reset_after_commit",  # record the charge, then close without a response
    "conflict_in_flight",  # 409 (Adyen: with Transient-Error: true), nothing recorded
    "malformed_json",  # record the charge, answer a body that is not JSON (key keeps the real one)
    "decline",  # the provider's decline for this request
}


@dataclass
class Fault:
    """`{"dialect": "stripe", "match": {"invoice_id": "...", "idempotency_key": "...",
    "nth": 2, "op": "create"}, "action": "http_500", "times": 1, "args": {...}}`.
    `nth`: fire from the nth matching request on; `times`: how often (0: always)."""

    action: str
    dialect: str | None = None
    match: dict[str, Any] = field(default_factory=dict)
    times: int = 1
    args: dict[str, Any] = field(default_factory=dict)
    id: int = 0
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; one of {sorted(ACTIONS)}")

    def matches(self, dialect: str, op: str, key: str | None, invoice_id: str | None) -> bool:
        if self.dialect not in (None, dialect):
            return False
        if self.match.get("op", "create") not in ("any", op):
            return False
        if "idempotency_key" in self.match and self.match["idempotency_key"] != key:
            return False
        return "invoice_id" not in self.match or self.match["invoice_id"] == invoice_id


@dataclass
class Stored:
    """A response kept under an idempotency key."""

    fingerprint: str
    status: int
    body: Any
    headers: dict[str, str]
    created_at: float
    resource_id: str | None = None


@dataclass
class Charge:
    """A payment object the emulator created (whatever its outcome)."""

    dialect: str
    id: str
    invoice_id: str | None
    idempotency_key: str | None
    amount: int
    currency: str
    status: str
    charged: bool  # money moved or will move (not a decline)
    customer: str | None
    created_at: float


class EmulatorState:
    def __init__(self, auto_customers: bool = True):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.auto_customers = auto_customers
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offset_s = 0.0
            self.customers: dict[tuple[str, str], str | None] = {}
            self.payments: dict[str, dict[str, Any]] = {}  # id -> provider object
            self.charges: dict[str, Charge] = {}
            self.stores: dict[str, dict[str, Stored]] = {name: {} for name in KEY_LIFETIME_S}
            self.in_flight: set[tuple[str, str]] = set()
            self.faults: list[Fault] = []
            self.log: list[dict[str, Any]] = []

    def now(self) -> float:
        return time.time() + self.offset_s

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    # --- customers ----------------------------------------------------------------------

    def add_customer(self, dialect: str, customer_id: str, payment_method: str | None) -> None:
        with self.lock:
            self.customers[(dialect, customer_id)] = payment_method

    def customer_exists(self, dialect: str, customer_id: str) -> bool:
        with self.lock:
            if (dialect, customer_id) not in self.customers and self.auto_customers:
                self.customers[(dialect, customer_id)] = DEFAULT_PAYMENT_METHODS[dialect]
            return (dialect, customer_id) in self.customers

    def payment_method_of(self, dialect: str, customer_id: str) -> str | None:
        with self.lock:
            return (
                self.customers.get((dialect, customer_id))
                if self.customer_exists(dialect, customer_id)
                else None
            )

    # --- idempotency --------------------------------------------------------------------

    def stored(self, dialect: str, key: str) -> Stored | None:
        with self.lock:
            entry = self.stores[dialect].get(key)
            if entry is not None and self.now() - entry.created_at > KEY_LIFETIME_S[dialect]:
                del self.stores[dialect][key]  # pruned, as Stripe does after 24 hours
                return None
            return entry

    def store(self, dialect: str, key: str, entry: Stored) -> None:
        with self.lock:
            self.stores[dialect][key] = entry

    def begin_in_flight(self, dialect: str, key: str) -> bool:
        """False when a request with this key is being processed right now."""
        with self.lock:
            if (dialect, key) in self.in_flight:
                return False
            self.in_flight.add((dialect, key))
            return True

    def end_in_flight(self, dialect: str, key: str) -> None:
        with self.lock:
            self.in_flight.discard((dialect, key))

    # --- faults, charges, log -----------------------------------------------------------

    def add_fault(self, rule: dict[str, Any]) -> Fault:
        fault = Fault(
            **{
                name: rule[name]
                for name in ("action", "dialect", "match", "times", "args")
                if name in rule
            }
        )
        with self.lock:
            fault.id = next(self._ids)
            self.faults.append(fault)
        return fault

    def take_fault(
        self, dialect: str, op: str, key: str | None, invoice_id: str | None
    ) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if not fault.matches(dialect, op, key, invoice_id):
                    continue
                fault.seen += 1
                if fault.seen < int(fault.match.get("nth", 1)):
                    continue
                if fault.times and fault.fired >= fault.times:
                    continue
                fault.fired += 1
                return fault
            return None

    def record_charge(self, charge: Charge) -> None:
        with self.lock:
            self.charges[charge.id] = charge

    def update_charge(self, charge_id: str, status: str, charged: bool) -> None:
        with self.lock:
            if charge_id in self.charges:
                self.charges[charge_id].status = status
                self.charges[charge_id].charged = charged

    def append_log(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)

    def snapshot_charges(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(charge) for charge in self.charges.values()]

    def snapshot_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(entry) for entry in self.log]
