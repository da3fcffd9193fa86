-- max_agg usage per charge period, bucket (charge filter) and pricing group:
-- the largest value of the metric's field among the period's billable events
-- (plain decimals only), and their number (Lago
-- app/services/billable_metrics/aggregations/max_service.rb). max_agg cannot
-- be recurring in Lago, so a recurring flag is ignored.
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets.

with

events as (
    select
        home_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_value
    from {{ ref('int_usage_events_assigned') }}
    where
        aggregation_type = 'max_agg'
        and home_charge_period_id is not null
        and is_valid
),

usage_maximized as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(max(aggregation_value) as {{ type_usage_units() }}) as units,
        count(*) as events_count
    from events
    group by 1, 2, 3
)

select * from usage_maximized
