-- unique_count_agg usage per charge period, bucket (charge filter) and
-- pricing group: the number of distinct values of the metric's field whose
-- last operation is an add (properties.operation_type, 'add' by default).
-- Lago's unique count query orders each value's events by timestamp and sums
-- +1 for an add that follows a remove (or nothing), -1 for a remove that
-- follows an add, 0 for a repeat; per value that is 1 exactly when the last
-- operation is an add. So a value added and removed inside the period counts
-- 0, a remove in the period's last second included, and duplicate adds count
-- once (app/services/events/stores/postgres/unique_count_query.rb,
-- reference/metering-and-pricing.md §2). Uniqueness is per group. Events at
-- the same instant are ordered by when they were received (Lago leaves it to
-- the database). count is the value, as in Lago.
-- Non-recurring: only the period's events; a value added before it does not
-- count. Recurring: all history up to the period end
-- (int_usage_history_accumulated).
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets.

with

non_recurring_charge_periods as (
    select charge_period_id
    from {{ ref('int_charge_periods_expanded') }}
    where aggregation_type = 'unique_count_agg' and not is_recurring
),

period_values as (
    -- each value's last operation in the period (int_usage_values_operated, incremental
    -- by charge period: macros/usage_increments.sql)
    select
        values_operated.charge_period_id,
        values_operated.charge_filter_id,
        values_operated.grouped_by,
        values_operated.aggregation_property_text as unique_value,
        values_operated.operation_type as last_operation_type
    from {{ ref('int_usage_values_operated') }} as values_operated
    inner join non_recurring_charge_periods
        on values_operated.charge_period_id = non_recurring_charge_periods.charge_period_id
),

recurring_charge_periods as (
    select charge_period_id
    from {{ ref('int_charge_periods_expanded') }}
    where aggregation_type = 'unique_count_agg' and is_recurring
),

history as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        active_values_count
    from {{ ref('int_usage_history_accumulated') }}
),

usage_counted as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(
            count(case when last_operation_type = 'add' then 1 end) as {{ type_usage_units() }}
        ) as units,
        count(case when last_operation_type = 'add' then 1 end) as events_count
    from period_values
    group by 1, 2, 3
),

usage_counted_over_history as (
    select
        history.charge_period_id,
        history.charge_filter_id,
        history.grouped_by,
        cast(history.active_values_count as {{ type_usage_units() }}) as units,
        history.active_values_count as events_count
    from history
    inner join recurring_charge_periods
        on history.charge_period_id = recurring_charge_periods.charge_period_id
),

usage_by_recurrence as (
    select * from usage_counted
    union all
    select * from usage_counted_over_history
)

select * from usage_by_recurrence
