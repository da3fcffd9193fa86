-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql).
{{ config(post_hook="{{ freeze_finalized() }}") }}

with

invoice_taxes as (
    select * from {{ ref('int_invoice_taxes_computed') }}
),

final as (
    select
        applied_tax_id,
        invoice_id,
        tax_code,
        tax_name,
        tax_rate,
        taxable_base_amount_cents,
        amount_cents,
        precise_amount_cents,
        currency
    from invoice_taxes
)

select * from final
