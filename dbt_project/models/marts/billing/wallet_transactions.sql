-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql).
{{ config(post_hook="{{ freeze_finalized() }}") }}

-- Every wallet movement: inbound (granted or purchased credits, at the
-- wallet's creation or a top-up), outbound voids, and outbound consumption
-- by invoices (invoice_id set). A wallet's balance at any date is its
-- inbound minus its outbound amounts up to then, never negative.

with

movements as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        transaction_type,
        transaction_status,
        credits,
        amount_cents,
        currency,
        created_at
    from {{ ref('int_wallet_inbounds_listed') }}
),

consumptions as (
    select
        wallet_credit_id as wallet_transaction_id,
        external_customer_id,
        wallet_code,
        invoice_id,
        'outbound' as transaction_type,
        'invoiced' as transaction_status,
        credits,
        amount_cents,
        currency,
        created_at
    from {{ ref('int_wallet_credits_consumed') }}
),

final as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        invoice_id,
        transaction_type,
        transaction_status as status,
        credits,
        amount_cents,
        currency,
        created_at
    from movements
    union all
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        invoice_id,
        transaction_type,
        transaction_status as status,
        credits,
        amount_cents,
        currency,
        created_at
    from consumptions
)

select * from final
