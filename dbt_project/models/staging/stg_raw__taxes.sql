with

source as (
    select * from {{ source('raw', 'taxes') }}
),

renamed as (
    select
        ---------- ids
        code as tax_code,

        ---------- strings
        name as tax_name,
        source_file,

        ---------- numerics
        rate as tax_rate,

        ---------- booleans
        coalesce(applied_to_organization, false) as is_applied_to_organization

    from source
)

select * from renamed
