-- The last operation of each value of a unique count in each charge period: one row per
-- charge period, bucket (charge filter), pricing group and value with an add or remove
-- counted in that period. A non-recurring charge counts the events of the period
-- (int_usage_events_assigned's home rows); a recurring one its bucket rows (an event that
-- precedes the charge counts in the charge's first period after it), which
-- int_usage_history_accumulated carries from period to period. The last operation is the
-- one with the latest timestamp, then received_at, file and row (an aggregate, not a
-- window: no sort of the events).
-- Incremental (macros/usage_increments.sql): a run merges the last operations of the events
-- assigned since the last build with those kept for their periods (the later one wins),
-- and aggregates again in full only the periods that lost events; every other period's
-- rows stay as they are.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ usage_increment_prepare('bucket_charge_period_id') }}",
    post_hook="{{ usage_increment_record() }}",
) }}

with

events as (
    -- a home row's bucket is its home period; a non-recurring charge has home rows only
    select
        bucket_charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_property_text,
        operation_type,
        occurred_at,
        received_at,
        source_file,
        source_row
    from {{ usage_increment_events('bucket_charge_period_id') }} as events_assigned
    where
        aggregation_type = 'unique_count_agg'
        and is_valid
        and operation_type is not null
        and (is_recurring or home_charge_period_id is not null)
),

values_operated as (
    select
        bucket_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_property_text,
        arg_max(operation_type, (occurred_at, received_at, source_file, source_row))
            as operation_type,
        -- which event that is, for the merge
        max((occurred_at, received_at, source_file, source_row)) as last_operation_key
    from events
    group by 1, 2, 3, 4
),

values_merged as (
    -- an increment's new last operations with the kept ones of their periods (none
    -- otherwise): the later one wins
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_property_text,
        arg_max(operation_type, last_operation_key) as operation_type,
        max(last_operation_key) as last_operation_key
    from (
        select * from values_operated
        {{ usage_increment_kept() }}
    ) as operated
    group by 1, 2, 3, 4
)

select * from values_merged
