-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices only.
{{ config(**frozen_mart_config()) }}

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

{{ ledger_mart_rows('final') }}
