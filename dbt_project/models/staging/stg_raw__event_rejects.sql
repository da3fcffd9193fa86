with

source as (
    select * from {{ source('raw', 'event_rejects') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['source_file', 'source_row']) }} as event_reject_id,
        transaction_id,
        external_subscription_id,

        ---------- strings
        code,
        error_code,
        error_details,
        raw_payload,
        source_file,

        ---------- numerics
        source_row,

        ---------- dates
        event_date

    from source
)

select * from renamed
