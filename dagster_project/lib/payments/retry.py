"""The retry policy, on tenacity: which outcomes are retried, how long to wait, when to stop.

- Only outcomes marked `retry` (connect errors, timeouts, resets, 409 in flight, 429,
  5xx, `Stripe-Should-Retry: true`) are retried, always with the same key. Declines
  and invalid requests are final.
- Waits are capped exponential backoff with full jitter
  (`uniform(0, min(cap, base * 2**(n-1)))`), and at least the provider's `Retry-After`.
- A per-invoice deadline bounds the whole invoice (lookups included): no retry starts
  if its wait would end past the deadline, and a `Retry-After` longer than
  `max_retry_after_s` ends the run's tries for that invoice. The payment then stays
  pending with the same key, and the next run picks it up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import tenacity

from dagster_project.lib.payments.outcome import Outcome


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    deadline_s: float = 90.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 20.0
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def deadline(self) -> float:
        """The monotonic instant an invoice started now must be done by."""
        return time.monotonic() + self.deadline_s


def _outcome(state: tenacity.RetryCallState) -> Outcome | None:
    if state.outcome is None or state.outcome.failed:
        return None
    return state.outcome.result()


class _WaitBackoffOrRetryAfter(tenacity.wait.wait_base):
    def __init__(self, policy: RetryPolicy):
        self.jitter = tenacity.wait_random_exponential(
            multiplier=policy.backoff_base_s, max=policy.backoff_cap_s
        )

    def __call__(self, state: tenacity.RetryCallState) -> float:
        backoff = self.jitter(state)
        outcome = _outcome(state)
        if outcome is not None and outcome.retry_after_s is not None:
            return max(backoff, outcome.retry_after_s)
        return backoff


class _StopAtDeadline(tenacity.stop.stop_base):
    def __init__(self, deadline: float):
        self.deadline = deadline

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        return time.monotonic() + (state.upcoming_sleep or 0.0) >= self.deadline


class _StopOnLongRetryAfter(tenacity.stop.stop_base):
    def __init__(self, limit_s: float):
        self.limit_s = limit_s

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        outcome = _outcome(state)
        return bool(outcome and outcome.retry_after_s and outcome.retry_after_s > self.limit_s)


def with_retries(policy: RetryPolicy, deadline: float, attempt: Callable[[], Outcome]) -> Outcome:
    """Calls `attempt` until its outcome is final or the policy stops; returns the last
    outcome (retryable when the tries ran out). Exceptions are bugs: never retried."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda outcome: outcome.retry),
        wait=_WaitBackoffOrRetryAfter(policy),
        stop=(
            tenacity.stop_after_attempt(policy.max_attempts)
            | _StopAtDeadline(deadline)
            | _StopOnLongRetryAfter(policy.max_retry_after_s)
        ),
        sleep=policy.sleep,
        retry_error_callback=lambda state: state.outcome.result(),
        reraise=True,
    )
    return retrying(attempt)
