-- One row per event date of raw.events: how many events the day holds and a
-- hash of their content (every column of every row). The incremental event
-- models (macros/event_increments.sql) keep a copy of it from their last
-- build: a day whose row differs now was landed again since (a backfill, a
-- corrected or removed file), and its events are computed again. A few tenths
-- of a second at 10M events.

select
    event_date,
    count(*) as event_count,
    cast(
        sum(
            hash(
                transaction_id,
                external_subscription_id,
                external_customer_id,
                code,
                "timestamp",
                properties,
                precise_total_amount_cents,
                received_at,
                source_file,
                source_row
            )
        ) as varchar
    ) as content_hash
from {{ source('raw', 'events') }}
group by event_date
