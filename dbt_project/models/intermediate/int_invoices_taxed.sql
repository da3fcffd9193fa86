-- Every invoice up to its tax-inclusive sub-total, Lago's order
-- (reference/invoicing.md §1, app/services/invoices/compute_amounts_from_fees.rb):
-- fees_amount_cents = the sum of the rounded fee amounts; coupons = the
-- coupon credits (int_coupon_credits_computed); sub-total excluding taxes =
-- fees - coupons; taxes = the unrounded tax amounts of the invoice's taxes
-- summed, rounded once (app/services/invoices/apply_taxes_service.rb);
-- sub-total including taxes = sub-total excluding taxes + taxes. Credit
-- notes and prepaid credits come next, on this tax-inclusive amount.
-- taxes_rate: each tax's rate weighted by its base over the sub-total
-- excluding taxes, 5 decimals (Lago invoice.taxes_rate).

with

invoices as (
    select * from {{ ref('int_invoices_scheduled') }}
),

fees as (
    select
        invoice_id,
        amount_cents
    from {{ ref('int_fees_taxed') }}
),

coupon_credits as (
    select
        invoice_id,
        amount_cents
    from {{ ref('int_coupon_credits_computed') }}
),

invoice_taxes as (
    select
        invoice_id,
        tax_rate,
        precise_taxable_base_amount_cents,
        precise_amount_cents
    from {{ ref('int_invoice_taxes_computed') }}
),

fees_summed as (
    select
        invoice_id,
        cast(sum(amount_cents) as bigint) as fees_amount_cents,
        count(*) as fees_count
    from fees
    group by 1
),

coupons_summed as (
    select
        invoice_id,
        cast(sum(amount_cents) as bigint) as coupons_amount_cents
    from coupon_credits
    group by 1
),

taxes_summed as (
    select
        invoice_id,
        cast(round(sum(precise_amount_cents), 0) as bigint) as taxes_amount_cents,
        cast(sum(cast(tax_rate * precise_taxable_base_amount_cents as {{ type_precise() }})) as {{ type_precise() }})
            as weighted_taxes_rate
    from invoice_taxes
    group by 1
),

invoices_taxed as (
    select
        invoices.*,
        coalesce(fees_summed.fees_count, 0) as fees_count,
        coalesce(fees_summed.fees_amount_cents, 0) as fees_amount_cents,
        coalesce(coupons_summed.coupons_amount_cents, 0) as coupons_amount_cents,
        coalesce(fees_summed.fees_amount_cents, 0) - coalesce(coupons_summed.coupons_amount_cents, 0)
            as sub_total_excluding_taxes_amount_cents,
        coalesce(taxes_summed.taxes_amount_cents, 0) as taxes_amount_cents,
        coalesce(fees_summed.fees_amount_cents, 0) - coalesce(coupons_summed.coupons_amount_cents, 0)
        + coalesce(taxes_summed.taxes_amount_cents, 0) as sub_total_including_taxes_amount_cents,
        coalesce(
            round(
                {{ divide_decimal(
                    'taxes_summed.weighted_taxes_rate',
                    'coalesce(fees_summed.fees_amount_cents, 0) - coalesce(coupons_summed.coupons_amount_cents, 0)'
                ) }},
                5
            ),
            0
        ) as taxes_rate
    from invoices
    left join fees_summed
        on invoices.invoice_id = fees_summed.invoice_id
    left join coupons_summed
        on invoices.invoice_id = coupons_summed.invoice_id
    left join taxes_summed
        on invoices.invoice_id = taxes_summed.invoice_id
)

select * from invoices_taxed
