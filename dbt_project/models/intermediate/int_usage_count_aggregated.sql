-- count_agg usage: the number of billable events of the metric in the
-- charge's period; field_name is ignored (Lago
-- app/services/billable_metrics/aggregations/count_service.rb; no events gives
-- 0 with count 0, BaseService.null_result).
-- TODO(Charge filters and pricing groups): one row per filter and group.

with

charge_periods as (
    select
        charge_period_id,
        billing_period_id,
        billable_metric_code
    from {{ ref('int_charge_periods_expanded') }}
    where aggregation_type = 'count_agg'
),

events as (
    select
        billing_period_id,
        code
    from {{ ref('int_events_validated') }}
    where error_code is null
),

events_counted as (
    select
        billing_period_id,
        code,
        count(*) as events_count
    from events
    group by 1, 2
),

usage_counted as (
    select
        charge_periods.charge_period_id,
        cast(null as varchar) as charge_filter_id,
        '{}' as grouped_by,
        cast(coalesce(events_counted.events_count, 0) as {{ type_precise() }}) as units,
        coalesce(events_counted.events_count, 0) as events_count
    from charge_periods
    left join events_counted
        on
            charge_periods.billing_period_id = events_counted.billing_period_id
            and charge_periods.billable_metric_code = events_counted.code
)

select * from usage_counted
