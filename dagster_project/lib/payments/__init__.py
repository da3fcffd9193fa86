"""Collection: pushing finalized invoices to Stripe, GoCardless and Adyen, exactly once.

Pure helpers and the push engine, no Dagster objects (those are in `defs/payments`):

- `candidates`  the invoices to collect, read from billing.invoices and raw.customers
- `keys`        idempotency keys derived from (invoice, payment number)
- `outcome`     what a provider call came to; payment and invoice statuses
- `calls`       one HTTP call, timed, transport errors turned into outcomes; frozen bodies
- `gateway`, `stripe`, `gocardless`, `adyen`   request building and classification
- `retry`       the retry policy (tenacity): which outcomes, how long, how often
- `schema`, `group_commit`, `ledger`   payments.payments and payments.attempts
- `push`        the engine: claim, write ahead, send, record, settle
- `report`      the run's summary for the asset metadata

docs/payments.md is the operator's view; reference/payments.md Part C the design.
"""
