"""The push engine: for each invoice, claim a payment, write ahead, send, record, settle.

Per invoice (reference/payments.md C.4), within one deadline:

1. `plan`: resume the open payment (same key), start a new one, or skip (succeeded,
   processing, failed and no dunning, another run holds it).
2. New payment: look up the customer's payment method, build the request body and claim
   the payment with that body frozen in the ledger.
   Resumed Stripe payment: search by key first (Stripe prunes keys after 24 hours).
3. Send the create request with retries; each try is written ahead and completed after.
   GoCardless' 409 conflict fetches the payment created first.
4. Settle: succeeded, processing, failed, or still pending with the same key.

Invoices run on a bounded thread pool; each provider has one pooled httpx client.
Before pushing, payments left processing are polled (never charged again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from dagster_project.lib.payments.calls import Call, Lookup, perform, utcnow
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.gateway import Gateway
from dagster_project.lib.payments.ledger import AttemptRef, Ledger, Payment, PaymentRef, ref_for
from dagster_project.lib.payments.outcome import Kind, Outcome, invoice_payment_status
from dagster_project.lib.payments.retry import RetryPolicy, with_retries

# What a read (lookup, fetch, search) may settle a payment with.
_SETTLING_KINDS = (Kind.SUCCEEDED, Kind.PROCESSING, Kind.DECLINED)


@dataclass(frozen=True)
class InvoiceResult:
    """What happened to one invoice in this run."""

    invoice_id: str
    provider: str
    result: str  # succeeded | processing | pending | failed | skipped | conflict
    payment_status: str | None = None  # the invoice's, when a payment settled it
    reason: str | None = None  # skip reason or error code
    payment_id: str | None = None


@dataclass
class PushReport:
    results: list[InvoiceResult] = field(default_factory=list)
    polled: list[InvoiceResult] = field(default_factory=list)
    recovered_attempts: int = 0
    halted: dict[str, str] = field(default_factory=dict)

    def count(self, result: str) -> int:
        return sum(1 for item in self.results if item.result == result)

    @property
    def conflicts(self) -> list[str]:
        return [item.reason or "" for item in self.results if item.result == "conflict"]


@dataclass(frozen=True)
class PushOptions:
    concurrency: int = 8
    retry_failed_payments: bool = False
    max_payments_per_invoice: int = 3


def _as_read(outcome: Outcome) -> Outcome:
    """A read that failed (a 4xx on a GET) says nothing about the payment: never let it
    fail the payment."""
    if outcome.kind is Kind.FAILED:
        return replace(outcome, kind=Kind.UNKNOWN, retry=False)
    return outcome


class PushEngine:
    def __init__(
        self,
        ledger: Ledger,
        gateways: Mapping[str, Gateway],
        policy: RetryPolicy,
        options: PushOptions = PushOptions(),
        warn: Callable[[str], None] = lambda message: None,
    ):
        self.ledger = ledger
        self.gateways = dict(gateways)
        self.policy = policy
        self.options = options
        self.warn = warn
        self.halted: dict[str, str] = {}

    def run(self, candidates: Sequence[Candidate]) -> PushReport:
        report = PushReport(recovered_attempts=self.ledger.recover_abandoned(started_at=utcnow()))
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            fetchable = [name for name, gateway in self.gateways.items() if gateway.fetch_supported]
            report.polled = list(pool.map(self._poll, self.ledger.processing(fetchable)))
            report.results = list(pool.map(self.push_one, candidates))
        report.halted = dict(self.halted)
        return report

    # --- one invoice ----------------------------------------------------------------------

    def push_one(self, candidate: Candidate) -> InvoiceResult:
        def skipped(reason: str, payment_id: str | None = None) -> InvoiceResult:
            return InvoiceResult(
                candidate.invoice_id, candidate.provider, "skipped", None, reason, payment_id
            )

        if not candidate.provider_customer_id:
            return skipped("no_provider_customer_id")
        deadline = self.policy.deadline()
        plan = self.ledger.plan(
            candidate,
            retry_failed=self.options.retry_failed_payments,
            max_payments=self.options.max_payments_per_invoice,
        )
        if plan.action == "skip":
            return skipped(plan.reason or "", plan.payment.ref.payment_id if plan.payment else None)
        if plan.action == "conflict":
            self.warn(plan.reason or "")
            return InvoiceResult(
                candidate.invoice_id, candidate.provider, "conflict", None, plan.reason
            )
        provider = plan.payment.provider if plan.payment else candidate.provider
        gateway = self.gateways.get(provider)
        if gateway is None:
            return skipped("provider_not_configured")
        if provider in self.halted:
            return skipped("provider_halted")

        if plan.action == "new":
            ref = ref_for(candidate, plan.payment_seq)
            lookup = self._lookup(gateway, candidate, deadline)
            if lookup.payment_method is None:
                self.ledger.record(ref, lookup.calls)
                self._halt_on_credentials(provider, lookup.outcome)
                return skipped(_lookup_failure(lookup.outcome), ref.payment_id)
            request = gateway.build_create(candidate, ref.idempotency_key, lookup.payment_method)
            first = self.ledger.claim(
                candidate, plan.payment_seq, lookup.payment_method, request, lookup.calls
            )
            if first is None:
                return skipped("claimed_by_another_run", ref.payment_id)
            payment, begun = first.payment, [first]
        else:
            payment, begun = plan.payment, []
            found = self._search(gateway, payment, deadline) if payment.creates_sent else None
            if found is not None:
                return self._result(candidate, payment, found)

        outcome = with_retries(
            self.policy,
            deadline,
            lambda: self._create_once(gateway, payment, begun.pop() if begun else None),
        )
        if not outcome.is_final:
            self.ledger.settle(payment.ref, outcome)  # stays pending: the same key next run
        self._halt_on_credentials(provider, outcome)
        return self._result(candidate, payment, outcome)

    def _create_once(
        self, gateway: Gateway, payment: Payment, attempt: AttemptRef | None
    ) -> Outcome:
        """One create request. Its attempt row is committed before the request leaves:
        written ahead with the claim (`attempt`), or now."""
        attempt = attempt or self.ledger.begin_attempt(payment)
        request = gateway.create_request(payment.request, payment.key)
        call = perform(gateway.client, request, "create", gateway.classify_create)
        if call.outcome.kind is not Kind.CONFLICT:
            self.ledger.finish_attempt(attempt, call, settle=call.outcome.is_final)
            return call.outcome
        # GoCardless: the key was used; the payment created first is the answer.
        self.ledger.finish_attempt(attempt, call, settle=False)
        fetched = gateway.fetch(call.outcome.conflicting_id)
        outcome = _as_read(fetched.outcome)
        self.ledger.record(
            payment.ref, [fetched], settle=outcome if outcome.kind in _SETTLING_KINDS else None
        )
        if outcome.kind not in _SETTLING_KINDS and not outcome.retry:
            return replace(outcome, retry=True)  # resend: the next 409 names it again
        return outcome

    def _lookup(self, gateway: Gateway, candidate: Candidate, deadline: float) -> Lookup:
        calls: list[Call] = []
        found: list[str | None] = [None]

        def once() -> Outcome:
            lookup = gateway.find_payment_method(candidate.provider_customer_id or "")
            calls.extend(lookup.calls)
            found[0] = lookup.payment_method
            return lookup.outcome

        with_retries(self.policy, deadline, once)
        return Lookup(found[0], calls)

    def _search(self, gateway: Gateway, payment: Payment, deadline: float) -> Outcome | None:
        """A resumed key that was sent before: ask the provider whether it created a
        payment under it (Stripe only; the others replay or point at it for weeks)."""
        calls: list[Call] = []

        def once() -> Outcome:
            call = gateway.search(payment.key)
            calls.append(call)
            return call.outcome

        if not gateway.search_supported:
            return None
        outcome = _as_read(with_retries(self.policy, deadline, once))
        settle = outcome if outcome.kind in _SETTLING_KINDS else None
        self.ledger.record(payment.ref, calls, settle=settle)
        return settle

    def _poll(self, item: tuple[PaymentRef, str]) -> InvoiceResult:
        ref, provider_payment_id = item
        gateway = self.gateways[ref.provider]
        calls: list[Call] = []

        def once() -> Outcome:
            call = gateway.fetch(provider_payment_id)
            calls.append(call)
            return call.outcome

        outcome = _as_read(with_retries(self.policy, self.policy.deadline(), once))
        settle = outcome if outcome.kind in _SETTLING_KINDS else None
        self.ledger.record(ref, calls, settle=settle)
        result = outcome.state.value if settle else "processing"
        status = invoice_payment_status(outcome.state, outcome.error_code) if settle else "pending"
        return InvoiceResult(
            ref.invoice_id, ref.provider, result, status, outcome.error_code, ref.payment_id
        )

    # --- helpers --------------------------------------------------------------------------

    def _halt_on_credentials(self, provider: str, outcome: Outcome) -> None:
        """A rejected key fails every request alike: stop sending to that provider."""
        if outcome.http_status in (401, 403) and provider not in self.halted:
            self.halted[provider] = f"HTTP {outcome.http_status} {outcome.error_code or ''}".strip()
            self.warn(
                f"{provider}: credentials refused ({self.halted[provider]}); "
                "no more requests to it this run"
            )

    def _result(self, candidate: Candidate, payment: Payment, outcome: Outcome) -> InvoiceResult:
        state = outcome.state
        result = {"succeeded": "succeeded", "processing": "processing", "failed": "failed"}.get(
            state.value, "pending"
        )
        if result == "failed":
            self.warn(
                f"invoice {candidate.invoice_id}: {payment.provider} payment failed "
                f"({outcome.error_code or outcome.kind.value})"
            )
        return InvoiceResult(
            candidate.invoice_id,
            payment.provider,
            result,
            invoice_payment_status(state, outcome.error_code),
            outcome.error_code,
            payment.ref.payment_id,
        )


def _lookup_failure(outcome: Outcome) -> str:
    if outcome.kind is Kind.SUCCEEDED:
        return "no_payment_method"
    if outcome.retry:
        return "provider_unavailable"
    return outcome.error_code or "payment_method_lookup_failed"
