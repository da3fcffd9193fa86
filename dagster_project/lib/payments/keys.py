"""Idempotency keys: derived from the invoice and its payment number, never random.

A rerun rebuilds the same key from the ledger, so a resent request is a replay at
the provider, not a second charge. The payment number (`payment_seq`) only moves
on after a payment ended in a definite failure (a decline, an invalid request):
timeouts, 5xx, 429 and crashes always resend the same key.
"""

from __future__ import annotations

import hashlib

PREFIX = "ratebook"
# Adyen's limit is the strictest of the three (GoCardless and Stripe allow more).
MAX_KEY_LENGTH = 64


def idempotency_key(invoice_id: str, payment_seq: int) -> str:
    """`ratebook-<invoice_id>-p<n>`; an invoice id too long for Adyen is replaced by its hash."""
    if payment_seq < 1:
        raise ValueError(f"payment_seq starts at 1, got {payment_seq}")
    suffix = f"-p{payment_seq}"
    key = f"{PREFIX}-{invoice_id}{suffix}"
    if len(key) <= MAX_KEY_LENGTH and invoice_id.isascii() and invoice_id.isprintable():
        return key
    digest = hashlib.sha256(invoice_id.encode()).hexdigest()[:40]
    return f"{PREFIX}-h{digest}{suffix}"


def payment_id(invoice_id: str, payment_seq: int) -> str:
    """The ledger's id for one payment (one idempotency key)."""
    return f"pay_{idempotency_key(invoice_id, payment_seq).removeprefix(PREFIX + '-')}"
