-- Every invoice adds up in Lago's order (reference/invoicing.md §1):
-- fees_amount_cents = the sum of its fees' amount_cents, and
-- total = fees - coupons + taxes - credit notes - prepaid credits, with the
-- sub-totals in between and no negative total. Returns the invoices that
-- do not.
{{ config(meta={'dagster': {'ref': {'name': 'invoices'}}}) }}

with

invoices as (
    select * from {{ ref('invoices') }}
),

fees as (
    select
        invoice_id,
        sum(amount_cents) as fees_amount_cents
    from {{ ref('fees') }}
    group by 1
),

invoices_compared_to_fees as (
    select
        invoices.invoice_id,
        invoices.number,
        invoices.fees_amount_cents,
        coalesce(fees.fees_amount_cents, 0) as summed_fees_amount_cents,
        invoices.coupons_amount_cents,
        invoices.sub_total_excluding_taxes_amount_cents,
        invoices.taxes_amount_cents,
        invoices.sub_total_including_taxes_amount_cents,
        invoices.credit_notes_amount_cents,
        invoices.prepaid_credit_amount_cents,
        invoices.total_amount_cents
    from invoices
    left join fees
        on invoices.invoice_id = fees.invoice_id
),

mismatches as (
    -- a null anywhere is a mismatch too
    select *
    from invoices_compared_to_fees
    where not coalesce(
        fees_amount_cents = summed_fees_amount_cents
        and sub_total_excluding_taxes_amount_cents = fees_amount_cents - coupons_amount_cents
        and sub_total_including_taxes_amount_cents
        = sub_total_excluding_taxes_amount_cents + taxes_amount_cents
        and total_amount_cents
        = fees_amount_cents - coupons_amount_cents + taxes_amount_cents
        - credit_notes_amount_cents - prepaid_credit_amount_cents
        and total_amount_cents >= 0,
        false
    )
)

select * from mismatches
