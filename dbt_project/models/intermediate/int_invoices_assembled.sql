-- Every invoice issued before `to` with its totals and statuses, the last
-- step of Lago's order (reference/invoicing.md §1): fees - coupons = sub-total
-- excluding taxes; + taxes = sub-total including taxes (int_invoices_taxed);
-- - credit notes (int_credit_notes_applied) - prepaid credits
-- (int_wallet_credits_consumed) = total, never below zero (each credit is
-- capped at what is left), and the credit invoices of threshold top-ups
-- (int_threshold_top_ups_invoiced), which the wallet walk decides. Statuses
-- come from int_invoices_scheduled:
-- - payment_status: pending when there is something to pay, else succeeded;
-- - payment_due_date: issuing_date + net payment term.

with

invoices as (
    select * from {{ ref('int_invoices_taxed') }}
),

credit_note_uses as (
    select
        invoice_id,
        sum(amount_cents) as credit_notes_amount_cents
    from {{ ref('int_credit_notes_applied') }}
    group by 1
),

wallet_credits as (
    select
        invoice_id,
        sum(amount_cents) as prepaid_credit_amount_cents
    from {{ ref('int_wallet_credits_consumed') }}
    group by 1
),

threshold_credit_invoices as (
    select * from {{ ref('int_threshold_top_ups_invoiced') }}
),

invoices_totaled as (
    select
        invoices.invoice_id,
        invoices.invoice_type,
        invoices.external_customer_id,
        invoices.currency,
        invoices.issuing_date,
        invoices.billed_at,
        invoices.invoice_grace_period_days,
        invoices.net_payment_term_days,
        invoices.fees_count,
        invoices.fees_amount_cents,
        invoices.coupons_amount_cents,
        invoices.sub_total_excluding_taxes_amount_cents,
        invoices.taxes_amount_cents,
        invoices.taxes_rate,
        invoices.sub_total_including_taxes_amount_cents,
        cast(coalesce(credit_note_uses.credit_notes_amount_cents, 0) as bigint) as credit_notes_amount_cents,
        cast(coalesce(wallet_credits.prepaid_credit_amount_cents, 0) as bigint) as prepaid_credit_amount_cents,
        invoices.finalizes_at,
        invoices.status,
        invoices.finalized_at
    from invoices
    left join credit_note_uses
        on invoices.invoice_id = credit_note_uses.invoice_id
    left join wallet_credits
        on invoices.invoice_id = wallet_credits.invoice_id
),

invoices_computed as (
    select
        *,
        sub_total_including_taxes_amount_cents
        - credit_notes_amount_cents - prepaid_credit_amount_cents as total_amount_cents,
        cast({{ dbt.dateadd('day', 'net_payment_term_days', 'issuing_date') }} as date) as payment_due_date
    from invoices_totaled
),

invoices_with_payment_statuses as (
    select
        *,
        case
            when total_amount_cents > 0 then 'pending'
            else 'succeeded'
        end as payment_status
    from invoices_computed
),

invoices_unioned as (
    select * from invoices_with_payment_statuses
    union all
    -- the credit invoices of threshold top-ups, decided by the wallet walk:
    -- one untaxed credit fee, nothing deducted
    select
        invoice_id,
        invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at,
        invoice_grace_period_days,
        net_payment_term_days,
        cast(1 as bigint) as fees_count,
        amount_cents as fees_amount_cents,
        cast(0 as bigint) as coupons_amount_cents,
        amount_cents as sub_total_excluding_taxes_amount_cents,
        cast(0 as bigint) as taxes_amount_cents,
        cast(0 as {{ type_precise() }}) as taxes_rate,
        amount_cents as sub_total_including_taxes_amount_cents,
        cast(0 as bigint) as credit_notes_amount_cents,
        cast(0 as bigint) as prepaid_credit_amount_cents,
        finalizes_at,
        status,
        finalized_at,
        amount_cents as total_amount_cents,
        payment_due_date,
        payment_status
    from threshold_credit_invoices
)

select * from invoices_unioned
