with

source as (
    select * from {{ source('raw', 'one_off_invoice_fees') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['one_off_invoice_external_id', 'position']) }} as one_off_invoice_fee_id,
        one_off_invoice_external_id,
        add_on_code,

        ---------- strings
        description,
        source_file,

        ---------- numerics
        position as fee_position,
        coalesce(units, cast(1 as {{ type_precise() }})) as units,
        -- null: the add-on's own amount_cents
        unit_amount_cents

    from source
)

select * from renamed
