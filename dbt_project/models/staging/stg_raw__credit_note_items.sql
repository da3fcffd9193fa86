with

source as (
    select * from {{ source('raw', 'credit_note_items') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['credit_note_external_id', 'position']) }} as credit_note_item_id,
        credit_note_external_id,
        fee_id,

        ---------- strings
        source_file,

        ---------- numerics
        position as item_position,
        amount_cents

    from source
)

select * from renamed
