with

source as (
    select * from {{ source('raw', 'tax_assignments') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['owner_type', 'owner_id', 'tax_code']) }} as tax_assignment_id,
        owner_id,
        tax_code,

        ---------- strings
        owner_type,
        source_file

    from source
)

select * from renamed
