with

event_rejects as (
    select * from {{ ref('stg_raw__event_rejects') }}
),

events as (
    select * from {{ ref('int_events_validated') }}
    where error_code is not null
),

final as (
    -- rejected by ingestion: the line could not be read as an event
    select
        event_reject_id as event_error_id,
        transaction_id,
        external_subscription_id,
        code,
        error_code,
        error_details,
        source_file,
        source_row,
        event_date,
        cast(null as timestamp) as occurred_at,
        cast(null as timestamp) as received_at,
        raw_payload
    from event_rejects

    union all

    -- rejected by billing: a readable event that cannot be billed
    select
        event_id as event_error_id,
        transaction_id,
        external_subscription_id,
        code,
        error_code,
        error_details,
        source_file,
        source_row,
        event_date,
        occurred_at,
        received_at,
        cast(null as varchar) as raw_payload
    from events
)

select * from final
