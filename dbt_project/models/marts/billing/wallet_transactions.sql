-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices only.
{{ config(**frozen_mart_config()) }}

-- Every wallet movement: inbound (granted or purchased credits, at the
-- wallet's creation or a top-up), outbound voids, outbound consumption by
-- invoices (invoice_id set), and inbound re-credits of what a voided invoice
-- consumed (status recredited, at voided_at; invoice_id null, as the invoice's
-- own rows stay as they were frozen), and the top-ups of threshold rules
-- (granted or purchased, at the finalization of the invoice whose
-- consumption triggered them). Purchased credits that wait for a successful
-- payment appear when it succeeds. A wallet's balance at any date is its
-- inbound minus its outbound amounts up to then, never negative.

with

movements as (
    -- purchased credits waiting for their credit invoice's payment are not in
    -- the wallet yet: they come in when it succeeds (settled_at)
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
        settled_at as created_at
    from {{ ref('int_wallet_inbounds_settled') }}
    -- an interval target rule's anniversary is not a movement: what it buys is
    -- a top-up of the wallet walk (threshold_top_ups below)
    where settled_at is not null and transaction_status is distinct from 'target_top_up'
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
    where amount_cents > 0
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

threshold_top_ups as (
    -- the credits a threshold rule adds when an invoice's consumption leaves
    -- the wallet at or below its threshold, at that invoice's finalization,
    -- and those an interval target rule buys on its anniversary
    select
        {{ surrogate_key(["'threshold_top_up'", 'wallet_credit_id', "'granted'"]) }} as wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        'inbound' as transaction_type,
        'granted' as status,
        top_up_granted_credits as credits,
        top_up_granted_amount_cents as amount_cents,
        currency,
        created_at
    from {{ ref('int_wallet_credits_consumed') }}
    where top_up_granted_credits > 0
    union all
    select
        {{ surrogate_key(["'threshold_top_up'", 'wallet_credit_id', "'purchased'"]) }} as wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        'inbound' as transaction_type,
        'purchased' as status,
        top_up_paid_credits as credits,
        top_up_paid_amount_cents as amount_cents,
        currency,
        created_at
    from {{ ref('int_wallet_credits_consumed') }}
    where top_up_paid_credits > 0
),

final as (
    select * from movements
    union all
    select * from consumptions
    union all
    select * from recredits
    union all
    select * from threshold_top_ups
)

{{ ledger_mart_rows('final') }}
