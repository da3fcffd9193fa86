-- One row per event date of raw.events: how many events the day holds and a
-- hash of their content (every column of every row). The incremental event
-- models (macros/event_increments.sql) keep a copy of it from their last
-- build: a day whose row differs now was landed again since (a backfill, a
-- corrected or removed file), and its events are computed again.
-- Incremental itself: hashing every event costs 12 s at 100M events, so a run
-- hashes again only the dates whose landing (raw.event_landings) or number of
-- events changed since, and the dates the landing has no row for
-- (macros/event_days.sql).

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ event_days_prepare() }}",
) }}

-- depends_on: {{ source('raw', 'event_landings') }}
{%- set days = event_days_to_summarize() %}

with

landings as (
    {{ event_landings_sql() }}
),

days_summarized as (
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
    {%- if days is not none %}
    where event_date in ({{ date_list_sql(days) }})
    {%- endif %}
    group by event_date
)

select
    days_summarized.event_date,
    days_summarized.event_count,
    days_summarized.content_hash,
    landings.landing_id
from days_summarized
left join landings on days_summarized.event_date = landings.event_date
