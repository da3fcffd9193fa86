-- count_agg usage: the number of billable events of the metric in the charge
-- period, per bucket (charge filter) and pricing group; field_name is ignored
-- (Lago app/services/billable_metrics/aggregations/count_service.rb). Only
-- buckets and groups with events have a row here: int_usage_aggregated adds
-- the row of 0 a bucket without events gets.

with

events as (
    select
        home_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by
    from {{ ref('int_usage_events_assigned') }}
    where
        aggregation_type = 'count_agg'
        and home_charge_period_id is not null
        and is_valid
),

usage_counted as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(count(*) as {{ type_usage_units() }}) as units,
        count(*) as events_count
    from events
    group by 1, 2, 3
)

select * from usage_counted
