-- Usage of every charge in every billing period, one row per subscription x
-- charge x filter x pricing group x period, whatever the aggregation: each
-- aggregation family is its own model, unioned here (add a family by adding a
-- model to the union). The metric's rounding applies to the aggregated value
-- (app/services/billable_metrics/aggregations/apply_rounding_service.rb).

with

charge_periods as (
    select * from {{ ref('int_charge_periods_expanded') }}
),

usage_by_family as (
    select * from {{ ref('int_usage_count_aggregated') }}
    union all
    select * from {{ ref('int_usage_sum_aggregated') }}
),

usage_joined_to_charges as (
    select
        {{ surrogate_key([
            'usage_by_family.charge_period_id',
            'usage_by_family.charge_filter_id',
            'usage_by_family.grouped_by',
        ]) }} as usage_id,
        charge_periods.charge_period_id,
        charge_periods.billing_period_id,
        charge_periods.subscription_id,
        charge_periods.external_subscription_id,
        charge_periods.external_customer_id,
        charge_periods.plan_code,
        charge_periods.charge_id,
        charge_periods.charge_position,
        charge_periods.billable_metric_code,
        charge_periods.charge_invoice_display_name,
        charge_periods.aggregation_type,
        charge_periods.charge_model,
        -- the properties that price this row (a filter's own, later)
        charge_periods.charge_properties as pricing_properties,
        charge_periods.is_pay_in_advance,
        charge_periods.is_invoiceable,
        charge_periods.currency,
        usage_by_family.charge_filter_id,
        cast(null as varchar) as filter_display_name,
        usage_by_family.grouped_by,
        charge_periods.charges_from_datetime,
        charge_periods.charges_to_datetime,
        charge_periods.charges_to_datetime_inclusive,
        charge_periods.charges_issuing_date,
        {{ apply_metric_rounding(
            'usage_by_family.units',
            'charge_periods.rounding_function',
            'charge_periods.rounding_precision'
        ) }} as units,
        usage_by_family.events_count
    from usage_by_family
    inner join charge_periods
        on usage_by_family.charge_period_id = charge_periods.charge_period_id
)

select * from usage_joined_to_charges
