"""The retry policy (tenacity) and the idempotency keys it resends."""

from __future__ import annotations

import random

import pytest

from dagster_project.lib.payments.keys import MAX_KEY_LENGTH, idempotency_key, payment_id
from dagster_project.lib.payments.outcome import Kind, Outcome
from dagster_project.lib.payments.retry import RetryPolicy, with_retries


class Script:
    """Returns the given outcomes in order and records the waits asked for."""

    def __init__(self, *outcomes: Outcome):
        self.outcomes = list(outcomes)
        self.calls = 0
        self.sleeps: list[float] = []

    def __call__(self) -> Outcome:
        self.calls += 1
        return self.outcomes.pop(0)

    def policy(self, **overrides) -> RetryPolicy:
        return RetryPolicy(**{"sleep": self.sleeps.append, **overrides})


RETRY = Outcome(Kind.UNKNOWN, retry=True, error_code="timeout")
DONE = Outcome(Kind.SUCCEEDED)


def run(script: Script, **overrides) -> Outcome:
    policy = script.policy(**overrides)
    return with_retries(policy, policy.deadline(), script)


def test_retryable_outcomes_are_retried_until_final():
    script = Script(RETRY, RETRY, DONE)
    assert run(script) is DONE
    assert script.calls == 3 and len(script.sleeps) == 2


def test_declines_and_invalid_requests_are_never_retried():
    for final in (Outcome(Kind.DECLINED), Outcome(Kind.FAILED), Outcome(Kind.PROCESSING)):
        script = Script(final)
        assert run(script) is final
        assert script.calls == 1 and script.sleeps == []


def test_tries_stop_at_max_attempts_and_return_the_last_retryable_outcome():
    script = Script(*[RETRY] * 10)
    outcome = run(script, max_attempts=3)
    assert outcome is RETRY and script.calls == 3


def test_backoff_is_capped_exponential_with_full_jitter():
    random.seed(7)
    script = Script(*[RETRY] * 8)
    run(script, max_attempts=8, backoff_base_s=0.5, backoff_cap_s=4.0)
    ceilings = [min(4.0, 0.5 * 2**n) for n in range(7)]
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(script.sleeps, ceilings, strict=True))


def test_retry_after_is_honoured_as_a_minimum_wait():
    limited = Outcome(Kind.RETRYABLE, retry=True, http_status=429, retry_after_s=2.0)
    script = Script(limited, DONE)
    run(script, backoff_base_s=0.001, backoff_cap_s=0.001)
    assert script.sleeps and script.sleeps[0] >= 2.0


def test_a_retry_after_longer_than_allowed_leaves_the_payment_to_the_next_run():
    limited = Outcome(Kind.RETRYABLE, retry=True, http_status=429, retry_after_s=600.0)
    script = Script(limited, DONE)
    assert run(script, max_retry_after_s=60.0) is limited
    assert script.calls == 1 and script.sleeps == []


def test_no_retry_starts_when_its_wait_would_end_past_the_invoice_deadline():
    limited = Outcome(Kind.RETRYABLE, retry=True, http_status=429, retry_after_s=5.0)
    script = Script(limited, DONE)
    assert run(script, deadline_s=1.0) is limited
    assert script.sleeps == []


def test_an_exception_is_a_bug_and_is_raised_not_retried():
    def broken() -> Outcome:
        raise RuntimeError("ledger is gone")

    policy = RetryPolicy(sleep=lambda s: None)
    with pytest.raises(RuntimeError):
        with_retries(policy, policy.deadline(), broken)


# --- keys ------------------------------------------------------------------------------------


def test_keys_derive_from_invoice_and_payment_number_only():
    invoice = "6f1c0a4e9b2d4c7e8f9a0b1c2d3e4f50"
    assert idempotency_key(invoice, 1) == idempotency_key(invoice, 1) == f"ratebook-{invoice}-p1"
    assert idempotency_key(invoice, 2) != idempotency_key(invoice, 1)
    assert payment_id(invoice, 1) == f"pay_{invoice}-p1"


def test_keys_fit_adyens_64_characters_even_for_long_invoice_ids():
    long_id = "one-off-invoice-" + "x" * 80
    key = idempotency_key(long_id, 12)
    assert len(key) <= MAX_KEY_LENGTH and key.endswith("-p12")
    assert key == idempotency_key(long_id, 12)
    assert key != idempotency_key(long_id + "y", 12)


def test_payment_numbers_start_at_one():
    with pytest.raises(ValueError):
        idempotency_key("inv", 0)
