with

source as (
    select * from {{ source('payments', 'invoice_payment_status') }}
),

renamed as (
    select
        ---------- ids
        invoice_id,

        ---------- strings
        payment_status,

        ---------- timestamps
        updated_at

    from source
)

select * from renamed
