-- One row per invoice and tax (billing.applied_taxes). Lago
-- app/services/invoices/apply_taxes_service.rb (reference/invoicing.md §2):
-- per tax, the unrounded sum over the invoice's fees of (fee amount - fee
-- coupons) x rate / 100, rounded once for the applied tax; the invoice's
-- taxes_amount_cents is the sum of the unrounded amounts of its taxes
-- rounded once (int_invoices_assembled), neither the sum of rounded fee
-- taxes nor of rounded applied taxes. taxable_base_amount_cents is the
-- fees' base after coupons, rounded.

with

fee_taxes as (
    select * from {{ ref('int_fee_taxes_resolved') }}
),

invoice_taxes as (
    select
        {{ surrogate_key(['invoice_id', 'tax_code']) }} as applied_tax_id,
        invoice_id,
        tax_code,
        any_value(tax_name) as tax_name,
        any_value(tax_rate) as tax_rate,
        any_value(currency) as currency,
        cast(sum(precise_base_amount_cents) as {{ type_precise() }}) as precise_taxable_base_amount_cents,
        cast(sum(precise_amount_cents) as {{ type_precise() }}) as precise_amount_cents
    from fee_taxes
    group by invoice_id, tax_code
),

invoice_taxes_rounded as (
    select
        *,
        cast(round(precise_taxable_base_amount_cents, 0) as bigint) as taxable_base_amount_cents,
        cast(round(precise_amount_cents, 0) as bigint) as amount_cents
    from invoice_taxes
)

select * from invoice_taxes_rounded
