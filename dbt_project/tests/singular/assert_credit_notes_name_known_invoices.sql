-- A manual credit note (catalog `credit_notes`) must name an invoice billing
-- produced: by `invoice_number` (a finalized invoice's number) or by
-- `invoice_id`. One row per note created before as_of that names none, with
-- the file, the note and the field to fix: the run fails instead of dropping
-- the credit silently. (A note on a draft is fine: it waits for finalization.)
-- An item naming an unknown fee only warns: the note's amounts still apply
-- (assert_credit_note_items_name_known_fees).

{{ config(store_failures=true) }}

with

credit_notes as (
    select
        credit_note_external_id,
        invoice_number,
        invoice_id,
        source_file,
        created_at
    from {{ ref('stg_raw__credit_notes') }}
    where created_at < {{ billing_as_of() }}
),

invoices as (
    select invoice_id from {{ ref('int_invoices_scheduled') }}
),

invoice_numbers as (
    select number from {{ ref('int_invoices_numbered') }}
),

unknown as (
    select
        credit_notes.source_file,
        credit_notes.credit_note_external_id,
        case
            when credit_notes.invoice_id is not null then 'invoice_id'
            else 'invoice_number'
        end as field,
        coalesce(credit_notes.invoice_id, credit_notes.invoice_number) as value
    from credit_notes
    left join invoices
        on credit_notes.invoice_id = invoices.invoice_id
    left join invoice_numbers
        on credit_notes.invoice_number = invoice_numbers.number
    where invoices.invoice_id is null
        and invoice_numbers.number is null
)

select
    source_file || ': credit_notes[external_id=' || credit_note_external_id || '].' || field
    || ': no invoice ' || coalesce(value, '(none given)') as error
from unknown
