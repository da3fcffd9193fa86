-- A void, a credit note or a payment status set by hand names an invoice by
-- number. Those references resolve against int_invoices_numbered, which the
-- wallet walk needs and which therefore cannot count the credit invoices of
-- threshold top-ups (the walk decides them); billing.invoices shows
-- int_invoice_numbers_assigned, which does. Both agree for every invoice
-- frozen in the ledger (a nightly run freezes each invoice with the number
-- shown) and for every customer without threshold top-ups. In a single run
-- that finalizes a threshold top-up's credit invoice and a later invoice
-- named by a reference, the number shown and the number resolved could name
-- two invoices: the run fails, naming the reference, instead of voiding,
-- crediting or settling the wrong invoice. Remedy: run up to the top-up
-- first (its numbers are then frozen), then add the reference.

{{ config(store_failures=true) }}

with

references_by_number as (
    select
        source_file,
        'invoice_voids' as kind,
        invoice_number
    from {{ ref('stg_raw__invoice_voids') }}
    where voided_at < {{ billing_as_of() }}
    union all
    select
        source_file,
        'credit_notes',
        invoice_number
    from {{ ref('stg_raw__credit_notes') }}
    where invoice_number is not null
    union all
    select
        source_file,
        'payment_status_updates',
        invoice_number
    from {{ ref('stg_raw__payment_status_updates') }}
    where updated_at < {{ billing_as_of() }}
),

resolved as (
    select
        references_by_number.*,
        before_walk.invoice_id as resolved_invoice_id,
        shown.invoice_id as shown_invoice_id
    from references_by_number
    left join {{ ref('int_invoices_numbered') }} as before_walk
        on references_by_number.invoice_number = before_walk.number
    left join {{ ref('int_invoice_numbers_assigned') }} as shown
        on references_by_number.invoice_number = shown.number
)

select
    source_file || ': ' || kind || '[invoice_number=' || invoice_number || '].invoice_number: '
    || 'this number moved to another invoice when a threshold top-up''s credit invoice took its place '
    || 'in the same run; bill up to the top-up first, then name the invoice' as error
from resolved
where resolved_invoice_id is distinct from shown_invoice_id
