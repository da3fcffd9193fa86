-- Every invoice issued before `to`, before any amount: who, which currency,
-- when it is made and whether it is finalized by `as_of`. The steps of an
-- invoice (coupons, taxes, credit notes, prepaid credits) need the order in
-- which a customer's invoices are finalized before their totals exist.
-- - subscription invoices, one per (customer, currency, billing instant),
--   one-off invoices, and pay-in-advance charge invoices (advance_charges), one
--   per event and charge, made at the event's timestamp
--   (int_charges_in_advance_priced; Lago always finalizes them at once), and
--   credit invoices, one per purchase of prepaid credits, made when bought
--   (int_credit_purchases_invoiced; Lago finalizes them at once too);
-- - status: finalized once issuing_date + the grace period (customer's, else
--   organization's; none for one-off invoices) is <= as_of, else draft
--   (Customer#applicable_invoice_grace_period, Clock::FinalizeInvoicesJob);
-- - finalizing_at: the instant the invoice's credits are taken (Lago applies
--   coupons, credit notes and wallets when it finalizes): the later of the
--   instant it is made and the end of its grace period;
-- - finalization_rank: the order of a customer's finalized invoices of one
--   currency, in which they consume coupons, credit notes and wallets.

with

invoice_subscriptions as (
    select
        invoice_id,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from {{ ref('int_invoice_subscriptions_assembled') }}
),

one_off_invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        issuing_date
    from {{ ref('int_one_off_invoices_resolved') }}
),

in_advance_invoices as (
    select distinct
        invoice_id,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from {{ ref('int_charges_in_advance_priced') }}
    where invoice_id is not null
),

credit_invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from {{ ref('int_credit_purchases_invoiced') }}
),

customers as (
    select
        external_customer_id,
        net_payment_term_days,
        invoice_grace_period_days
    from {{ ref('int_customers_resolved') }}
),

invoice_headers as (
    -- billed_at: the instant the invoice is made (several subscription
    -- invoices can share a day); a one-off invoice at its day's start
    select distinct
        invoice_id,
        'subscription' as invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from invoice_subscriptions
    union all
    select
        invoice_id,
        'one_off' as invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        cast(issuing_date as timestamp) as billed_at
    from one_off_invoices
    union all
    select
        invoice_id,
        'advance_charges' as invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from in_advance_invoices
    union all
    select
        invoice_id,
        'credit' as invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from credit_invoices
),

invoices_with_terms as (
    select
        invoice_headers.*,
        case
            when invoice_headers.invoice_type = 'subscription'
                then coalesce(customers.invoice_grace_period_days, 0)
            else 0
        end as invoice_grace_period_days,
        coalesce(customers.net_payment_term_days, 0) as net_payment_term_days
    from invoice_headers
    left join customers
        on invoice_headers.external_customer_id = customers.external_customer_id
),

invoices_with_finalization as (
    select
        *,
        {{ invoice_finalizes_at('issuing_date', 'invoice_grace_period_days') }} as finalizes_at
    from invoices_with_terms
),

invoices_with_statuses as (
    select
        *,
        case
            when finalizes_at <= {{ billing_as_of() }} then 'finalized'
            else 'draft'
        end as status,
        case
            when finalizes_at <= {{ billing_as_of() }} then finalizes_at
        end as finalized_at,
        greatest(billed_at, finalizes_at) as finalizing_at
    from invoices_with_finalization
),

invoices_ranked as (
    select
        *,
        case
            when status = 'finalized'
                then row_number() over (
                    partition by external_customer_id, currency, status
                    order by finalizing_at, billed_at, invoice_type, invoice_id
                )
        end as finalization_rank
    from invoices_with_statuses
)

select * from invoices_ranked
