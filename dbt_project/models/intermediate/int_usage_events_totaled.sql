-- The period totals the count, sum, max and latest families read, in one pass
-- over the assigned events instead of one per family: one row per charge
-- period, bucket (charge filter) and pricing group with billable events of a
-- count_agg, max_agg or latest_agg charge, or of a non-recurring sum_agg one
-- (a recurring sum reads int_usage_history_accumulated). Each family's model
-- takes its own aggregate from here (the events of one charge are all of its
-- metric's aggregation type).
-- One scan matters at scale: a family's events are spread over every part of
-- the table, so a scan for one family reads about as much as a scan for all
-- (at 100M events, 10 to 14 s each in a nightly run).
-- Incremental (macros/usage_increments.sql): a run adds the totals of the events assigned
-- since the last build to those kept for their periods (each total is a count, a sum, a
-- max or the value of the last event, which merge), and aggregates again in full only the
-- periods that lost events.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ usage_increment_prepare('home_charge_period_id') }}",
    post_hook="{{ usage_increment_record() }}",
) }}

with

events as (
    select
        home_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_type,
        aggregation_value,
        occurred_at,
        received_at,
        source_file,
        source_row
    from {{ usage_increment_events('home_charge_period_id') }} as events_assigned
    where
        aggregation_type in ('count_agg', 'sum_agg', 'max_agg', 'latest_agg')
        and (aggregation_type <> 'sum_agg' or not is_recurring)
        and home_charge_period_id is not null
        and is_valid
),

events_totaled as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_type,
        count(*) as events_count,
        sum(aggregation_value) filter (where aggregation_type = 'sum_agg') as value_sum,
        max(aggregation_value) filter (where aggregation_type = 'max_agg') as value_max,
        -- the value of the last event by timestamp, then received_at, file and
        -- row (Lago: timestamp desc, created_at desc), null when that event has
        -- none
        arg_max_null(
            aggregation_value,
            (occurred_at, received_at, source_file, source_row)
        ) filter (where aggregation_type = 'latest_agg') as latest_value,
        -- which event that is, for the merge
        max((occurred_at, received_at, source_file, source_row))
            filter (where aggregation_type = 'latest_agg') as latest_event_key
    from events
    group by 1, 2, 3, 4
),

totals_merged as (
    -- an increment's new totals with the kept totals of their periods (none otherwise)
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_type,
        cast(sum(events_count) as bigint) as events_count,
        sum(value_sum) as value_sum,
        max(value_max) as value_max,
        arg_max_null(latest_value, latest_event_key) as latest_value,
        max(latest_event_key) as latest_event_key
    from (
        select * from events_totaled
        {{ usage_increment_kept() }}
    ) as totals
    group by 1, 2, 3, 4
)

select * from totals_merged
