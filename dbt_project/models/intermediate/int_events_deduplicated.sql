-- Every event known as of the run (received before as_of), ranked within its
-- (external_subscription_id, transaction_id): the first received is the event,
-- later ones are duplicates (Lago makes transaction_id unique per external
-- subscription at ingestion; CONTRACT §1.2). Ties are broken by timestamp,
-- then file and row, so the choice never depends on load order. Events
-- timestamped at or after as_of are ranked too (a later run must not change
-- which duplicate won), but only int_events_validated decides what to do
-- with them.
-- Incremental (macros/event_increments.sql): a run ranks again only the keys
-- with an event landed, received or timestamped since the last build.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ event_increment_prepare('deduplicated', ref('stg_raw__events')) }}",
    post_hook="{{ event_increment_record('deduplicated') }}",
) }}

-- depends_on: {{ ref('int_event_days_summarized') }}

with

events as (
    select
        event_id,
        transaction_id,
        external_subscription_id,
        external_customer_id,
        code,
        precise_total_amount_cents,
        source_file,
        source_row,
        properties,
        event_date,
        occurred_at,
        received_at
    from {{ ref('stg_raw__events') }}
    where
        received_at < {{ billing_as_of() }}
        and {{ event_increment_filter('deduplicated') }}
),

events_ranked as (
    -- one window for the rank and the first event's details (a single sort)
    select
        *,
        row_number() over first_received as received_rank,
        first_value(received_at) over first_received as first_received_at,
        first_value(source_file) over first_received as first_source_file,
        first_value(source_row) over first_received as first_source_row
    from events
    window first_received as (
        partition by external_subscription_id, transaction_id
        order by received_at, occurred_at, source_file, source_row
    )
),

events_flagged as (
    select
        *,
        received_rank > 1 as is_duplicate,
        {{ event_increment_stamp() }} as computed_at
    from events_ranked
)

select * from events_flagged
