with

source as (
    select * from {{ source('raw', 'events') }}
),

renamed as (
    select
        ---------- ids
        -- one raw line: ingestion numbers each event by file and row
        {{ surrogate_key(['source_file', 'source_row']) }} as event_id,
        transaction_id,
        external_subscription_id,
        external_customer_id,

        ---------- strings
        code,
        -- decimal text as sent (dynamic charge model), cast where priced
        precise_total_amount_cents,
        source_file,

        ---------- numerics
        source_row,

        ---------- json
        coalesce(properties, cast('{}' as json)) as properties,

        ---------- dates
        event_date,

        ---------- timestamps
        "timestamp" as occurred_at,
        -- Lago's created_at; absent means received at its timestamp
        coalesce(received_at, "timestamp") as received_at

    from source
)

select * from renamed
