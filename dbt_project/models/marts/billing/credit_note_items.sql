with

termination_items as (
    select
        credit_note_id,
        subscription_fee_id as fee_id,
        amount_cents
    from {{ ref('int_credit_notes_computed') }}
),

manual_credit_notes as (
    select
        credit_note_id,
        credit_note_external_id
    from {{ ref('int_manual_credit_notes_resolved') }}
),

manual_items as (
    select
        credit_note_external_id,
        fee_id,
        amount_cents
    from {{ ref('stg_raw__credit_note_items') }}
),

items_unioned as (
    select * from termination_items
    union all
    select
        manual_credit_notes.credit_note_id,
        manual_items.fee_id,
        manual_items.amount_cents
    from manual_items
    inner join manual_credit_notes
        on manual_items.credit_note_external_id = manual_credit_notes.credit_note_external_id
),

final as (
    select
        {{ surrogate_key(['credit_note_id', 'fee_id']) }} as credit_note_item_id,
        credit_note_id,
        fee_id,
        cast(sum(amount_cents) as bigint) as amount_cents
    from items_unioned
    group by credit_note_id, fee_id
)

select * from final
