-- Every billing period of every subscription version that has started by
-- as_of, half-open [from_datetime, to_datetime), with the invoices that bill
-- it: the subscription fee's (in advance: the period's first day; in arrears:
-- the day after it ends) and the charges' (always in arrears). Lago:
-- app/services/subscriptions/dates_service.rb and dates/*_service.rb,
-- app/services/subscriptions/organization_billing_service.rb
-- (reference/invoicing.md §8-9).
--
-- Calendar boundaries: weekly on Mondays (ISO weeks), monthly on the 1st,
-- quarterly on Jan/Apr/Jul/Oct 1st, semiannual on Jan/Jul 1st, yearly on Jan 1st.
-- A period is clipped to the subscription's start and end; the fee of a
-- clipped period is prorated by days in int_subscription_fees_computed.
--
-- TODO(Pricing and billing periods): anniversary billing_time (boundaries on
-- the day of subscription_at, clamped to short months) is billed on calendar
-- boundaries for now; customer timezones (boundaries are UTC midnights for
-- now); bill_charges_monthly on yearly/semiannual plans (charges are billed
-- once per plan period for now).

{#- More periods than any subscription needs: 4096 weeks are 78 years. -#}
{%- set max_periods_per_subscription = 4096 %}

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        plan_interval,
        billing_time,
        currency,
        invoice_grace_period_days,
        is_pay_in_advance,
        started_at,
        ended_at
    from {{ ref('int_subscriptions_resolved') }}
    where
        started_at < {{ billing_as_of() }}
        and (ended_at is null or ended_at > started_at)
),

period_numbers as (
    {{ dbt.generate_series(max_periods_per_subscription) }}
),

subscriptions_anchored as (
    -- the calendar boundary at or before the start, and how many boundaries
    -- lie before the subscription's end or as_of, whichever comes first
    select
        *,
        case plan_interval
            when 'monthly' then 1
            when 'quarterly' then 3
            when 'semiannual' then 6
            when 'yearly' then 12
        end as interval_months,
        case plan_interval
            when 'weekly' then {{ dbt.date_trunc('week', 'started_at') }}
            when 'monthly' then {{ dbt.date_trunc('month', 'started_at') }}
            when 'quarterly' then {{ dbt.date_trunc('quarter', 'started_at') }}
            when 'semiannual' then
                {{ dbt.dateadd(
                    'month',
                    'case when extract(month from started_at) >= 7 then 6 else 0 end',
                    dbt.date_trunc('year', 'started_at')
                ) }}
            when 'yearly' then {{ dbt.date_trunc('year', 'started_at') }}
        end as first_boundary_at,
        case
            when ended_at is null or ended_at > {{ billing_as_of() }}
                then {{ billing_as_of() }}
            else ended_at
        end as generated_until
    from subscriptions
),

periods_spined as (
    select
        subscriptions_anchored.*,
        period_numbers.generated_number as period_number,
        case
            when subscriptions_anchored.plan_interval = 'weekly'
                then {{ dbt.dateadd(
                    'day',
                    '7 * (period_numbers.generated_number - 1)',
                    'subscriptions_anchored.first_boundary_at'
                ) }}
            else {{ dbt.dateadd(
                'month',
                'subscriptions_anchored.interval_months * (period_numbers.generated_number - 1)',
                'subscriptions_anchored.first_boundary_at'
            ) }}
        end as full_period_from_datetime,
        case
            when subscriptions_anchored.plan_interval = 'weekly'
                then {{ dbt.dateadd(
                    'day',
                    '7 * period_numbers.generated_number',
                    'subscriptions_anchored.first_boundary_at'
                ) }}
            else {{ dbt.dateadd(
                'month',
                'subscriptions_anchored.interval_months * period_numbers.generated_number',
                'subscriptions_anchored.first_boundary_at'
            ) }}
        end as full_period_to_datetime
    from subscriptions_anchored
    inner join period_numbers
        on period_numbers.generated_number <= case
            when subscriptions_anchored.plan_interval = 'weekly'
                then {{ dbt.datediff(
                    'subscriptions_anchored.first_boundary_at',
                    'subscriptions_anchored.generated_until',
                    'day'
                ) }} / 7 + 1
            else {{ dbt.datediff(
                'subscriptions_anchored.first_boundary_at',
                'subscriptions_anchored.generated_until',
                'month'
            ) }} / subscriptions_anchored.interval_months + 1
        end
),

periods_clipped as (
    -- clip each calendar period to the subscription's start and end
    select
        *,
        case
            when started_at > full_period_from_datetime then started_at
            else full_period_from_datetime
        end as from_datetime,
        case
            when ended_at < full_period_to_datetime then ended_at
            else full_period_to_datetime
        end as to_datetime
    from periods_spined
    where full_period_from_datetime < generated_until
),

periods_with_fee_window as (
    select
        *,
        -- an in-advance fee is billed at the period start for the whole
        -- remaining period (an early end is refunded by a credit note, a
        -- later issue); an in-arrears fee covers the days actually used
        case
            when is_pay_in_advance then full_period_to_datetime
            else to_datetime
        end as fee_to_datetime
    from periods_clipped
    where from_datetime < to_datetime
),

periods_dated as (
    select
        {{ surrogate_key(['subscription_id', 'full_period_from_datetime']) }} as billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        plan_interval,
        billing_time,
        currency,
        is_pay_in_advance,
        period_number,
        full_period_from_datetime,
        full_period_to_datetime,
        from_datetime,
        to_datetime,
        from_datetime > full_period_from_datetime as is_started_in_period,
        to_datetime < full_period_to_datetime as is_ended_in_period,
        {{ dbt.datediff('full_period_from_datetime', 'full_period_to_datetime', 'day') }}
            as full_period_days,

        ---------- subscription fee
        from_datetime as fee_from_datetime,
        fee_to_datetime,
        -- Lago shows an inclusive end: 23:59:59 of the last day, or the
        -- termination instant itself (reference/invoicing.md §8)
        case
            when fee_to_datetime = full_period_to_datetime
                then {{ dbt.dateadd('second', -1, 'fee_to_datetime') }}
            else fee_to_datetime
        end as fee_to_datetime_inclusive,
        -- Lago counts days from the start of the first day and counts a
        -- started last day (the termination day) as a whole day
        -- (Utils::Datetime.date_diff_with_timezone)
        {{ dbt.datediff('cast(from_datetime as date)', 'cast(fee_to_datetime as date)', 'day') }}
        + case
            when fee_to_datetime > {{ dbt.date_trunc('day', 'fee_to_datetime') }} then 1
            else 0
        end as fee_billed_days,
        case
            when is_pay_in_advance then cast(from_datetime as date)
            else cast(to_datetime as date)
        end as fee_issuing_date,

        ---------- charges (usage), always in arrears
        from_datetime as charges_from_datetime,
        to_datetime as charges_to_datetime,
        case
            when to_datetime = full_period_to_datetime
                then {{ dbt.dateadd('second', -1, 'to_datetime') }}
            else to_datetime
        end as charges_to_datetime_inclusive,
        -- the day after the period's last day, or the termination day
        cast(to_datetime as date) as charges_issuing_date,
        {{ invoice_finalizes_at('cast(to_datetime as date)', 'invoice_grace_period_days') }}
            as charges_invoice_finalizes_at
    from periods_with_fee_window
)

select * from periods_dated
