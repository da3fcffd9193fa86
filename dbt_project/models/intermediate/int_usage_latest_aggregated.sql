-- latest_agg usage per charge period, bucket (charge filter) and pricing
-- group: the value of the last billable event by timestamp, then by when it
-- was received (Lago orders by timestamp desc, created_at desc), clamped to 0
-- when negative, and the number of events (Lago
-- app/services/billable_metrics/aggregations/latest_service.rb). latest_agg
-- cannot be recurring in Lago, so a recurring flag is ignored.
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets. The last event's value is
-- found in int_usage_events_totaled (one pass for the count, sum, max and
-- latest families).

with

totals as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        latest_value,
        events_count
    from {{ ref('int_usage_events_totaled') }}
    where aggregation_type = 'latest_agg'
),

usage_latest as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(greatest(latest_value, 0) as {{ type_usage_units() }}) as units,
        events_count
    from totals
)

select * from usage_latest
