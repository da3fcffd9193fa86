with

source as (
    select * from {{ source('raw', 'payment_status_updates') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['invoice_number', 'updated_at']) }} as payment_status_update_id,
        invoice_number,

        ---------- strings
        payment_status,
        source_file,

        ---------- timestamps
        updated_at

    from source
)

select * from renamed
