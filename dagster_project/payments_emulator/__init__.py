"""A local emulator of Stripe, GoCardless and Adyen for tests, the demo and the benchmark.

A real HTTP server on 127.0.0.1 speaking the providers' request and response shapes, with
an idempotency store per provider and injectable faults (reference/payments.md C.6).

    python -m dagster_project.payments_emulator --port 12111
"""

from dagster_project.payments_emulator.server import Emulator

__all__ = ["Emulator"]
