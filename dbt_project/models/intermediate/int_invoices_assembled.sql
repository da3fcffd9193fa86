-- Every invoice issued before `to` with its totals and statuses:
-- - subscription invoices, one per (customer, currency, billing day), and
--   one-off invoices;
-- - totals in Lago's order (reference/invoicing.md §1): fees - coupons =
--   sub-total excluding taxes; + taxes = sub-total including taxes; - credit
--   notes - prepaid credits = total. Coupons, taxes and prepaid credits are 0
--   until their issues; credit notes from terminations are consumed on
--   finalization (int_credit_notes_applied);
-- - status: finalized once issuing_date + the grace period (customer's, else
--   organization's; none for one-off invoices) is <= as_of, else draft
--   (Customer#applicable_invoice_grace_period, Clock::FinalizeInvoicesJob);
-- - payment_status: pending when there is something to pay, else succeeded;
-- - payment_due_date: issuing_date + net payment term.

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

fees as (
    select
        invoice_id,
        amount_cents
    from {{ ref('int_fees_assembled') }}
),

customers as (
    select
        external_customer_id,
        net_payment_term_days,
        invoice_grace_period_days
    from {{ ref('int_customers_resolved') }}
),

credit_notes_applied as (
    select
        invoice_id,
        credit_notes_amount_cents
    from {{ ref('int_credit_notes_applied') }}
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
),

fees_summed as (
    select
        invoice_id,
        sum(amount_cents) as fees_amount_cents,
        count(*) as fees_count
    from fees
    group by 1
),

invoices_totaled as (
    select
        invoice_headers.invoice_id,
        invoice_headers.invoice_type,
        invoice_headers.external_customer_id,
        invoice_headers.currency,
        invoice_headers.issuing_date,
        invoice_headers.billed_at,
        case
            when invoice_headers.invoice_type = 'subscription'
                then coalesce(customers.invoice_grace_period_days, 0)
            else 0
        end as invoice_grace_period_days,
        coalesce(customers.net_payment_term_days, 0) as net_payment_term_days,
        coalesce(fees_summed.fees_count, 0) as fees_count,
        cast(coalesce(fees_summed.fees_amount_cents, 0) as bigint) as fees_amount_cents,
        cast(0 as bigint) as coupons_amount_cents,
        cast(0 as bigint) as taxes_amount_cents,
        coalesce(credit_notes_applied.credit_notes_amount_cents, 0) as credit_notes_amount_cents,
        cast(0 as bigint) as prepaid_credit_amount_cents
    from invoice_headers
    left join fees_summed
        on invoice_headers.invoice_id = fees_summed.invoice_id
    left join customers
        on invoice_headers.external_customer_id = customers.external_customer_id
    left join credit_notes_applied
        on invoice_headers.invoice_id = credit_notes_applied.invoice_id
),

invoices_computed as (
    select
        *,
        fees_amount_cents - coupons_amount_cents as sub_total_excluding_taxes_amount_cents,
        fees_amount_cents - coupons_amount_cents + taxes_amount_cents
            as sub_total_including_taxes_amount_cents,
        fees_amount_cents - coupons_amount_cents + taxes_amount_cents
        - credit_notes_amount_cents - prepaid_credit_amount_cents as total_amount_cents,
        {{ invoice_finalizes_at('issuing_date', 'invoice_grace_period_days') }} as finalizes_at,
        cast({{ dbt.dateadd('day', 'net_payment_term_days', 'issuing_date') }} as date) as payment_due_date
    from invoices_totaled
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
        case
            when total_amount_cents > 0 then 'pending'
            else 'succeeded'
        end as payment_status
    from invoices_computed
)

select * from invoices_with_statuses
