-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql).
{{ config(post_hook="{{ freeze_finalized() }}") }}

-- Every wallet movement: inbound (granted or purchased credits, at the
-- wallet's creation or a top-up), outbound voids, outbound consumption by
-- invoices (invoice_id set), and inbound re-credits of what a voided invoice
-- consumed (status recredited, at voided_at; invoice_id null, as the invoice's
-- own rows stay as they were frozen). A wallet's balance at any date is its
-- inbound minus its outbound amounts up to then, never negative.

with

movements as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        transaction_type,
        transaction_status as status,
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
        'invoiced' as status,
        credits,
        amount_cents,
        currency,
        created_at
    from {{ ref('int_wallet_credits_consumed') }}
),

recredits as (
    select
        {{ surrogate_key(["'recredit'", 'wallet_credit_id']) }} as wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        'inbound' as transaction_type,
        'recredited' as status,
        credits,
        amount_cents,
        currency,
        recredited_at as created_at
    from {{ ref('int_wallet_credits_consumed') }}
    where recredited_at is not null
),

final as (
    select * from movements
    union all
    select * from consumptions
    union all
    select * from recredits
)

select * from final
