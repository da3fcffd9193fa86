-- latest_agg usage per charge period, bucket (charge filter) and pricing
-- group: the value of the last billable event by timestamp, then by when it
-- was received (Lago orders by timestamp desc, created_at desc), clamped to 0
-- when negative, and the number of events (Lago
-- app/services/billable_metrics/aggregations/latest_service.rb). latest_agg
-- cannot be recurring in Lago, so a recurring flag is ignored.
-- Only buckets and groups with events have a row here: int_usage_aggregated
-- adds the row of 0 a bucket without events gets.

with

events as (
    select
        home_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        aggregation_value,
        row_number() over (
            partition by home_charge_period_id, charge_filter_id, grouped_by
            order by occurred_at desc, received_at desc, source_file desc, source_row desc
        ) as recency_rank
    from {{ ref('int_usage_events_assigned') }}
    where
        aggregation_type = 'latest_agg'
        and home_charge_period_id is not null
        and is_valid
),

usage_latest as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(
            greatest(max(case when recency_rank = 1 then aggregation_value end), 0)
            as {{ type_usage_units() }}
        ) as units,
        count(*) as events_count
    from events
    group by 1, 2, 3
)

select * from usage_latest
