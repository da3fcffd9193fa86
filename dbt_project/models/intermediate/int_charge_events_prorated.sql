-- Prorated charges (charge.prorated on a recurring sum metric, in arrears):
-- each unit is billed for the share of the charges period it existed in.
-- One row per value of a usage row, in the order Lago reads them: first the
-- total carried from before the period, then the period's events by time,
-- each with its full value and its prorated value. Lago:
-- app/services/billable_metrics/prorated_aggregations/sum_service.rb and
-- base_service.rb, events/stores/postgres_store.rb#prorated_sum,
-- duration_ratio_sql (reference/metering-and-pricing.md §7):
-- - an event of the period is prorated by (its local day to the period's
--   last local day, both included) / charges_duration;
-- - the total carried from before the period by the days billed
--   (Subscription#date_diff_with_timezone: the period's started days, one
--   less for the old plan of an upgrade, whose day goes to the new plan) /
--   charges_duration.
-- The charge models price the prorated values (standard, volume) or walk
-- them through their tiers (graduated); the fee's units stay the full ones.

with

usage as (
    select
        usage_id,
        subscription_id,
        precise_units,
        charges_to_datetime,
        charges_from_datetime,
        charges_to_datetime_inclusive,
        charges_duration_days
    from {{ ref('int_usage_aggregated') }}
    where
        is_prorated
        and is_recurring
        and not is_pay_in_advance
        and aggregation_type = 'sum_agg'
        and charge_model in ('standard', 'graduated', 'volume')
),

subscriptions as (
    select
        subscription_id,
        timezone,
        ended_at,
        ended_by
    from {{ ref('int_subscriptions_resolved') }}
),

usage_events as (
    select
        usage_id,
        "timestamp" as occurred_at,
        transaction_id,
        value
    from {{ ref('int_usage_events_valued') }}
    where is_valid
),

usage_with_days as (
    select
        usage.*,
        subscriptions.timezone,
        greatest(
            {{ lago_days_between(
                'usage.charges_from_datetime', 'usage.charges_to_datetime_inclusive', 'subscriptions.timezone'
            ) }}
            - case
                when subscriptions.ended_by = 'upgrade' and subscriptions.ended_at = usage.charges_to_datetime
                    then 1
                else 0
            end,
            0
        ) as persisted_days
    from usage
    inner join subscriptions
        on usage.subscription_id = subscriptions.subscription_id
),

period_events_prorated as (
    select
        usage_with_days.usage_id,
        row_number() over (
            partition by usage_with_days.usage_id
            order by usage_events.occurred_at, usage_events.transaction_id
        ) as value_number,
        cast(usage_events.value as {{ type_precise() }}) as full_value,
        {{ divide_decimal(
            'usage_events.value * ('
            ~ dbt.datediff(
                local_date('usage_events.occurred_at', 'usage_with_days.timezone'),
                local_date('usage_with_days.charges_to_datetime_inclusive', 'usage_with_days.timezone'),
                'day'
            )
            ~ ' + 1)',
            'usage_with_days.charges_duration_days'
        ) }} as prorated_value
    from usage_with_days
    inner join usage_events
        on usage_with_days.usage_id = usage_events.usage_id
),

period_totals as (
    select
        usage_id,
        sum(full_value) as period_full_value
    from period_events_prorated
    group by 1
),

carried_totals_prorated as (
    -- what the usage counts beyond the period's own events was there before
    select
        usage_with_days.usage_id,
        0 as value_number,
        cast(
            usage_with_days.precise_units - coalesce(period_totals.period_full_value, 0)
            as {{ type_precise() }}
        ) as full_value,
        {{ divide_decimal(
            '(usage_with_days.precise_units - coalesce(period_totals.period_full_value, 0))'
            ~ ' * usage_with_days.persisted_days',
            'usage_with_days.charges_duration_days'
        ) }} as prorated_value
    from usage_with_days
    left join period_totals
        on usage_with_days.usage_id = period_totals.usage_id
    where usage_with_days.precise_units <> coalesce(period_totals.period_full_value, 0)
),

values_prorated as (
    select * from carried_totals_prorated
    union all
    select * from period_events_prorated
)

select * from values_prorated
