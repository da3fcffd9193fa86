"""The payment ledger: `payments.payments` and `payments.attempts` in the warehouse.

Why it is exactly-once (reference/payments.md C.5):

1. One open payment per invoice: `open_lock` is UNIQUE and holds the invoice id while a
   payment is pending, processing or succeeded (NULL once failed), so two runs can never
   hold two keys for one invoice. It stands in for Lago's partial unique index.
2. The key is derived from (invoice, payment_seq) and `payment_seq` only moves on after
   a failed payment. Anything unclear resends the same key.
3. Write-ahead: a `create` attempt row is committed before its request is sent. A crash
   leaves it `in_flight`; the next run reads that as unknown and resends the same key.
4. The request body is frozen in the payment row when it is claimed and sent as is.

dbt never writes the `payments` schema, so rebuilding `billing.invoices` leaves the
ledger alone (tables: `schema.py`). Every write is one short transaction, group-committed
on the one connection the worker threads share (`group_commit.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_project.lib.payments.calls import Call, FrozenRequest, utcnow
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.group_commit import GroupCommit
from dagster_project.lib.payments.keys import idempotency_key, payment_id
from dagster_project.lib.payments.outcome import Outcome, State, invoice_payment_status
from dagster_project.lib.payments.schema import SCHEMA_SQL

IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class PaymentRef:
    payment_id: str
    invoice_id: str
    provider: str
    idempotency_key: str


@dataclass(frozen=True)
class Payment:
    """One row of payments.payments: one idempotency key."""

    ref: PaymentRef
    payment_seq: int
    amount_cents: int
    currency: str
    request: FrozenRequest
    state: State
    creates_sent: int = 0

    @property
    def key(self) -> str:
        return self.ref.idempotency_key

    @property
    def provider(self) -> str:
        return self.ref.provider


@dataclass(frozen=True)
class Plan:
    """What to do with a candidate: `action` is new | resume | skip | conflict."""

    action: str
    payment_seq: int = 1
    payment: Payment | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AttemptRef:
    attempt_id: str
    payment: Payment


def ref_for(candidate: Candidate, payment_seq: int) -> PaymentRef:
    return PaymentRef(
        payment_id(candidate.invoice_id, payment_seq),
        candidate.invoice_id,
        candidate.provider,
        idempotency_key(candidate.invoice_id, payment_seq),
    )


class Ledger:
    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str | None = None):
        self.con = con
        self.run_id = run_id
        self._commits = GroupCommit(con)
        self._lock = self._commits.lock  # reads wait for the connection too

    def ensure(self) -> None:
        """Creates the schema, tables and view when missing (dbt never touches them)."""

        def work(con: duckdb.DuckDBPyConnection) -> None:
            for statement in SCHEMA_SQL:
                con.execute(statement)

        self._commits.run(work)

    # --- reading ------------------------------------------------------------------------

    def _latest(self, con: duckdb.DuckDBPyConnection, invoice_id: str) -> Payment | None:
        row = con.execute(
            """
            select payment_id, invoice_id, provider, idempotency_key, payment_seq, amount_cents,
                currency, request_path, request_body, request_content_type, state
            from payments.payments
            where invoice_id = ?
            order by payment_seq desc
            limit 1
            """,
            [invoice_id],
        ).fetchone()
        if row is None:
            return None
        creates = con.execute(
            """
            select count(*) from payments.attempts
            where idempotency_key = ? and operation = 'create'
            """,
            [row[3]],
        ).fetchone()[0]
        return Payment(
            ref=PaymentRef(row[0], row[1], row[2], row[3]),
            payment_seq=row[4],
            amount_cents=int(row[5]),
            currency=row[6],
            request=FrozenRequest(row[7], row[8], row[9]),
            state=State(row[10]),
            creates_sent=int(creates),
        )

    def plan(self, candidate: Candidate, *, retry_failed: bool, max_payments: int) -> Plan:
        with self._lock:
            latest = self._latest(self.con, candidate.invoice_id)
        if latest is None:
            return Plan("new", 1)
        if latest.state is State.SUCCEEDED:
            return Plan("skip", reason="already_succeeded", payment=latest)
        if latest.state is State.PROCESSING:
            return Plan("skip", reason="processing", payment=latest)
        if latest.state is State.PENDING:
            if (latest.amount_cents, latest.currency) != (
                candidate.amount_cents,
                candidate.currency,
            ):
                return Plan(
                    "conflict",
                    payment=latest,
                    reason=(
                        f"invoice {candidate.invoice_id} now totals {candidate.amount_cents} "
                        f"{candidate.currency} but its open payment {latest.ref.payment_id} was "
                        f"claimed for {latest.amount_cents} {latest.currency}; nothing was sent"
                    ),
                )
            return Plan("resume", latest.payment_seq, payment=latest)
        if retry_failed and latest.payment_seq < max_payments:
            return Plan("new", latest.payment_seq + 1)
        return Plan("skip", reason="failed_awaiting_dunning", payment=latest)

    def processing(self, providers: Iterable[str]) -> list[tuple[PaymentRef, str]]:
        """Payments accepted but not final yet, with their provider payment id."""
        providers = list(providers)
        if not providers:
            return []
        with self._lock:
            rows = self.con.execute(
                """
                select payment_id, invoice_id, provider, idempotency_key, provider_payment_id
                from payments.payments
                where state = 'processing'
                    and provider_payment_id is not null
                    and list_contains(?, provider)
                order by created_at, payment_id
                """,
                [providers],
            ).fetchall()
        return [(PaymentRef(*row[:4]), row[4]) for row in rows]

    # --- writing ------------------------------------------------------------------------

    def claim(
        self,
        candidate: Candidate,
        payment_seq: int,
        payment_method: str,
        request: FrozenRequest,
        lookup_calls: list[Call],
    ) -> AttemptRef | None:
        """In one transaction: the payment with `open_lock` = invoice id and its frozen
        request, the lookup calls that found its payment method, and its first create
        attempt, written ahead. None when another run holds the invoice (its open payment,
        or this payment number, exists already)."""
        ref = ref_for(candidate, payment_seq)

        def work(con: duckdb.DuckDBPyConnection) -> AttemptRef | None:
            latest = self._latest(con, candidate.invoice_id)
            if (latest.payment_seq if latest else 0) != payment_seq - 1:
                return None
            if latest is not None and latest.state is not State.FAILED:
                return None
            now = utcnow()
            con.execute(
                """
                insert into payments.payments (
                    payment_id, invoice_id, payment_seq, provider, idempotency_key,
                    external_customer_id, provider_customer_id, payment_method_id,
                    amount_cents, currency, request_path, request_body, request_content_type,
                    request_fingerprint, state, invoice_payment_status, open_lock,
                    created_at, updated_at
                )
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 'pending', ?, ?, ?)
                """,
                [
                    ref.payment_id,
                    ref.invoice_id,
                    payment_seq,
                    ref.provider,
                    ref.idempotency_key,
                    candidate.external_customer_id,
                    candidate.provider_customer_id,
                    payment_method,
                    candidate.amount_cents,
                    candidate.currency,
                    request.path,
                    request.body,
                    request.content_type,
                    request.fingerprint,
                    ref.invoice_id,
                    now,
                    now,
                ],
            )
            number = self._next_attempt(con, ref.idempotency_key)
            for offset, call in enumerate(lookup_calls):
                self._insert_call(con, ref, call, number + offset)
            payment = Payment(
                ref, payment_seq, candidate.amount_cents, candidate.currency, request, State.PENDING
            )
            return self._insert_begun(con, payment, number + len(lookup_calls))

        try:
            return self._commits.run(work)
        except (duckdb.TransactionException, duckdb.ConstraintException):
            return None

    def record(self, ref: PaymentRef, calls: Iterable[Call], settle: Outcome | None = None) -> None:
        """Calls made without write-ahead (reads: lookups, fetches, searches), and the
        payment's new state when one of them settled it."""
        calls = list(calls)

        def work(con: duckdb.DuckDBPyConnection) -> None:
            number = self._next_attempt(con, ref.idempotency_key)
            for offset, call in enumerate(calls):
                self._insert_call(con, ref, call, number + offset)
            if settle is not None:
                self._settle(con, ref, settle)

        self._commits.run(work)

    def begin_attempt(self, payment: Payment) -> AttemptRef:
        """Write-ahead: the `create` attempt is committed before its request leaves."""
        return self._commits.run(
            lambda con: self._insert_begun(con, payment, self._next_attempt(con, payment.key))
        )

    def _insert_begun(
        self, con: duckdb.DuckDBPyConnection, payment: Payment, number: int
    ) -> AttemptRef:
        attempt_id = f"{payment.key}#{number}"
        con.execute(
            """
            insert into payments.attempts (
                attempt_id, invoice_id, provider, idempotency_key, attempt, operation,
                payment_id, run_id, requested_at, outcome, request_fingerprint
            )
            values (?, ?, ?, ?, ?, 'create', ?, ?, ?, ?, ?)
            """,
            [
                attempt_id,
                payment.ref.invoice_id,
                payment.provider,
                payment.key,
                number,
                payment.ref.payment_id,
                self.run_id,
                utcnow(),
                IN_FLIGHT,
                payment.request.fingerprint,
            ],
        )
        return AttemptRef(attempt_id, payment)

    def finish_attempt(self, attempt: AttemptRef, call: Call, *, settle: bool) -> None:
        """Completes the attempt row with what came back, and settles the payment with
        it in the same transaction when the outcome is final."""

        def work(con: duckdb.DuckDBPyConnection) -> None:
            outcome = call.outcome
            con.execute(
                """
                update payments.attempts set
                    finished_at = ?, http_status = ?, outcome = ?, provider_payment_id = ?,
                    provider_status = ?, error_type = ?, error_code = ?, decline_code = ?,
                    error_message = ?, retry_after_s = ?, replayed = ?, provider_request_id = ?
                where attempt_id = ?
                """,
                [call.finished_at, *_outcome_columns(outcome), attempt.attempt_id],
            )
            if settle:
                self._settle(con, attempt.payment.ref, outcome)

        self._commits.run(work)

    def settle(self, ref: PaymentRef, outcome: Outcome) -> None:
        self._commits.run(lambda con: self._settle(con, ref, outcome))

    def recover_abandoned(self, started_at: datetime) -> int:
        """Create attempts left `in_flight` by a push that ended before `started_at` (a
        crash, or an earlier try of this run's step): their outcome is unknown (the charge
        may have happened), so their payment stays pending and its key is resent."""

        def work(con: duckdb.DuckDBPyConnection) -> int:
            return con.execute(
                """
                update payments.attempts set
                    outcome = 'unknown', error_code = 'no_response_recorded', finished_at = ?
                where outcome = ? and requested_at < ?
                """,
                [utcnow(), IN_FLIGHT, started_at],
            ).fetchone()[0]

        return self._commits.run(work)

    def write_through(self) -> int:
        """Copies each invoice's payment status into `billing.invoices`, so the outcome shows
        in the same run, unless a status set by hand is newer. dbt's next build gives the same value through its left join on
        `payments.invoice_payment_status`, so this never differs from a rebuild."""

        def work(con: duckdb.DuckDBPyConnection) -> int:
            is_table = con.execute(
                """
                select count(*) from information_schema.columns
                inner join information_schema.tables
                    on columns.table_schema = tables.table_schema
                    and columns.table_name = tables.table_name
                where columns.table_schema = 'billing' and columns.table_name = 'invoices'
                    and columns.column_name = 'payment_status'
                    and tables.table_type = 'BASE TABLE'
                """
            ).fetchone()[0]
            if not is_table:
                return 0
            # A status set by hand (catalog payment_status_updates, applied by dbt) after
            # the provider's last word stands: the latest of the two wins.
            has_manual = con.execute(
                """
                select count(*) from information_schema.tables
                where table_schema = 'raw' and table_name = 'payment_status_updates'
                """
            ).fetchone()[0]
            manual_is_newer = (
                """
                and not exists (
                    select 1 from raw.payment_status_updates as manual
                    where manual.invoice_number = invoices.number
                        and manual.updated_at >= statuses.updated_at
                )
                """
                if has_manual
                else ""
            )
            return con.execute(
                f"""
                update billing.invoices
                set payment_status = statuses.payment_status
                from payments.invoice_payment_status as statuses
                where invoices.invoice_id = statuses.invoice_id
                    and invoices.payment_status is distinct from statuses.payment_status
                    {manual_is_newer}
                """
            ).fetchone()[0]

        return self._commits.run(work)

    def run_summary(self) -> list[tuple]:
        """Per provider, state and currency: the payments this run called about, with their
        amounts summed in SQL."""
        with self._lock:
            return self.con.execute(
                """
                with

                touched as (
                    select distinct payment_id
                    from payments.attempts
                    where run_id = ?
                )

                select
                    payments.provider,
                    payments.state,
                    payments.invoice_payment_status,
                    payments.currency,
                    count(*) as payments,
                    sum(payments.amount_cents) as amount_cents
                from payments.payments
                inner join touched
                    on payments.payment_id = touched.payment_id
                group by all
                order by all
                """,
                [self.run_id],
            ).fetchall()

    def count_rows(self) -> dict[str, int]:
        with self._lock:
            return {
                table: self.con.execute(f"select count(*) from payments.{table}").fetchone()[0]
                for table in ("payments", "attempts")
            }

    def attempts_this_run(self) -> int:
        with self._lock:
            return self.con.execute(
                "select count(*) from payments.attempts where run_id = ?", [self.run_id]
            ).fetchone()[0]

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _next_attempt(con: duckdb.DuckDBPyConnection, key: str) -> int:
        return con.execute(
            "select coalesce(max(attempt), 0) + 1 from payments.attempts where idempotency_key = ?",
            [key],
        ).fetchone()[0]

    def _insert_call(
        self, con: duckdb.DuckDBPyConnection, ref: PaymentRef, call: Call, number: int
    ) -> None:
        con.execute(
            """
            insert into payments.attempts (
                attempt_id, invoice_id, provider, idempotency_key, attempt, operation,
                payment_id, run_id, requested_at, finished_at, http_status, outcome,
                provider_payment_id, provider_status, error_type, error_code, decline_code,
                error_message, retry_after_s, replayed, provider_request_id
            )
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                f"{ref.idempotency_key}#{number}",
                ref.invoice_id,
                ref.provider,
                ref.idempotency_key,
                number,
                call.operation,
                ref.payment_id,
                self.run_id,
                call.requested_at,
                call.finished_at,
                *_outcome_columns(call.outcome),
            ],
        )

    @staticmethod
    def _settle(con: duckdb.DuckDBPyConnection, ref: PaymentRef, outcome: Outcome) -> None:
        """Moves the payment to the outcome's state. Succeeded and failed are terminal, and
        processing never goes back to pending: a late or stale answer changes nothing."""
        state = outcome.state
        con.execute(
            """
            update payments.payments set
                state = ?,
                invoice_payment_status = ?,
                provider_payment_id = coalesce(?, provider_payment_id),
                provider_status = coalesce(?, provider_status),
                error_code = ?,
                decline_code = ?,
                error_message = ?,
                open_lock = case when ? = 'failed' then null else open_lock end,
                updated_at = ?
            where payment_id = ?
                and (state = 'pending' or (state = 'processing' and ? <> 'pending'))
            """,
            [
                state.value,
                invoice_payment_status(state, outcome.error_code),
                outcome.provider_payment_id,
                outcome.provider_status,
                outcome.error_code,
                outcome.decline_code,
                outcome.message,
                state.value,
                utcnow(),
                ref.payment_id,
                state.value,
            ],
        )


def _outcome_columns(outcome: Outcome) -> list:
    """http_status .. provider_request_id, in the attempts table's column order."""
    return [
        outcome.http_status,
        outcome.kind.value,
        outcome.provider_payment_id,
        outcome.provider_status,
        outcome.error_type,
        outcome.error_code,
        outcome.decline_code,
        outcome.message,
        outcome.retry_after_s,
        outcome.replayed,
        outcome.request_id,
    ]
