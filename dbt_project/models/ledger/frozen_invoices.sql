-- The register of frozen invoices (macros/ledger.sql): every invoice a run
-- finalized, appended once and never changed, with what it was when frozen.
-- This view shows the register table, which is not a dbt model, so neither a
-- rerun nor `dbt build --full-refresh` (the full_refresh config of the
-- Dagster assets) can rebuild it. The post-hook appends this run's newly
-- finalized invoices; it runs after every frozen billing mart (the
-- depends_on lines), so an invoice is registered only once all its rows are
-- in the ledger.
{{
    config(
        materialized='view',
        post_hook="{{ register_finalized_invoices() }}",
    )
}}
-- depends_on: {{ ref('invoices') }}
-- depends_on: {{ ref('invoice_subscriptions') }}
-- depends_on: {{ ref('fees') }}
-- depends_on: {{ ref('applied_taxes') }}
-- depends_on: {{ ref('credits') }}
-- depends_on: {{ ref('wallet_transactions') }}

select
    invoice_id,
    number,
    external_customer_id,
    currency,
    issuing_date,
    total_amount_cents,
    finalized_at,
    frozen_as_of
from {{ ledger_register() }}
