with

source as (
    select * from {{ source('raw', 'add_ons') }}
),

renamed as (
    select
        ---------- ids
        code as add_on_code,

        ---------- strings
        name as add_on_name,
        invoice_display_name,
        amount_currency,
        source_file,

        ---------- numerics
        coalesce(amount_cents, 0) as amount_cents

    from source
)

select * from renamed
