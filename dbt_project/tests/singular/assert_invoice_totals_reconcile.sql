-- Every invoice adds up in Lago's order (reference/invoicing.md §1):
-- total = fees - coupons + taxes - credit notes - prepaid credits, with the
-- sub-totals in between and no negative total, and each term ties to the
-- table that details it:
-- - fees_amount_cents = the sum of its fees' amount_cents;
-- - coupons_amount_cents = its coupon rows of billing.credits, and the
--   coupons spread on its fees add up to them (to a cent per fee, the
--   shares being kept to 5 decimals);
-- - taxes_amount_cents = its applied taxes' unrounded amounts summed and
--   rounded once (so within one cent per tax of their rounded sum);
-- - credit_notes_amount_cents = its credit-note rows of billing.credits;
-- - prepaid_credit_amount_cents = its outbound invoiced wallet transactions.
-- Drafts and one-off invoices carry no coupons, credit notes or prepaid
-- credits. Returns the invoices that do not.
{{ config(meta={'dagster': {'ref': {'name': 'invoices'}}}) }}

with

invoices as (
    select * from {{ ref('invoices') }}
),

fees as (
    select
        invoice_id,
        sum(amount_cents) as fees_amount_cents,
        sum(precise_coupons_amount) as precise_coupons_amount,
        count(*) as fees_count
    from {{ ref('fees') }}
    -- a pay-in-advance fee recorded without an invoice belongs to none
    where invoice_id is not null
    group by 1
),

credits as (
    select
        invoice_id,
        sum(case when credit_type = 'coupon' then amount_cents else 0 end) as coupons_amount_cents,
        sum(case when credit_type = 'credit_note' then amount_cents else 0 end)
            as credit_notes_amount_cents
    from {{ ref('credits') }}
    group by 1
),

applied_taxes as (
    select
        invoice_id,
        round(sum(precise_amount_cents), 0) as taxes_amount_cents,
        count(*) as taxes_count
    from {{ ref('applied_taxes') }}
    group by 1
),

wallet_consumption as (
    select
        invoice_id,
        sum(amount_cents) as prepaid_credit_amount_cents
    from {{ ref('wallet_transactions') }}
    where transaction_type = 'outbound' and invoice_id is not null
    group by 1
),

invoices_compared as (
    select
        invoices.invoice_id,
        invoices.number,
        invoices.invoice_type,
        invoices.status,
        invoices.currency,
        invoices.fees_amount_cents,
        coalesce(fees.fees_amount_cents, 0) as summed_fees_amount_cents,
        invoices.coupons_amount_cents,
        coalesce(credits.coupons_amount_cents, 0) as summed_coupons_amount_cents,
        coalesce(fees.precise_coupons_amount, 0) as spread_coupons_amount,
        coalesce(fees.fees_count, 0) as fees_count,
        invoices.sub_total_excluding_taxes_amount_cents,
        invoices.taxes_amount_cents,
        coalesce(applied_taxes.taxes_amount_cents, 0) as summed_taxes_amount_cents,
        invoices.sub_total_including_taxes_amount_cents,
        invoices.credit_notes_amount_cents,
        coalesce(credits.credit_notes_amount_cents, 0) as summed_credit_notes_amount_cents,
        invoices.prepaid_credit_amount_cents,
        coalesce(wallet_consumption.prepaid_credit_amount_cents, 0) as summed_prepaid_credit_amount_cents,
        invoices.total_amount_cents
    from invoices
    left join fees
        on invoices.invoice_id = fees.invoice_id
    left join credits
        on invoices.invoice_id = credits.invoice_id
    left join applied_taxes
        on invoices.invoice_id = applied_taxes.invoice_id
    left join wallet_consumption
        on invoices.invoice_id = wallet_consumption.invoice_id
),

mismatches as (
    -- a null anywhere is a mismatch too
    select *
    from invoices_compared
    where not coalesce(
        fees_amount_cents = summed_fees_amount_cents
        and coupons_amount_cents = summed_coupons_amount_cents
        and abs(
            spread_coupons_amount * {{ currency_subunit_to_unit('currency') }} - coupons_amount_cents
        ) <= fees_count
        and taxes_amount_cents = summed_taxes_amount_cents
        and credit_notes_amount_cents = summed_credit_notes_amount_cents
        and prepaid_credit_amount_cents = summed_prepaid_credit_amount_cents
        and sub_total_excluding_taxes_amount_cents = fees_amount_cents - coupons_amount_cents
        and sub_total_including_taxes_amount_cents
        = sub_total_excluding_taxes_amount_cents + taxes_amount_cents
        and total_amount_cents
        = fees_amount_cents - coupons_amount_cents + taxes_amount_cents
        - credit_notes_amount_cents - prepaid_credit_amount_cents
        and total_amount_cents >= 0
        and (
            (status in ('finalized', 'voided') and invoice_type in ('subscription', 'advance_charges'))
            or coupons_amount_cents + credit_notes_amount_cents + prepaid_credit_amount_cents = 0
        ),
        false
    )
)

select * from mismatches
