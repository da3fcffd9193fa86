with

source as (
    select * from {{ source('raw', 'charge_filters') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['charge_id', 'position']) }} as charge_filter_id,
        charge_id,

        ---------- strings
        invoice_display_name,
        source_file,

        ---------- numerics
        position as charge_filter_position,

        ---------- json
        coalesce("values", cast('{}' as json)) as filter_values,
        coalesce(properties, cast('{}' as json)) as properties

    from source
)

select * from renamed
