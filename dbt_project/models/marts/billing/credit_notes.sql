with

credit_notes as (
    select * from {{ ref('int_credit_notes_resolved') }}
),

manual_credit_notes as (
    select
        credit_note_id,
        credit_note_external_id
    from {{ ref('int_manual_credit_notes_resolved') }}
),

credit_note_uses as (
    select
        credit_note_id,
        sum(amount_cents) as consumed_amount_cents
    from {{ ref('int_credit_notes_applied') }}
    group by 1
),

final as (
    select
        credit_notes.credit_note_id,
        credit_notes.number,
        manual_credit_notes.credit_note_external_id,
        credit_notes.invoice_id,
        credit_notes.external_customer_id,
        credit_notes.reason,
        credit_notes.is_automatic,
        'finalized' as status,
        credit_notes.issued_at,
        credit_notes.issuing_date,
        credit_notes.sub_total_excluding_taxes_amount_cents,
        credit_notes.coupons_adjustment_amount_cents,
        credit_notes.taxes_amount_cents,
        credit_notes.total_amount_cents,
        credit_notes.credit_amount_cents,
        credit_notes.refund_amount_cents,
        cast(coalesce(credit_note_uses.consumed_amount_cents, 0) as bigint) as consumed_amount_cents,
        cast(
            credit_notes.credit_amount_cents - coalesce(credit_note_uses.consumed_amount_cents, 0)
            as bigint
        ) as balance_amount_cents,
        credit_notes.currency
    from credit_notes
    left join manual_credit_notes
        on credit_notes.credit_note_id = manual_credit_notes.credit_note_id
    left join credit_note_uses
        on credit_notes.credit_note_id = credit_note_uses.credit_note_id
)

select * from final
