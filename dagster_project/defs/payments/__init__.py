"""Collection: the push to payment providers and its resources (lib/payments has the logic)."""
