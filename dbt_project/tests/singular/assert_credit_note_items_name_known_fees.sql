-- Warns, one row per item of a manual credit note (catalog `credit_notes`)
-- that names no fee billing produced (the note's credit and refund amounts
-- still apply; only its breakdown by fee is missing), with the file, the note
-- and the field to fix. A fee id comes from billing.fees.fee_id.
{{ config(severity='warn', store_failures=true) }}

with

credit_notes as (
    select
        credit_note_external_id,
        source_file
    from {{ ref('stg_raw__credit_notes') }}
    where created_at < {{ billing_as_of() }}
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

unknown_fees as (
    select
        credit_notes.source_file,
        credit_notes.credit_note_external_id,
        credit_note_items.fee_id
    from credit_note_items
    inner join credit_notes
        on credit_note_items.credit_note_external_id = credit_notes.credit_note_external_id
    left join fees
        on credit_note_items.fee_id = fees.fee_id
    where fees.fee_id is null
)

select
    source_file || ': credit_notes[external_id=' || credit_note_external_id
    || '].items.fee_id: no fee ' || fee_id as warning
from unknown_fees
