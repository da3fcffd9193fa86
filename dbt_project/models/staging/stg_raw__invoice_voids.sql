with

source as (
    select * from {{ source('raw', 'invoice_voids') }}
),

renamed as (
    select
        ---------- ids
        invoice_number,

        ---------- strings
        reason,
        source_file,

        ---------- timestamps
        voided_at

    from source
)

select * from renamed
