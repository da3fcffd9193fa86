-- Empty until the Coupons and Credit notes issues: it keeps the contract's
-- columns and types.

with

invoices as (
    select
        invoice_id,
        currency
    from {{ ref('int_invoices_assembled') }}
),

final as (
    select
        cast(null as varchar) as credit_id,
        invoice_id,
        cast(null as varchar) as credit_type,
        cast(null as varchar) as code,
        cast(null as bigint) as amount_cents,
        currency
    from invoices
    where false
)

select * from final
