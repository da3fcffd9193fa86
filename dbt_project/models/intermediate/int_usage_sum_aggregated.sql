-- sum_agg usage per charge period, bucket (charge filter) and pricing group:
-- the sum of the metric's field over its billable events, negative values
-- summed as they are, and the number of those events (Lago
-- app/services/billable_metrics/aggregations/sum_service.rb). Only plain
-- decimals count: int_events_validated rejects the others
-- (reference/metering-and-pricing.md §1-2).
-- A recurring sum has no lower bound: it reads all history of the external
-- subscription id up to the period end (`use_from_boundary = !recurring`),
-- and so does its count (int_usage_history_accumulated).
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets.

with

period_totals as (
    -- summed in int_usage_events_totaled (one pass for the count, sum, max and
    -- latest families)
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        value_sum,
        events_count
    from {{ ref('int_usage_events_totaled') }}
    where aggregation_type = 'sum_agg'
),

recurring_charge_periods as (
    select charge_period_id
    from {{ ref('int_charge_periods_expanded') }}
    where aggregation_type = 'sum_agg' and is_recurring
),

history as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        value_total,
        events_count_total
    from {{ ref('int_usage_history_accumulated') }}
),

usage_summed as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(value_sum as {{ type_usage_units() }}) as units,
        events_count
    from period_totals
),

usage_summed_over_history as (
    select
        history.charge_period_id,
        history.charge_filter_id,
        history.grouped_by,
        cast(history.value_total as {{ type_usage_units() }}) as units,
        history.events_count_total as events_count
    from history
    inner join recurring_charge_periods
        on history.charge_period_id = recurring_charge_periods.charge_period_id
),

usage_by_recurrence as (
    select * from usage_summed
    union all
    select * from usage_summed_over_history
)

select * from usage_by_recurrence
