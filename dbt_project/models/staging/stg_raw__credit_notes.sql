with

source as (
    select * from {{ source('raw', 'credit_notes') }}
),

renamed as (
    select
        ---------- ids
        external_id as credit_note_external_id,
        invoice_number,
        invoice_id,

        ---------- strings
        coalesce(reason, 'other') as reason,
        source_file,

        ---------- numerics
        coalesce(credit_amount_cents, 0) as credit_amount_cents,
        coalesce(refund_amount_cents, 0) as refund_amount_cents,

        ---------- timestamps
        created_at

    from source
)

select * from renamed
