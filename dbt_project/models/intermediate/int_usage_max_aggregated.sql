-- max_agg usage per charge period, bucket (charge filter) and pricing group:
-- the largest value of the metric's field among the period's billable events
-- (plain decimals only), and their number (Lago
-- app/services/billable_metrics/aggregations/max_service.rb). max_agg cannot
-- be recurring in Lago, so a recurring flag is ignored.
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets. Totaled in
-- int_usage_events_totaled (one pass for the count, sum, max and latest
-- families).

with

totals as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        value_max,
        events_count
    from {{ ref('int_usage_events_totaled') }}
    where aggregation_type = 'max_agg'
),

usage_maximized as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(value_max as {{ type_usage_units() }}) as units,
        events_count
    from totals
)

select * from usage_maximized
