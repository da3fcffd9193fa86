-- A manual credit note (catalog `credit_notes`) must name an invoice billing
-- produced: by `invoice_number` (a finalized invoice's number) or by
-- `invoice_id`. One row per note created before as_of that names none, with
-- the file, the note and the field to fix: the run fails instead of dropping
-- the credit silently. (A note on a draft is fine: it waits for finalization.)
-- Likewise each item must name a fee billing produced.

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

credit_note_items as (
    select
        credit_note_external_id,
        fee_id
    from {{ ref('stg_raw__credit_note_items') }}
),

fees as (
    select fee_id from {{ ref('int_fees_taxed') }}
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
),

unknown_fees as (
    select
        credit_notes.source_file,
        credit_notes.credit_note_external_id,
        'items.fee_id' as field,
        credit_note_items.fee_id as value
    from credit_note_items
    inner join credit_notes
        on credit_note_items.credit_note_external_id = credit_notes.credit_note_external_id
    left join fees
        on credit_note_items.fee_id = fees.fee_id
    where fees.fee_id is null
),

errors as (
    select *, 'no invoice ' as problem from unknown
    union all
    select *, 'no fee ' as problem from unknown_fees
)

select
    source_file || ': credit_notes[external_id=' || credit_note_external_id || '].' || field
    || ': ' || problem || coalesce(value, '(none given)') as error
from errors
