-- Every void known by as_of, matched to the invoice it names by number
-- (Lago POST /invoices/:id/void, app/services/invoices/void_service.rb).
-- `is_applied`: the invoice exists and was finalized by voided_at; only those
-- voids change anything (status voided, prepaid credits given back:
-- int_wallet_credits_consumed). Every other rule of Lago's Invoice#voidable?
-- (unpaid, no credit note) is checked, with the run failing on a breach, by
-- assert_invoice_voids_name_voidable_invoices.

with

voids as (
    select
        invoice_number,
        voided_at,
        reason,
        source_file
    from {{ ref('stg_raw__invoice_voids') }}
    where voided_at < {{ billing_as_of() }}
),

invoice_numbers as (
    select
        invoice_id,
        number
    from {{ ref('int_invoices_numbered') }}
),

invoices as (
    select
        invoice_id,
        status,
        finalized_at
    from {{ ref('int_invoices_scheduled') }}
),

voids_resolved as (
    select
        voids.invoice_number,
        invoice_numbers.invoice_id,
        voids.voided_at,
        voids.reason,
        voids.source_file,
        invoices.finalized_at,
        coalesce(invoices.status = 'finalized' and invoices.finalized_at <= voids.voided_at, false)
            as is_applied
    from voids
    left join invoice_numbers
        on voids.invoice_number = invoice_numbers.number
    left join invoices
        on invoice_numbers.invoice_id = invoices.invoice_id
)

select * from voids_resolved
