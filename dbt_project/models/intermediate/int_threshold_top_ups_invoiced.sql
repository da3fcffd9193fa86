-- The credit invoice of each top-up the wallet walk decides that buys credits
-- (threshold rules, and interval rules with the target method; granted
-- credits are free and billed nowhere), one row per invoice
-- and its single credit fee, with every total of int_invoices_assembled.
-- The wallet walk (int_wallet_credits_consumed) decides the top-ups, and it
-- comes after every invoice's amounts, so these invoices cannot go through
-- int_invoices_scheduled like the credit invoices of purchases known from
-- the catalog (int_credit_purchases_invoiced); they need nothing of it:
-- Lago (Wallets::ThresholdTopUpService -> WalletTransactions::CreateJob ->
-- Invoices::PaidCreditService, Fees::PaidCreditService) bills them never
-- taxed, without coupons, credit notes or wallet credits, finalized at once.
-- - made 2 seconds after the finalization of the invoice whose consumption
--   triggered the top-up (Lago enqueues the top-up job with wait: 2.seconds),
--   so it is numbered after that invoice; an interval target rule's top-up
--   (no triggering invoice) at the start of its anniversary day; issued that
--   day in the customer's timezone;
-- - the fee: units = paid credits, unit amount = rate_amount, amount = the
--   top-up's paid amount_cents (credits x rate rounded once);
-- - payment status pending (succeeded when there is nothing to pay); due
--   issuing_date + net payment term.
-- Top-ups happen only on finalized invoices, before as_of; an invoice issued
-- on or after `to` (a later local day) waits for a later run.

with

top_ups as (
    select
        wallet_credit_id,
        invoice_id as triggering_invoice_id,
        external_customer_id,
        wallet_id,
        wallet_code,
        currency,
        created_at,
        top_up_paid_credits,
        top_up_paid_amount_cents
    from {{ ref('int_wallet_credits_consumed') }}
    where top_up_paid_credits > 0
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
        timezone,
        net_payment_term_days
    from {{ ref('int_customers_resolved') }}
),

top_ups_dated as (
    select
        top_ups.*,
        wallets.wallet_name,
        wallets.rate_amount,
        customers.net_payment_term_days,
        case
            when top_ups.triggering_invoice_id is null then top_ups.created_at
            else {{ dbt.dateadd('second', 2, 'top_ups.created_at') }}
        end as billed_at,
        {{ local_date(
            'case when top_ups.triggering_invoice_id is null then top_ups.created_at else '
            ~ dbt.dateadd('second', 2, 'top_ups.created_at') ~ ' end',
            'customers.timezone'
        ) }} as issuing_date
    from top_ups
    inner join wallets
        on top_ups.wallet_id = wallets.wallet_id
    inner join customers
        on top_ups.external_customer_id = customers.external_customer_id
),

credit_invoices as (
    select
        {{ surrogate_key(["'threshold_credit'", 'wallet_credit_id']) }} as invoice_id,
        {{ surrogate_key(["'threshold_credit_fee'", 'wallet_credit_id']) }} as credit_fee_id,
        triggering_invoice_id,
        'credit' as invoice_type,
        external_customer_id,
        wallet_id,
        wallet_code,
        coalesce(wallet_name, 'Prepaid credits') as invoice_display_name,
        currency,
        issuing_date,
        cast(billed_at as timestamp) as billed_at,
        0 as invoice_grace_period_days,
        net_payment_term_days,
        top_up_paid_credits as units,
        rate_amount as precise_unit_amount,
        cast(top_up_paid_credits * rate_amount as {{ type_precise() }}) as precise_amount,
        cast(
            top_up_paid_credits * rate_amount * {{ currency_subunit_to_unit('currency') }}
            as {{ type_precise() }}
        ) as precise_amount_cents,
        top_up_paid_amount_cents as amount_cents,
        {{ invoice_finalizes_at('issuing_date', '0') }} as finalizes_at,
        'finalized' as status,
        {{ invoice_finalizes_at('issuing_date', '0') }} as finalized_at,
        cast({{ dbt.dateadd('day', 'net_payment_term_days', 'issuing_date') }} as date) as payment_due_date,
        case when top_up_paid_amount_cents > 0 then 'pending' else 'succeeded' end as payment_status
    from top_ups_dated
    where issuing_date < {{ billing_to_date() }}
)

select * from credit_invoices
