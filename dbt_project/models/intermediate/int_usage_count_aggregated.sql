-- count_agg usage: the number of billable events of the metric in the charge
-- period, per bucket (charge filter) and pricing group; field_name is ignored
-- (Lago app/services/billable_metrics/aggregations/count_service.rb). Only
-- buckets and groups with events have a row here: int_usage_aggregated adds
-- the row of 0 a bucket without events gets. Counted in
-- int_usage_events_totaled (one pass for the count, sum, max and latest
-- families).

with

totals as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        events_count
    from {{ ref('int_usage_events_totaled') }}
    where aggregation_type = 'count_agg'
),

usage_counted as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(events_count as {{ type_usage_units() }}) as units,
        events_count
    from totals
)

select * from usage_counted
