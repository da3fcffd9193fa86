-- sum_agg usage: the sum of the metric's field over billable events of the
-- period. Only plain decimal texts count (int_events_validated rejects the
-- others as missing/invalid_aggregation_property); negative values are summed
-- as they are (Lago app/services/billable_metrics/aggregations/sum_service.rb,
-- reference/metering-and-pricing.md §1-2).
-- TODO(Recurring metrics): a recurring sum reads all history up to the period
-- end, not only the period.
-- TODO(Charge filters and pricing groups): one row per filter and group.

with

charge_periods as (
    select
        charge_period_id,
        billing_period_id,
        billable_metric_code
    from {{ ref('int_charge_periods_expanded') }}
    where aggregation_type = 'sum_agg'
),

events as (
    select
        billing_period_id,
        code,
        cast(aggregation_property_text as {{ type_precise() }}) as aggregation_value
    from {{ ref('int_events_validated') }}
    where
        error_code is null
        and aggregation_type = 'sum_agg'
),

events_summed as (
    select
        billing_period_id,
        code,
        cast(sum(aggregation_value) as {{ type_precise() }}) as units,
        count(*) as events_count
    from events
    group by 1, 2
),

usage_summed as (
    select
        charge_periods.charge_period_id,
        cast(null as varchar) as charge_filter_id,
        '{}' as grouped_by,
        coalesce(events_summed.units, cast(0 as {{ type_precise() }})) as units,
        coalesce(events_summed.events_count, 0) as events_count
    from charge_periods
    left join events_summed
        on
            charge_periods.billing_period_id = events_summed.billing_period_id
            and charge_periods.billable_metric_code = events_summed.code
)

select * from usage_summed
