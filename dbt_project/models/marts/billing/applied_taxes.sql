-- Empty until the Taxes issue: it keeps the contract's columns and types.

with

invoices as (
    select
        invoice_id,
        currency
    from {{ ref('int_invoices_assembled') }}
),

final as (
    select
        cast(null as varchar) as applied_tax_id,
        invoice_id,
        cast(null as varchar) as tax_code,
        cast(null as varchar) as tax_name,
        cast(null as {{ type_precise() }}) as tax_rate,
        cast(null as bigint) as taxable_base_amount_cents,
        cast(null as bigint) as amount_cents,
        currency
    from invoices
    where false
)

select * from final
