with

source as (
    select * from {{ source('raw', 'one_off_invoices') }}
),

renamed as (
    select
        ---------- ids
        external_id as one_off_invoice_external_id,
        external_customer_id,

        ---------- strings
        currency,
        source_file,

        ---------- dates
        issuing_date

    from source
)

select * from renamed
