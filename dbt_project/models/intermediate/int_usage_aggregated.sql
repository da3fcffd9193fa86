-- Usage of every charge in every billing period, one row per subscription x
-- charge x filter x pricing group x period, whatever the aggregation: each
-- aggregation family is its own model, unioned in int_usage_families_unioned.
-- Every bucket of a charge (each charge filter and the default bucket,
-- int_usage_filters_resolved) has at least one row per period: a bucket
-- without events gets units 0 and events_count 0, with every pricing group
-- key null (Lago's empty result under pricing groups).
-- The metric's rounding applies to the aggregated value of each row
-- (app/services/billable_metrics/aggregations/apply_rounding_service.rb):
-- `units` is what charge models price (DECIMAL(38, 12)); `precise_units`
-- keeps Lago's aggregation at up to 16 decimals (billing.usage).

with

charge_periods as (
    select * from {{ ref('int_charge_periods_expanded') }}
),

usage_filters as (
    select
        charge_id,
        charge_filter_id,
        charge_filter_position,
        filter_display_name,
        pricing_properties,
        pricing_group_keys
    from {{ ref('int_usage_filters_resolved') }}
),

usage_by_family as (
    select * from {{ ref('int_usage_families_unioned') }}
),

buckets_of_periods as (
    select
        charge_periods.charge_period_id,
        usage_filters.charge_filter_id,
        usage_filters.pricing_group_keys
    from charge_periods
    inner join usage_filters
        on charge_periods.charge_id = usage_filters.charge_id
),

buckets_without_usage as (
    select
        buckets_of_periods.charge_period_id,
        buckets_of_periods.charge_filter_id,
        {{ null_grouped_by_object('buckets_of_periods.pricing_group_keys') }} as grouped_by,
        cast(0 as {{ type_usage_units() }}) as units,
        cast(0 as bigint) as events_count
    from buckets_of_periods
    left join usage_by_family
        on
            buckets_of_periods.charge_period_id = usage_by_family.charge_period_id
            and buckets_of_periods.charge_filter_id is not distinct from usage_by_family.charge_filter_id
    where usage_by_family.charge_period_id is null
),

usage_completed as (
    select * from usage_by_family
    union all
    select * from buckets_without_usage
),

usage_rounded as (
    select
        charge_periods.*,
        usage_completed.charge_filter_id,
        usage_completed.grouped_by,
        usage_completed.units,
        usage_completed.events_count,
        {{ apply_metric_rounding(
            'cast(usage_completed.units as ' ~ type_precise() ~ ')',
            'charge_periods.rounding_function',
            'charge_periods.rounding_precision'
        ) }} as rounded_units
    from usage_completed
    inner join charge_periods
        on usage_completed.charge_period_id = charge_periods.charge_period_id
),

usage_joined_to_charges as (
    select
        {{ surrogate_key([
            'usage_rounded.charge_period_id',
            'usage_rounded.charge_filter_id',
            'usage_rounded.grouped_by',
        ]) }} as usage_id,
        usage_rounded.charge_period_id,
        usage_rounded.billing_period_id,
        usage_rounded.subscription_id,
        usage_rounded.external_subscription_id,
        usage_rounded.external_customer_id,
        usage_rounded.plan_code,
        usage_rounded.charge_id,
        usage_rounded.charge_position,
        usage_rounded.billable_metric_code,
        usage_rounded.charge_invoice_display_name,
        usage_rounded.aggregation_type,
        usage_rounded.is_recurring,
        usage_rounded.charge_model,
        -- the properties that price this row: the filter's own, or the
        -- charge's for the default bucket
        usage_filters.pricing_properties,
        usage_rounded.is_pay_in_advance,
        usage_rounded.is_invoiceable,
        usage_rounded.is_prorated,
        usage_rounded.currency,
        usage_rounded.charge_filter_id,
        usage_filters.charge_filter_position,
        usage_filters.filter_display_name,
        usage_rounded.grouped_by,
        usage_rounded.charges_from_datetime,
        usage_rounded.charges_to_datetime,
        usage_rounded.charges_to_datetime_inclusive,
        usage_rounded.charges_issuing_date,
        usage_rounded.charges_duration_days,
        usage_rounded.version_ended_by,
        usage_rounded.rounded_units as units,
        -- unrounded by the metric: Lago's aggregation as its store returns it
        case
            when usage_rounded.rounding_function in ('round', 'ceil', 'floor')
                then cast(usage_rounded.rounded_units as {{ type_usage_units() }})
            else usage_rounded.units
        end as precise_units,
        usage_rounded.events_count
    from usage_rounded
    inner join usage_filters
        on
            usage_rounded.charge_id = usage_filters.charge_id
            and usage_rounded.charge_filter_id is not distinct from usage_filters.charge_filter_id
)

select * from usage_joined_to_charges
