"""The ledger's tables in the warehouse schema `payments` (dbt never writes this schema).

- `payments.payments`: one row per payment, i.e. per idempotency key, with its frozen
  request and state. `open_lock` (UNIQUE) holds the invoice id while the payment is
  pending, processing or succeeded: at most one open payment per invoice.
- `payments.attempts`: one row per call to a provider (CONTRACT §3 columns first).
- `payments.invoice_payment_status`: the view dbt's `billing.invoices` joins.
"""

SCHEMA_SQL = [
    "create schema if not exists payments",
    """
    create table if not exists payments.payments (
        payment_id varchar primary key,
        invoice_id varchar not null,
        payment_seq integer not null,
        provider varchar not null,
        idempotency_key varchar not null unique,
        external_customer_id varchar,
        provider_customer_id varchar not null,
        payment_method_id varchar not null,
        amount_cents bigint not null,
        currency varchar not null,
        request_path varchar not null,
        request_body varchar not null,
        request_content_type varchar not null,
        request_fingerprint varchar not null,
        state varchar not null,
        invoice_payment_status varchar not null,
        provider_payment_id varchar,
        provider_status varchar,
        error_code varchar,
        decline_code varchar,
        error_message varchar,
        open_lock varchar unique,
        created_at timestamp not null,
        updated_at timestamp not null,
        unique (invoice_id, payment_seq)
    )
    """,
    """
    create table if not exists payments.attempts (
        attempt_id varchar primary key,
        invoice_id varchar not null,
        provider varchar not null,
        idempotency_key varchar not null,
        attempt integer not null,
        operation varchar not null,
        payment_id varchar not null,
        run_id varchar,
        requested_at timestamp not null,
        finished_at timestamp,
        http_status integer,
        outcome varchar not null,
        provider_payment_id varchar,
        provider_status varchar,
        error_type varchar,
        error_code varchar,
        decline_code varchar,
        error_message varchar,
        retry_after_s decimal(10, 3),
        replayed boolean,
        provider_request_id varchar,
        request_fingerprint varchar,
        unique (idempotency_key, attempt)
    )
    """,
    # Point lookups by invoice and by key stay index scans as the ledger grows.
    "create index if not exists payments_by_invoice on payments.payments (invoice_id)",
    "create index if not exists attempts_by_key on payments.attempts (idempotency_key)",
    # The latest payment of each invoice decides its payment_status; billing.invoices
    # left-joins this view (docs/payments.md).
    """
    create or replace view payments.invoice_payment_status as
    with

    payments_ranked as (
        select
            invoice_id,
            invoice_payment_status,
            updated_at,
            row_number() over (partition by invoice_id order by payment_seq desc) as recency
        from payments.payments
    ),

    latest_payments as (
        select
            invoice_id,
            invoice_payment_status as payment_status,
            updated_at
        from payments_ranked
        where recency = 1
    )

    select * from latest_payments
    """,
]
