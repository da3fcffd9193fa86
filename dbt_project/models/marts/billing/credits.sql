-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices only.
{{ config(**frozen_mart_config()) }}

-- Coupon credits (before taxes) and credit-note credits (after taxes), one
-- row per invoice and coupon application or credit note it uses.

with

coupon_credits as (
    select
        coupon_credit_id,
        invoice_id,
        applied_coupon_id,
        coupon_code,
        amount_cents
    from {{ ref('int_coupon_credits_computed') }}
),

credit_note_uses as (
    select
        credit_note_use_id,
        invoice_id,
        credit_note_id,
        amount_cents
    from {{ ref('int_credit_notes_applied') }}
),

credit_notes as (
    select
        credit_note_id,
        number
    from {{ ref('int_credit_notes_resolved') }}
),

invoices as (
    select
        invoice_id,
        currency
    from {{ ref('int_invoices_scheduled') }}
),

credits_unioned as (
    select
        coupon_credit_id as credit_id,
        invoice_id,
        'coupon' as credit_type,
        coupon_code as code,
        applied_coupon_id,
        cast(null as varchar) as credit_note_id,
        true as is_before_taxes,
        amount_cents
    from coupon_credits
    union all
    select
        credit_note_uses.credit_note_use_id as credit_id,
        credit_note_uses.invoice_id,
        'credit_note' as credit_type,
        coalesce(credit_notes.number, credit_note_uses.credit_note_id) as code,
        cast(null as varchar) as applied_coupon_id,
        credit_note_uses.credit_note_id,
        false as is_before_taxes,
        credit_note_uses.amount_cents
    from credit_note_uses
    left join credit_notes
        on credit_note_uses.credit_note_id = credit_notes.credit_note_id
),

final as (
    select
        credits_unioned.credit_id,
        credits_unioned.invoice_id,
        credits_unioned.credit_type,
        credits_unioned.code,
        credits_unioned.applied_coupon_id,
        credits_unioned.credit_note_id,
        credits_unioned.is_before_taxes,
        credits_unioned.amount_cents,
        invoices.currency
    from credits_unioned
    inner join invoices
        on credits_unioned.invoice_id = invoices.invoice_id
)

{{ ledger_mart_rows('final') }}
