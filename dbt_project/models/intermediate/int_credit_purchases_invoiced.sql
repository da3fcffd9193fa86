-- One credit invoice per purchase of prepaid credits known from the catalog:
-- a wallet's paid_credits at its creation, a wallet transaction's
-- paid_credits and the paid credits of each fixed interval top-up
-- (int_wallet_inbounds_listed, status purchased). Lago:
-- app/services/invoices/paid_credit_service.rb and
-- app/services/fees/paid_credit_service.rb:
-- - invoice_type credit, made when the credits are bought (billed_at), issued
--   on that day in the customer's timezone, finalized at once (no grace period);
-- - one fee of fee_type credit: units = the credits bought, unit amount = the
--   wallet's rate_amount, amount = credits x rate_amount rounded once in the
--   wallet currency's minor units (the movement's amount_cents);
-- - never taxed ("it can be considered as an advance"), no coupon, no credit
--   note, no wallet credit (int_coupon_credits_computed,
--   int_credit_notes_applied and int_wallet_credits_consumed take subscription
--   invoices only; int_fee_taxes_resolved skips credit fees).
-- Purchases issued before `to` and made before as_of, like every invoice.
-- The paid credits of threshold top-ups depend on the wallet walk, downstream
-- of every invoice here: see int_threshold_top_ups_invoiced.

with

purchases as (
    select
        wallet_transaction_id,
        credit_invoice_id,
        wallet_id,
        external_customer_id,
        wallet_code,
        currency,
        credits,
        amount_cents,
        created_at
    from {{ ref('int_wallet_inbounds_listed') }}
    where transaction_status = 'purchased'
),

wallets as (
    select
        wallet_id,
        wallet_name,
        rate_amount
    from {{ ref('stg_raw__wallets') }}
),

customers as (
    select
        external_customer_id,
        timezone
    from {{ ref('int_customers_resolved') }}
),

purchases_dated as (
    select
        purchases.credit_invoice_id as invoice_id,
        {{ surrogate_key(["'credit_fee'", 'purchases.wallet_transaction_id']) }} as credit_fee_id,
        purchases.wallet_transaction_id,
        purchases.wallet_id,
        purchases.external_customer_id,
        purchases.wallet_code,
        coalesce(wallets.wallet_name, 'Prepaid credits') as invoice_display_name,
        purchases.currency,
        purchases.credits as units,
        wallets.rate_amount as precise_unit_amount,
        cast(purchases.credits * wallets.rate_amount as {{ type_precise() }}) as precise_amount,
        cast(
            purchases.credits * wallets.rate_amount * {{ currency_subunit_to_unit('purchases.currency') }}
            as {{ type_precise() }}
        ) as precise_amount_cents,
        purchases.amount_cents,
        purchases.created_at as billed_at,
        {{ local_date('purchases.created_at', 'customers.timezone') }} as issuing_date
    from purchases
    inner join wallets
        on purchases.wallet_id = wallets.wallet_id
    inner join customers
        on purchases.external_customer_id = customers.external_customer_id
    where purchases.created_at < {{ billing_as_of() }}
),

credit_invoices as (
    select * from purchases_dated
    where issuing_date < {{ billing_to_date() }}
)

select * from credit_invoices
