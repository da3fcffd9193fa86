-- What each charge period adds to the history of a recurring metric (the recurring
-- sum_agg, unique_count_agg and weighted_sum_agg charges), read by
-- int_usage_history_accumulated: one row per charge period, bucket (charge filter) and
-- pricing group with billable events counted in that period (its bucket rows,
-- int_usage_events_assigned: an event that precedes the charge counts in the charge's
-- first period after it). The sum of the field, the part of it sent before the period
-- starts (such early events, for the weighted sum's starting level), and the number of
-- events.
-- Incremental (macros/usage_increments.sql): a run adds the sums and counts of the events
-- assigned since the last build to those kept for their periods, and aggregates again in
-- full only the periods that lost events; every other period's row stays as it is.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ usage_increment_prepare('bucket_charge_period_id') }}",
    post_hook="{{ usage_increment_record() }}",
) }}

with

charge_periods as (
    select
        charge_period_id,
        charges_from_datetime
    from {{ ref('int_charge_periods_expanded') }}
    where
        is_recurring
        and aggregation_type in ('sum_agg', 'unique_count_agg', 'weighted_sum_agg')
),

events as (
    select
        events_assigned.bucket_charge_period_id,
        events_assigned.charge_filter_id,
        events_assigned.grouped_by,
        events_assigned.aggregation_value,
        events_assigned.occurred_at < charge_periods.charges_from_datetime as is_before_period
    from {{ usage_increment_events('bucket_charge_period_id') }} as events_assigned
    inner join charge_periods
        on events_assigned.bucket_charge_period_id = charge_periods.charge_period_id
    where
        events_assigned.is_valid
        -- what the join keeps, said on the events' own columns: DuckDB's scan then
        -- skips the other charges' events before the join reads their periods
        and events_assigned.is_recurring
        and events_assigned.aggregation_type in ('sum_agg', 'unique_count_agg', 'weighted_sum_agg')
),

period_totals as (
    select
        bucket_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(sum(aggregation_value) as {{ type_precise() }}) as value_sum,
        cast(
            sum(case when is_before_period then aggregation_value end) as {{ type_precise() }}
        ) as value_sum_before_period,
        count(*) as events_count
    from events
    group by 1, 2, 3
),

totals_merged as (
    -- an increment's new totals with the kept totals of their periods (none otherwise)
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(sum(value_sum) as {{ type_precise() }}) as value_sum,
        cast(sum(value_sum_before_period) as {{ type_precise() }}) as value_sum_before_period,
        cast(sum(events_count) as bigint) as events_count
    from (
        select * from period_totals
        {{ usage_increment_kept() }}
    ) as totals
    group by 1, 2, 3
)

select * from totals_merged
